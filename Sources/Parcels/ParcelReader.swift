import Geometry

/// How to read a parcel file.
public struct ParcelReadOptions: Sendable {
    public var fields = ParcelFields()
    /// Overrides the file's CRS (its legacy "crs" member, else RFC 7946's CRS84).
    public var crs: CoordinateReferenceSystem?
    /// Overrides the axis order; nil decides from the first position.
    public var axisOrder: AxisOrder?
    /// Repairs invalid geometries with GEOS make-valid (structure method) instead of refusing
    /// them; each repair is reported as a warning with the area it changed.
    public var repairInvalid = false
    /// A parcel's state is its state property, else its land-use code through this table,
    /// else `defaultState`.
    public var landuse = LanduseMapping.standard
    public var defaultState: ParcelState?
    /// A parcel whose state cannot be decided is an error ("no-state"). Imports and the planner
    /// turn this on; `area` and `validate`, which never use states, leave it off (such parcels
    /// are then `other`).
    public var requireState = false

    public init(fields: ParcelFields = ParcelFields(), crs: CoordinateReferenceSystem? = nil, axisOrder: AxisOrder? = nil,
                repairInvalid: Bool = false, defaultState: ParcelState? = nil, landuse: LanduseMapping = .standard,
                requireState: Bool = false) {
        self.fields = fields
        self.crs = crs
        self.axisOrder = axisOrder
        self.repairInvalid = repairInvalid
        self.defaultState = defaultState
        self.landuse = landuse
        self.requireState = requireState
    }
}

extension ParcelReadOptions {
    /// How landtrack reads files. Bump it whenever reading the same bytes with the same options
    /// can give other parcels (a new check, another area, another normalisation): parcel caches
    /// and the stores' import fingerprints made by earlier versions then no longer match, and
    /// files are read again.
    public static let readingVersion = 1

    /// Every member that changes what a read produces, and the reading version, as one line of
    /// text: part of the parcel cache's key and of an import's fingerprint (what the import
    /// looked at besides the bytes). A member added to the options or to `ParcelFields` belongs
    /// here too: `ParcelReaderTests.theReadOptionsTextNamesEveryMember` fails until it is.
    public var identityText: String {
        let f = fields
        let fieldText = [("id", f.id), ("state", f.state), ("basic_farmland", f.basicFarmland), ("village", f.village),
                         ("landuse_code", f.landuseCode), ("official_area", f.officialArea), ("deduction_ratio", f.deductionRatio),
                         ("deduction_area", f.deductionArea), ("deduction_code", f.deductionCode), ("net_area", f.netArea)]
            .map { "\($0.0)=\($0.1.map(quoted) ?? "-")" }.joined(separator: ",")
        let table = landuse.table.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ",")
        return "reading=\(Self.readingVersion) fields[\(fieldText)] crs=\(crs?.identifier ?? "-") axis=\(axisOrder?.rawValue ?? "-") repair=\(repairInvalid) "
            + "landuse[\(table)] default=\(defaultState?.rawValue ?? "-") require_state=\(requireState)"
    }
}

/// What a read found out about the file as a whole.
public struct ParcelFileInfo: Sendable {
    public let source: String
    /// The CRS the file declares or was given; `effectiveCRS` differs when zone-prefixed
    /// Gauss-Krüger eastings were found under a plain zone code.
    public let declaredCRS: CoordinateReferenceSystem
    public let effectiveCRS: CoordinateReferenceSystem
    /// The CRS of the parcels' longitude/latitude positions (its ellipsoid is the one areas use).
    public let geographicCRS: CoordinateReferenceSystem
    public let axisOrder: AxisOrder?
    public let featureCount: Int
}

/// Reads parcels from GeoJSON and runs every check an import runs: GeoJSON structure, CRS and
/// coordinate ranges (with swapped-axis detection), geometry type, ring validity and topology
/// (GEOS `isValidDetail`), zero-area rings, ids (present, unique, no control characters, at most
/// 256 characters), state vocabulary, PBF flag. Each parcel gets its geodesic area.
///
/// A large GeoJSON file is parsed and checked on every core (`parallelism`), each thread with a
/// GEOS context of its own; ids are checked for duplicates in the file's order, and parcels and
/// problems arrive in that order, exactly as from one thread.
public struct ParcelReader: Sendable {
    public var options: ParcelReadOptions
    /// Threads for a GeoJSON file (other sources read on one).
    public var parallelism: ReadParallelism
    /// What parcels keep of the file's properties (`Parcel.properties`), decided on the threads
    /// that parse them.
    public var properties: KeptProperties

