import Geometry

/// A land parcel: identity, programme attributes, its polygons (longitude/latitude degrees on
/// the geographic CRS of its data) and their geodesic area. The one parcel type of landtrack:
/// the reader makes it from a file, the store keeps and returns it, the planner measures it.
// The small fields sit together (a million parcels are held at once, twice for two dates).
public struct Parcel: Sendable, Hashable {
    public var id: String
    public var state: ParcelState
    /// Permanent basic farmland (永久基本农田, PBF).
    public var basicFarmland: Bool
    /// False once a split or merge retired the parcel (only the store has retired parcels).
    public var active: Bool
    public var village: String?
    /// GB/T 21010-2017 land-use code, e.g. "0101".
    public var landuseCode: String?
    public var polygons: [Polygon]
    /// Geodesic area on the ellipsoid of the parcel's CRS, m².
    public var areaSquareMetres: Double
    /// Every original property of the feature; decoded only when asked for.
    public var properties: ParcelProperties
    /// The survey's deduction from the patch (扣除地类, usually 田坎 1203), nil when none is recorded.
    public var deduction: AreaDeduction?
    /// For a parcel read from a file: where it stood there and what the file said.
    public var source: FileSource?

    /// What a file said of a parcel, beyond the values (which may be defaults).
    public struct FileSource: Sendable, Hashable {
        /// 1-based position of the feature in its file.
        public var featureIndex: Int
        /// The file gave a PBF flag (a re-import without one keeps the stored flag).
        public var statesBasicFarmland: Bool
        /// The file gave a deduction field (a re-import without one keeps the stored deduction;
        /// a coefficient of 0 clears it).
        public var statesDeduction: Bool

        public init(featureIndex: Int, statesBasicFarmland: Bool, statesDeduction: Bool = false) {
            self.featureIndex = featureIndex
            self.statesBasicFarmland = statesBasicFarmland
            self.statesDeduction = statesDeduction
        }
    }

    public init(
        id: String, state: ParcelState, basicFarmland: Bool = false, village: String? = nil, landuseCode: String? = nil,
        polygons: [Polygon], areaSquareMetres: Double, properties: ParcelProperties = ParcelProperties(),
        deduction: AreaDeduction? = nil, active: Bool = true, source: FileSource? = nil
    ) {
        self.id = id
        self.state = state
        self.basicFarmland = basicFarmland
        self.village = village
        self.landuseCode = landuseCode
        self.polygons = polygons
        self.areaSquareMetres = areaSquareMetres
        self.properties = properties
        self.deduction = deduction
        self.active = active
        self.source = source
    }

    /// 1-based position in the file, for messages (nil for store parcels).
    public var featureIndex: Int? { source?.featureIndex }

    public var geometry: Geometry {
        polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
    }

    public var vertexCount: Int { polygons.reduce(0) { $0 + $1.vertexCount } }

    public var area: AreaMeasure { AreaMeasure(squareMetres: areaSquareMetres) }

    /// The part of the patch the deduction takes (0 without one), for an area `gross` of the
    /// patch measured by any method.
    public func deducted(from gross: Double) -> Double { gross * (deduction?.ratio ?? 0) }

    /// The patch area (`gross`, by any method) on `basis`: the whole patch, or less its deduction.
    public func area(_ gross: Double, on basis: AreaBasis) -> Double {
        basis == .net ? gross - deducted(from: gross) : gross
    }

    /// Geodesic net area: the patch less its deduction, as the survey's 图斑地类面积 (TBDLMJ).
    public var netAreaSquareMetres: Double { area(areaSquareMetres, on: .net) }

    /// The parcel's attributes as JSON, as exports and the OGC API server show them: id,
    /// state, PBF flag, village, land use, geodesic area in m² (0.1 mm²) and mu.
    public var attributes: JSONObject {
        var o = JSONObject()
        o.append("id", .string(id))
        o.append("state", .string(state.rawValue))
        o.append("basic_farmland", .bool(basicFarmland))
        o.append("village", village.map { .string($0) } ?? .null)
        o.append("landuse_code", landuseCode.map { .string($0) } ?? .null)
        o.append("area_m2", .number((areaSquareMetres * 10_000).rounded() / 10_000))
        o.append("area_mu", .number((areaSquareMetres * 3 / 2000 * 1_000_000).rounded() / 1_000_000))
        if let deduction {
            o.append("deduction_ratio", .number(deduction.ratio))
            o.append("deduction_code", deduction.code.map { .string($0) } ?? .null)
            o.append("net_area_m2", .number((netAreaSquareMetres * 10_000).rounded() / 10_000))
        }
        return o
    }
}

