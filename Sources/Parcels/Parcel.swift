import Geometry

/// A land parcel as read from a file: identity, programme attributes, the original properties,
/// and its polygons in longitude/latitude degrees on the geographic CRS of the data.
public struct Parcel: Sendable, Hashable {
    public let id: String
    /// 1-based position of the feature in its file.
    public let featureIndex: Int
    public var state: ParcelState?
    /// Permanent basic farmland (永久基本农田, PBF).
    public var basicFarmland: Bool?
    public var village: String?
    /// GB/T 21010-2017 land-use code, e.g. "0101".
    public var landuseCode: String?
    /// Every property of the feature, as typed JSON values, in file order.
    public var properties: JSONObject
    public var polygons: [Polygon]

    public init(
        id: String, featureIndex: Int, state: ParcelState? = nil, basicFarmland: Bool? = nil,
        village: String? = nil, landuseCode: String? = nil, properties: JSONObject = JSONObject(),
        polygons: [Polygon]
    ) {
        self.id = id
        self.featureIndex = featureIndex
        self.state = state
        self.basicFarmland = basicFarmland
        self.village = village
        self.landuseCode = landuseCode
        self.properties = properties
        self.polygons = polygons
    }

    public var geometry: Geometry {
        polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
    }

    public var vertexCount: Int { polygons.reduce(0) { $0 + $1.vertexCount } }
}

/// The property names a parcel file uses. The defaults are those of the data in
/// `../shared/bench` and of landtrack's own exports; each can be set on the command line.
public struct ParcelFields: Sendable, Hashable {
    public var id = "id"
    public var state = "state"
    public var basicFarmland = "basic_farmland"
    public var village = "village"
    public var landuseCode = "landuse_code"

    public init(id: String = "id", state: String = "state", basicFarmland: String = "basic_farmland",
                village: String = "village", landuseCode: String = "landuse_code") {
        self.id = id
        self.state = state
        self.basicFarmland = basicFarmland
        self.village = village
        self.landuseCode = landuseCode
    }
}