    /// What a read keeps of each parcel's properties.
    public enum KeptProperties: Sendable {
        /// The members, as parsed.
        case members
        /// The JSON text a store writes (members decoded again when asked for): an import's,
        /// made beside the parse instead of on the store's writing thread.
        case jsonText
        /// None: the planner never reads them.
        case none
    }

    public init(options: ParcelReadOptions = ParcelReadOptions(), parallelism: ReadParallelism = .automatic,
                properties: KeptProperties = .members) {
        self.options = options
        self.parallelism = parallelism
        self.properties = properties
    }

    /// Streams the file: `start` learns the CRS of the parcels' longitude/latitude positions
    /// before the first parcel, `parcel` gets each parcel that passed every check, `problem`
    /// each problem (a feature with an error yields no parcel; warnings, such as repairs, come
    /// with their parcel). Throws only when the file cannot be read at all (I/O, not JSON, not
    /// GeoJSON at its root, unknown CRS). `expecting` learns, before the first parcel, how
    /// many features the source says follow, when it knows (room to reserve).
    public func read(
        _ input: any FeatureSource,
        expecting: (_ features: Int) -> Void = { _ in },
        start: (_ geographicCRS: CoordinateReferenceSystem) throws(LandtrackError) -> Void = { _ throws(LandtrackError) in },
        parcel: (Parcel) throws(LandtrackError) -> Void,
        problem: (Diagnostic) throws(LandtrackError) -> Void
    ) throws(LandtrackError) -> ParcelFileInfo {
        var normalizer: CoordinateNormalizer?
        var declared = CoordinateReferenceSystem.crs84
        var seenIDs = FirstFeatureByID()
        var count = 0

        try input.readFeatures(idProperty: options.fields.id, parallelism: parallelism, start: { (header: GeoJSONHeader) throws(LandtrackError) in
            if let forced = options.crs {
                declared = forced
            } else if let name = header.crsName {
                do {
                    declared = try CoordinateReferenceSystem.resolve(name)
                } catch {
                    throw LandtrackError.invalidInput(source: input.name, problems: [
                        Diagnostic(.crs, "the file's \"crs\" member names \(name), which landtrack cannot use: \(error)")])
                }
            }
            let made = try CoordinateNormalizer(crs: declared, axisOrder: options.axisOrder)
            normalizer = made
            if let features = header.featureCount {
                expecting(features)
                seenIDs = FirstFeatureByID(expected: features)
            }
            try start(made.geographicCRS)
            return ParcelExamination(options: options, normalizer: made, keptProperties: properties)
        }, deliver: { (outcome: ParcelExamination.Outcome) throws(LandtrackError) in
            count += 1
            switch outcome {
            case let .unreadable(d):
                try problem(d)
            case let .examined(examined):
                let (made, diagnostics) = examined.finished(seenIDs: &seenIDs)
                for d in diagnostics { try problem(d) }
                if let made { try parcel(made) }
            }
        })
        return ParcelFileInfo(
            source: input.name, declaredCRS: declared, effectiveCRS: normalizer?.effectiveSourceCRS ?? declared,
            geographicCRS: normalizer?.geographicCRS ?? declared, axisOrder: normalizer?.axisOrder, featureCount: count)
    }

    /// Reads every parcel and problem into memory.
    public func readAll(_ input: any FeatureSource) throws(LandtrackError) -> (info: ParcelFileInfo, parcels: [Parcel], problems: [Diagnostic]) {
        var parcels: [Parcel] = []
        var problems: [Diagnostic] = []
        let info = try read(input, parcel: { parcels.append($0) }, problem: { problems.append($0) })
        return (info, parcels, problems)
    }
}

