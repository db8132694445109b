import Geometry
import Store

/// A `FeatureFilter` as PostgreSQL SQL: every value a numbered parameter (`$n`), never text in
/// the statement; areas tested exactly by PostGIS's `ST_Intersects` (on the GiST index).
struct PostGISFilter {
    let column: (Queryable) -> String
    let geometry: String
    let srid: Int
    /// The values of `$first`, `$first + 1`, …
    private(set) var values: [PGValue] = []
    let first: Int

    init(first: Int, srid: Int, geometry: String, column: @escaping (Queryable) -> String) {
        self.first = first
        self.srid = srid
        self.geometry = geometry
        self.column = column
    }

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