/// A parcel's original properties: a JSON object, kept as the text the store holds until
/// someone asks for the members (most reports never do).
public struct ParcelProperties: Sendable, Hashable {
    // Boxed: a parcel's properties take the room of a string (a million parcels in memory).
    private enum Storage: Sendable, Hashable {
        indirect case object(JSONObject)
        case text(String)
    }

    private let storage: Storage

    /// No members are kept as the text "{}": no box to allocate (the planner's parcels, a million
    /// of them, keep none).
    public init(_ object: JSONObject = JSONObject()) { storage = object.isEmpty ? .text("{}") : .object(object) }

    /// Properties as JSON text (from a store), decoded on first use.
    public init(jsonText: String) { storage = .text(jsonText) }

    /// The JSON text (compact, members in their order).
    public var jsonText: String {
        switch storage {
        case let .object(o): JSONValue.object(o).jsonText
        case let .text(t): t
        }
    }

    /// The members. A text that is not a JSON object is an error naming `owner`: a value the
    /// store holds is never silently replaced.
    public func object(owner: String) throws(LandtrackError) -> JSONObject {
        switch storage {
        case let .object(o):
            return o
        case let .text(t):
            guard let o = (try? JSONValue.parse(t))?.objectValue else {
                throw .store(location: owner, .corrupt("the properties are not a JSON object: \(t.prefix(80))"))
            }
            return o
        }
    }

    public static func == (a: ParcelProperties, b: ParcelProperties) -> Bool { a.jsonText == b.jsonText }

    public func hash(into hasher: inout Hasher) { hasher.combine(jsonText) }
}

/// The property names a parcel file uses. The defaults are those of the data in
/// `../shared/bench` and of landtrack's own exports; each can be set on the command line.
public struct ParcelFields: Sendable, Hashable {
    public var id = "id"
    public var state = "state"
    public var basicFarmland = "basic_farmland"
    public var village = "village"
    public var landuseCode = "landuse_code"
    /// The file's official area (m²), compared with landtrack's survey area by `validate`:
    /// the survey's 图斑面积 `TBMJ`; none in the standard schema.
    public var officialArea: String?
    /// The deduction coefficient (扣除地类系数 `KCXS`: the share of the patch deducted);
    /// `deduction_ratio` in the standard schema, as landtrack's exports write it.
    public var deductionRatio: String? = "deduction_ratio"
    /// The deducted area (扣除地类面积 `KCMJ`, m²), used when there is no coefficient: its share
    /// of the official area (or of landtrack's, without one) is the coefficient.
    public var deductionArea: String?
    /// The deducted class's code (扣除地类编码 `KCDLBM`, usually 1203 田坎); `deduction_code` in the
    /// standard schema.
    public var deductionCode: String? = "deduction_code"
    /// The file's net area (图斑地类面积 `TBDLMJ` = TBMJ − KCMJ), checked against the other two.
    public var netArea: String?

    public init(id: String = "id", state: String = "state", basicFarmland: String = "basic_farmland",
                village: String = "village", landuseCode: String = "landuse_code") {
        self.id = id
        self.state = state
        self.basicFarmland = basicFarmland
        self.village = village
        self.landuseCode = landuseCode
    }

    /// The national land survey's 地类图斑 layer (三调 / 年度变更调查 DLTB): 标识码 `BSM` as the
    /// id, 地类编码 `DLBM` as the land-use code (the state follows from it through the GB/T 21010
    /// table), 坐落单位名称 `ZLDWMC` as the village. The survey has no state or PBF field (PBF
    /// comes as its own layer): those names are left as landtrack's, absent from such a file.
    public static let sandiao: ParcelFields = {
        var f = ParcelFields(id: "BSM", landuseCode: "DLBM")
        f.village = "ZLDWMC"
        f.officialArea = "TBMJ"
        f.deductionRatio = "KCXS"
        f.deductionArea = "KCMJ"
        f.deductionCode = "KCDLBM"
        f.netArea = "TBDLMJ"
        return f
    }()