/// One thread's part of a read: every check a feature can pass on its own, everything but the
/// duplicate-id check, which needs the features before it (`Examined.finished`).
struct ParcelExamination: FeatureWorker {
    let options: ParcelReadOptions
    let normalizer: CoordinateNormalizer
    let keptProperties: ParcelReader.KeptProperties
    let engine: GeodesicAreaEngine
    /// One context for this thread's features (one synchronous batch).
    let geos = GEOSContext()

    init(options: ParcelReadOptions, normalizer: CoordinateNormalizer, keptProperties: ParcelReader.KeptProperties) {
        self.options = options
        self.normalizer = normalizer
        self.keptProperties = keptProperties
        engine = GeodesicAreaEngine(ellipsoid: normalizer.geographicCRS.ellipsoid)
    }

    enum Outcome: Sendable {
        /// The feature could not be read as GeoJSON.
        case unreadable(Diagnostic)
        case examined(Examined)
    }

    /// A feature's parcel and problems, as far as they do not depend on other features.
    struct Examined: Sendable {
        let index: Int
        let id: String
        /// Problems with the id; a duplicate, when found, follows them.
        let idProblems: [Diagnostic]
        /// The id is usable, so whether an earlier feature has it is asked.
        let checkDuplicate: Bool
        /// `id.hashValue`, computed on the thread that examined the feature.
        let idHash: Int
        /// The other problems, in the order they were found.
        let problems: [Diagnostic]
        /// The parcel, unless a problem above is an error; with the warnings its figures give.
        let parcel: Parcel?
        let warnings: [Diagnostic]
        /// When the parcel could not be measured.
        let measureProblem: Diagnostic?

        /// The parcel (nil when any error was found) and the feature's diagnostics, with the
        /// ids of the features before it in `seenIDs`.
        consuming func finished(seenIDs: inout FirstFeatureByID) -> (Parcel?, [Diagnostic]) {
            var all = idProblems
            if checkDuplicate {
                if let first = seenIDs.firstIndex(of: id, hash: idHash, featureIndex: index) {
                    all.append(Diagnostic(.duplicateId, "id \"\(id)\" is already used by feature \(first)"))
                } else if all.isEmpty, problems.isEmpty, measureProblem == nil, warnings.isEmpty {
                    return (parcel, [])
                }
            }
            all.append(contentsOf: problems)
            let located = all.map(locating)
            guard !located.contains(where: { $0.severity == .error }) else { return (nil, located) }
            if let measureProblem { return (nil, located + [measureProblem]) }
            return (parcel, located + warnings.map(locating))
        }

        private func locating(_ d: Diagnostic) -> Diagnostic {
            var d = d
            d.featureIndex = index
            d.featureID = id
            return d
        }
    }

    func fork() -> ParcelExamination? {
        normalizer.forked().map { ParcelExamination(options: options, normalizer: $0, keptProperties: keptProperties) }
    }

    func process(_ feature: Result<GeoJSONFeature, Diagnostic>) -> Outcome {
        switch feature {
        case let .failure(d): return .unreadable(d)
        case let .success(feature): return .examined(examine(feature))
        }
    }

    var wantsPropertiesText: Bool { keptProperties == .jsonText }

    /// `text`: the properties' JSON text as the file has it, when it is what writing them gives.
    private func kept(_ properties: JSONObject, text: String?) -> ParcelProperties {
        switch keptProperties {
        case .members: ParcelProperties(properties)
        case .jsonText: properties.isEmpty ? ParcelProperties() : ParcelProperties(jsonText: text ?? JSONValue.object(properties).jsonText)
        case .none: ParcelProperties()
        }
    }

