import Geometry
import Parcels

/// A condition on the parcels layer, as values (OGC API – Features Part 3 and the simple
/// property filters of Part 1): the server parses a request into it, each backend turns it into
/// its own SQL with every value a bound parameter, never text spliced into SQL.
public indirect enum FeatureFilter: Sendable, Hashable {
    case and([FeatureFilter])
    case or([FeatureFilter])
    case not(FeatureFilter)
    /// `property op value`. A comparison with a missing value (NULL) is unknown, and so is its
    /// `NOT`: such a parcel is selected by neither (SQL's and CQL2's three-valued logic; test
    /// `IS NULL` to find them).
    case compare(Queryable, Comparison, FilterValue)
    case isIn(Queryable, [FilterValue])
    /// CQL2 LIKE: `%` any run of characters, `_` one character, `\` escapes the next one;
    /// case-sensitive.
    case like(Queryable, String)
    case isNull(Queryable)
    /// The parcel's geometry meets this area (storage CRS, longitude/latitude).
    case intersects(SpatialArea)

    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    /// The queryables this filter reads (to refuse those a request cannot use).
    public var queryables: Set<Queryable> {
        switch self {
        case let .and(fs), let .or(fs): fs.reduce(into: Set()) { $0.formUnion($1.queryables) }
        case let .not(f): f.queryables
        case let .compare(q, _, _), let .isIn(q, _), let .like(q, _), let .isNull(q): [q]
        case .intersects: []
        }
    }
}

/// A parcel property a filter may test, named as the feature's property.
public enum Queryable: String, Sendable, Hashable, CaseIterable {
    case id
    case state
    case basicFarmland = "basic_farmland"
    case village
    case landuseCode = "landuse_code"
    case areaSquareMetres = "area_m2"

    public enum Kind: Sendable { case text, boolean, number }

    public var kind: Kind {
        switch self {
        case .id, .state, .village, .landuseCode: .text
        case .basicFarmland: .boolean
        case .areaSquareMetres: .number
        }
    }

    /// What the property is (the queryables document and error messages).
    public var about: String {
        switch self {
        case .id: "the parcel id"
        case .state: "state: " + ParcelState.allCases.map(\.rawValue).joined(separator: ", ")
        case .basicFarmland: "permanent basic farmland (永久基本农田)"
        case .village: "the village"
        case .landuseCode: "land-use code (GB/T 21010)"
        case .areaSquareMetres: "geodesic area, m² (not with datetime: areas of replaced geometries are computed, not stored)"
        }
    }
}

/// A literal in a filter.
public enum FilterValue: Sendable, Hashable {
    case text(String)
    case number(Double)
    case boolean(Bool)
}

/// An area to intersect, in the store's CRS (longitude/latitude): its polygons and envelope.
public struct SpatialArea: Sendable, Hashable {
    public let polygons: [Polygon]
    public let envelope: Envelope

    public init(polygons: [Polygon]) throws(LandtrackError) {
        guard var e = polygons.first?.envelope else { throw .invalidArgument("an empty area cannot be intersected") }
        for p in polygons.dropFirst() { e = e.union(p.envelope) }
        self.polygons = polygons
        self.envelope = e
    }

    /// The area as ISO WKB (a multipolygon), as backends hand it to their spatial functions.
    public var wkb: [UInt8] { WKB.multiPolygon(polygons) }
}