    /// The keys a schema file may name.
    public static let schemaKeys = ["id", "state", "basic_farmland", "village", "landuse_code", "official_area",
                                    "deduction_ratio", "deduction_area", "deduction_code", "net_area"]

    /// A bureau's own schema: a JSON object naming some of `schemaKeys` (the rest keep
    /// landtrack's names; the area fields are absent unless named), e.g.
    /// `{"id": "TBBH", "village": "CUNMC", "landuse_code": "DLBM"}`.
    public static func load(path: String) throws(LandtrackError) -> ParcelFields {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .invalidInput(source: path, problems: [Diagnostic(.unreadableSource, "cannot read the schema file: \(error.localizedDescription)")])
        }
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch {
            throw .invalidInput(source: path, problems: [Diagnostic(.notGeojson, "the schema file is not JSON: \(error)")])
        }
        guard let object = value.objectValue else {
            throw .invalidInput(source: path, problems: [Diagnostic(.badProperties, "the schema must be a JSON object of field names")])
        }
        var fields = ParcelFields()
        var problems: [Diagnostic] = []
        for (key, v) in object.members {
            guard case let .string(name) = v, !name.isEmpty else {
                problems.append(Diagnostic(.badProperties, "\"\(key)\" must name a field (a non-empty string)", location: key))
                continue
            }
            switch key {
            case "id": fields.id = name
            case "state": fields.state = name
            case "basic_farmland": fields.basicFarmland = name
            case "village": fields.village = name
            case "landuse_code": fields.landuseCode = name
            case "official_area": fields.officialArea = name
            case "deduction_ratio": fields.deductionRatio = name
            case "deduction_area": fields.deductionArea = name
            case "deduction_code": fields.deductionCode = name
            case "net_area": fields.netArea = name
            default:
                problems.append(Diagnostic(.badProperties, "\"\(key)\" is not a parcel field; the schema names \(Self.schemaKeys.joined(separator: ", "))", location: key))
            }
        }
        guard problems.isEmpty else { throw .invalidInput(source: path, problems: problems) }
        return fields
    }
}

/// The survey's deduction from a patch (扣除地类): the share of the patch that is another class,
/// usually field ridges (田坎, GB/T 21010 1203) in terraced or ridged farmland. The net area is
/// the patch's less this share, what cultivated-land statistics add up.
public struct AreaDeduction: Sendable, Hashable {
    /// The deducted share of the patch (扣除地类系数 KCXS), 0 ≤ ratio < 1.
    public var ratio: Double
    /// The deducted class (扣除地类编码 KCDLBM), e.g. "1203".
    public var code: String?

    public init(ratio: Double, code: String? = nil) {
        self.ratio = ratio
        self.code = code
    }

    /// A deduction from stored values: nil when there is neither a share nor a code.
    public static func stored(ratio: Double, code: String?) -> AreaDeduction? {
        ratio == 0 && code == nil ? nil : AreaDeduction(ratio: ratio, code: code)
    }

    /// "田坎 1203" for the code the survey mostly deducts, else the code (or "deduction").
    public var label: String {
        switch code {
        case "1203"?: "田坎 1203"
        case let c?: c
        case nil: "deduction"
        }
    }
}

/// Which area a report adds up: the whole patch (`gross`), or the patch less its recorded
/// deduction (`net`, the survey's 图斑地类面积 TBDLMJ). Parcels without a deduction have the same
/// area on both.
public enum AreaBasis: String, Sendable, CaseIterable {
    case net, gross

    /// The basis asked for, else net when any parcel carries a deduction (survey data) and gross
    /// otherwise.
    public static func resolve(_ requested: AreaBasis?, parcels lists: [Parcel]...) -> AreaBasis {
        // Each array walked in place: a joined sequence would copy every parcel it hands over.
        requested ?? (lists.contains { $0.contains { ($0.deduction?.ratio ?? 0) > 0 } } ? .net : .gross)
    }

    /// What the reports print after "areas:".
    public var description: String {
        switch self {
        case .net: "net: each parcel's area less its recorded deduction (扣除地类 KCXS, usually 田坎), as the survey's 图斑地类面积 TBDLMJ"
        case .gross: "gross: whole patches (deductions such as 田坎 not subtracted)"
        }
    }
}