    private func examine(_ feature: GeoJSONFeature) -> Examined {
        let fields = options.fields
        let properties = feature.properties ?? JSONObject()
        var idProblems: [Diagnostic] = []

        // Identity first, so that every message can name the parcel.
        var id = String(feature.index)
        if let value = properties[fields.id], value != .null {
            if let text = value.identifierText, !text.isEmpty {
                id = text
            } else {
                idProblems.append(Diagnostic(.badId, "id property \"\(fields.id)\" must be a non-empty string or a number, but is \(value.kindDescription)",
                                             location: "properties.\(fields.id)"))
            }
        } else if let text = feature.id?.identifierText {
            id = text
        }
        var checkDuplicate = false
        if let problem = ParcelID.problem(id) {
            idProblems.append(Diagnostic(.badId, "the id \(quoted(id)) cannot be used: \(problem)", location: "properties.\(fields.id)"))
        } else {
            checkDuplicate = true
        }
        var problems: [Diagnostic] = []

        var state: ParcelState?
        if let value = properties[fields.state], value != .null {
            if let text = value.stringValue, let s = ParcelState(parsing: text) {
                state = s
            } else {
                let shown = value.stringValue.map { "\"\($0)\"" } ?? value.kindDescription
                problems.append(Diagnostic(.unknownState, "state \(shown) is not one of: \(ParcelState.vocabulary)",
                                           location: "properties.\(fields.state)"))
            }
        }

        var basicFarmland: Bool?
        if let value = properties[fields.basicFarmland], value != .null {
            if let flag = ParcelReader.flag(value) {
                basicFarmland = flag
            } else {
                problems.append(Diagnostic(.badPbfFlag, "\"\(fields.basicFarmland)\" must be true/false (or 1/0, 是/否), but is \(value.jsonText)",
                                           location: "properties.\(fields.basicFarmland)"))
            }
        }

        let village = properties[fields.village]?.identifierText
        let landuse = properties[fields.landuseCode].flatMap(ParcelReader.landuseCode)

        let deductionValues = ParcelReader.deductionValues(properties, fields: fields, problems: &problems)

        var polygons: [Polygon] = []
        switch (feature.geometry, feature.geometryType) {
        case (nil, nil):
            problems.append(Diagnostic(.nullGeometry, "geometry is null: a parcel needs a Polygon or MultiPolygon"))
        case let (nil, type?):
            problems.append(Diagnostic(.emptyGeometry, "geometry is an empty \(type): a parcel needs an area"))
        case let (geometry?, type):
            if let ps = geometry.polygons {
                do {
                    polygons = try normalizer.normalize(ps)
                    let topology = ParcelReader.topologyProblems(polygons, geos: geos)
                    if options.repairInvalid, !topology.isEmpty, let repaired = ParcelReader.repaired(polygons, geos: geos) {
                        let before = (try? engine.area(of: polygons)) ?? .nan
                        let after = (try? engine.area(of: repaired)) ?? .nan
                        problems.append(Diagnostic(
                            .repaired,
                            "repaired with GEOS make-valid (structure method): \(topology.map(\.code.rawValue).joined(separator: ", ")); "
                                + "area as drawn \(fixed(before, 2)) m², after repair \(fixed(after, 2)) m² (change \(fixed(after - before, 2)) m²)",
                            severity: .warning))
                        polygons = repaired
                    } else {
                        problems.append(contentsOf: topology)
                    }
                } catch {
                    problems.append(error)
                }
            } else {
                problems.append(Diagnostic(.notPolygonal, "parcel geometry must be a Polygon or MultiPolygon, this is a \(type ?? geometry.typeName)"))
            }
        }

        if state == nil {
            if let landuse {
                state = options.landuse.state(for: landuse)
            } else if let s = options.defaultState {
                state = s
            } else if options.requireState && !problems.contains(where: { $0.code == .unknownState }) {
                problems.append(Diagnostic(.noState, "the parcel has no state, no land-use code and no --default-state was given"))
            }
        }

        func examined(_ parcel: Parcel? = nil, warnings: [Diagnostic] = [], measureProblem: Diagnostic? = nil) -> Examined {
            Examined(index: feature.index, id: id, idProblems: idProblems, checkDuplicate: checkDuplicate,
                     idHash: checkDuplicate ? id.hashValue : 0, problems: problems,
                     parcel: parcel, warnings: warnings, measureProblem: measureProblem)
        }
        guard !idProblems.contains(where: { $0.severity == .error }), !problems.contains(where: { $0.severity == .error }) else {
            return examined()
        }
        let area: Double
        do { area = try engine.area(of: polygons) } catch {
            var d = Diagnostic(.geometry, "cannot measure the parcel: \(error)", featureIndex: feature.index, featureID: id)
            d.severity = .error
            return examined(measureProblem: d)
        }
        let (deduction, deductionProblems) = deductionValues.deduction(area: area, fields: fields)
        return examined(Parcel(
            id: id, state: state ?? .other, basicFarmland: basicFarmland ?? false, village: village, landuseCode: landuse,
            polygons: polygons, areaSquareMetres: area, properties: kept(properties, text: feature.propertiesText), deduction: deduction,
            source: Parcel.FileSource(featureIndex: feature.index, statesBasicFarmland: basicFarmland != nil,
                                      statesDeduction: deductionValues.stated)),
            warnings: deductionProblems)
    }
}

