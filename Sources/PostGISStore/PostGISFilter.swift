import Geometry
import Store

/// A `FeatureFilter` as PostgreSQL SQL: every value a numbered parameter (`$n`), never text in
/// the statement; areas tested exactly by PostGIS's `ST_Intersects` (on the GiST index).
struct PostGISFilter {
    /// Over the parcels table as `t` (now), or over the as-of subquery as `q`, whose
    /// `state_then`, `pbf_then` and `geom_then` hold the values of the date when they differ.
    let asOf: Bool
    let srid: Int
    /// The values of `$first`, `$first + 1`, …
    private(set) var values: [PGValue] = []
    let first: Int

    init(asOf: Bool, first: Int, srid: Int) {
        self.asOf = asOf
        self.first = first
        self.srid = srid
    }

    /// The SQL expression of a queryable.
    func column(_ q: Queryable) -> String {
        let t = asOf ? "q" : "t"
        return switch q {
        case .id: "\(t).parcel_id"
        case .state: asOf ? "coalesce(q.state_then, q.state)" : "t.state"
        case .basicFarmland: asOf ? "coalesce(q.pbf_then, q.basic_farmland)" : "t.basic_farmland"
        case .village: "\(t).village"
        case .landuseCode: "\(t).landuse_code"
        case .areaSquareMetres: "\(t).area_m2"
        }
    }

    /// The SQL expression of the parcel's geometry.
    var geometry: String { asOf ? "coalesce(q.geom_then, q.geom)" : "t.geom" }

    mutating func sql(_ filter: FeatureFilter) -> String {
        switch filter {
        case let .and(fs): return fs.isEmpty ? "true" : "(" + fs.map { sql($0) }.joined(separator: " AND ") + ")"
        case let .or(fs): return fs.isEmpty ? "false" : "(" + fs.map { sql($0) }.joined(separator: " OR ") + ")"
        case let .not(f): return "(NOT \(sql(f)))"
        case let .compare(q, op, v): return "(\(column(q)) \(op.rawValue) \(bind(v)))"
        case let .isIn(q, vs): return vs.isEmpty ? "false" : "(\(column(q)) IN (" + vs.map { bind($0) }.joined(separator: ", ") + "))"
        case let .like(q, pattern):
            // CQL2 LIKE and PostgreSQL LIKE agree: % and _, case-sensitive, backslash escapes.
            return "(\(column(q)) LIKE \(bind(.text(pattern))))"
        case let .isNull(q): return "(\(column(q)) IS NULL)"
        case let .intersects(area):
            values.append(.bytes(area.wkb))
            return "ST_Intersects(\(geometry), ST_GeomFromWKB($\(first + values.count - 1)::bytea, \(srid)))"
        }
    }

    private mutating func bind(_ value: FilterValue) -> String {
        let cast: String
        switch value {
        case let .text(s): values.append(.text(s)); cast = "text"
        case let .number(n): values.append(PGValue(n)); cast = "float8"
        case let .boolean(b): values.append(PGValue(b)); cast = "boolean"
        }
        return "$\(first + values.count - 1)::\(cast)"
    }
}