extension ParcelReader {
    // MARK: Deductions (扣除地类)

    /// A feature's deduction fields as the file gives them (m² and shares).
    struct DeductionValues {
        var ratio: Double?, deducted: Double?, code: String?, official: Double?, net: Double?
        /// The feature gives a coefficient, a deducted area or a code.
        var stated: Bool { ratio != nil || deducted != nil || code != nil }

        /// The deduction (nil when the file records none) and warnings where the file's own
        /// figures disagree: KCMJ with TBMJ × KCXS, TBDLMJ with TBMJ − KCMJ (the survey rounds
        /// each to 0.01 m²).
        func deduction(area: Double, fields: ParcelFields) -> (AreaDeduction?, [Diagnostic]) {
            var warnings: [Diagnostic] = []
            let tolerance = 0.01 + 1e-9
            var share = ratio
            if share == nil, let deducted {
                // Without a coefficient, the deducted area's share of the patch is one.
                let base = official ?? area
                share = base > 0 ? deducted / base : 0
                if share! >= 1 {
                    warnings.append(Diagnostic(.badDeduction, "\(fields.deductionArea!) \(fixed(deducted, 2)) m² is the whole patch (\(fixed(base, 2)) m²): no deduction taken",
                                               severity: .warning))
                    share = 0
                }
            }
            if let ratio, let deducted, let official, abs(official * ratio - deducted) > tolerance {
                warnings.append(Diagnostic(
                    .deductionMismatch, "\(fields.deductionArea!) is \(fixed(deducted, 2)) m², but \(fields.officialArea!) × \(fields.deductionRatio!) is "
                        + "\(fixed(official, 2)) × \(JSONValue.numberText(ratio)) = \(fixed(official * ratio, 2)) m² (the coefficient is used)", severity: .warning))
            }
            if let net, let official {
                let deductedArea = deducted ?? official * (ratio ?? 0)
                if abs(official - deductedArea - net) > tolerance {
                    warnings.append(Diagnostic(
                        .deductionMismatch, "\(fields.netArea!) is \(fixed(net, 2)) m², but \(fields.officialArea!) − deduction is "
                            + "\(fixed(official, 2)) − \(fixed(deductedArea, 2)) = \(fixed(official - deductedArea, 2)) m²", severity: .warning))
                }
            }
            return (AreaDeduction.stored(ratio: share ?? 0, code: code), warnings)
        }
    }

    /// Reads the deduction fields the schema names; a value that is not a number, or a
    /// coefficient outside [0, 1), is an error.
    static func deductionValues(_ properties: JSONObject, fields: ParcelFields, problems: inout [Diagnostic]) -> DeductionValues {
        func number(_ field: String?) -> Double? {
            guard let field, let value = properties[field], value != .null else { return nil }
            switch value {
            case let .number(n) where n.isFinite && n >= 0: return n
            case let .string(s) where s.trimmingCharacters(in: .whitespaces).isEmpty: return nil
            case let .string(s): if let n = Double(s.trimmingCharacters(in: .whitespaces)), n.isFinite, n >= 0 { return n }
            default: break
            }
            problems.append(Diagnostic(.badDeduction, "\"\(field)\" must be a number ≥ 0 (m² or a share), but is \(value.jsonText)",
                                       location: "properties.\(field)"))
            return nil
        }
        var values = DeductionValues(ratio: number(fields.deductionRatio), deducted: number(fields.deductionArea), code: nil,
                                     official: number(fields.officialArea), net: number(fields.netArea))
        if let r = values.ratio, r >= 1 {
            problems.append(Diagnostic(.badDeduction, "\"\(fields.deductionRatio!)\" is \(JSONValue.numberText(r)): a deduction coefficient is a share "
                                           + "below 1 (5 % is written 0.05)", location: "properties.\(fields.deductionRatio!)"))
            values.ratio = nil
        }
        if let field = fields.deductionCode, let code = properties[field].flatMap(landuseCode), !code.isEmpty {
            values.code = code
        }
        return values
    }

    /// GEOS make-valid (structure method), keeping the polygonal parts; nil when nothing with
    /// area is left.
    static func repaired(_ polygons: [Polygon], geos: GEOSContext) -> [Polygon]? {
        let geometry: Geometry = polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
        guard let fixed = try? geos.value(geos.makeValid(geos.geometry(geometry))) else { return nil }
        let parts = fixed.polygonalParts
        return parts.isEmpty ? nil : parts
    }

    /// A GB/T 21010 code as text. One written as a number lost its leading zero: 101 is "0101".
    static func landuseCode(_ value: JSONValue) -> String? {
        if case let .number(n) = value, n >= 0, n < 1000, n == n.rounded() {
            return String(repeating: "0", count: 4 - String(Int(n)).count) + String(Int(n))
        }
        return value.identifierText
    }

    static func flag(_ value: JSONValue) -> Bool? {
        switch value {
        case let .bool(b): return b
        case let .number(n) where n == 0 || n == 1: return n == 1
        case let .string(s):
            switch s.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "yes", "y", "1", "t", "是": return true
            case "false", "no", "n", "0", "f", "否": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// Zero-area rings, then GEOS validity (self-intersection, holes outside shells, overlapping
    /// multipolygon parts, …) with GEOS's own reason and location; a polygon `SimplePolygon`
    /// proves valid does not reach GEOS.
    static func topologyProblems(_ polygons: [Polygon], geos: GEOSContext) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        for (partIndex, polygon) in polygons.enumerated() {
            for (ringIndex, ring) in polygon.rings.enumerated() where ring.isDegenerate {
                let loc = GeometryProblem.locationText(part: polygons.count > 1 ? partIndex : nil, ring: ringIndex)
                problems.append(Diagnostic(.zeroAreaRing, "ring has zero area (its positions lie on one line or repeat)", location: loc))
            }
        }
        // A single simple ring is proved valid without GEOS (most parcels); GEOS for the rest.
        guard problems.isEmpty, !SimplePolygon.isCertainlyValid(polygons) else { return problems }
        let geometry: Geometry = polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
        do {
            let handle = try geos.geometry(geometry)
            let validity = try geos.validity(handle)
            if !validity.isValid {
                let (code, message) = describe(validity.reason ?? "invalid geometry", multipart: polygons.count > 1)
                problems.append(Diagnostic(code, message, point: validity.location))
            }
        } catch {
            problems.append(Diagnostic(.geos, "\(error)"))
        }
        return problems
    }

    /// GEOS's IsValidOp reasons as landtrack codes and planner-readable sentences.
    static func describe(_ reason: String, multipart: Bool) -> (DiagnosticCode, String) {
        switch reason {
        case "Self-intersection":
            return multipart
                ? (.selfIntersection, "self-intersection: a ring crosses itself or another ring, or two parts overlap (GEOS: Self-intersection)")
                : (.selfIntersection, "self-intersection: a ring crosses itself or another ring (GEOS: Self-intersection)")
        case "Ring Self-intersection":
            return (.ringSelfIntersection, "a ring touches itself at a point, pinching the polygon (GEOS: Ring Self-intersection)")
        case "Hole lies outside shell":
            return (.holeOutsideShell, "a hole lies outside its exterior ring (GEOS: Hole lies outside shell)")
        case "Nested shells":
            return (.overlappingParts, "multipolygon parts overlap: one part lies inside another (GEOS: Nested shells)")
        case "Holes are nested":
            return (.nestedHoles, "a hole lies inside another hole (GEOS: Holes are nested)")
        case "Interior is disconnected":
            return (.interiorDisconnected, "holes cut the polygon into pieces (GEOS: Interior is disconnected)")
        case "Duplicate Rings":
            return (.duplicateRings, "two rings are identical (GEOS: Duplicate Rings)")
        case let r where r.hasPrefix("Too few"):
            return (.tooFewPoints, "a ring has too few distinct positions (GEOS: \(r))")
        default:
            return (.invalidGeometry, "invalid geometry (GEOS: \(reason))")
        }
    }
}
