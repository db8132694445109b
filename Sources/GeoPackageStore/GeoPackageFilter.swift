import Foundation
import Geometry
import GRDB
import Store

/// A `FeatureFilter` as SQLite SQL over the parcels table: every value is a named argument
/// (`:f0`, `:f1`, …), never text in the statement. Areas are tested exactly by GEOS through a
/// function registered on the connection for the one statement (`landtrack_meets_N(geom)`),
/// after an envelope test on the geometry's header.
struct GeoPackageFilter {
    /// Over the parcels table as `t` (now), or over the as-of subquery as `q`, whose
    /// `state_then`, `pbf_then` and `geom_then` hold the values of the date when they differ.
    let asOf: Bool
    private(set) var arguments: [String: (any DatabaseValueConvertible)?] = [:]
    private(set) var areas: [(name: String, area: SpatialArea)] = []

    init(asOf: Bool) { self.asOf = asOf }

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
        case let .and(fs): return fs.isEmpty ? "1" : "(" + fs.map { sql($0) }.joined(separator: " AND ") + ")"
        case let .or(fs): return fs.isEmpty ? "0" : "(" + fs.map { sql($0) }.joined(separator: " OR ") + ")"
        case let .not(f): return "(NOT \(sql(f)))"
        case let .compare(q, op, v): return "(\(column(q)) \(op.rawValue) \(bind(v)))"
        case let .isIn(q, vs): return vs.isEmpty ? "0" : "(\(column(q)) IN (" + vs.map { bind($0) }.joined(separator: ", ") + "))"
        case let .like(q, pattern):
            // SQLite's LIKE ignores ASCII case; CQL2's does not: GLOB is case-sensitive, so the
            // pattern is rewritten into GLOB's syntax (* ? and [x] for a literal).
            return "(\(column(q)) GLOB \(bind(.text(Self.glob(pattern)))))"
        case let .isNull(q): return "(\(column(q)) IS NULL)"
        case let .intersects(area):
            let name = "landtrack_meets_\(areas.count)"
            areas.append((name, area))
            let e = area.envelope
            return "(ST_MaxX(\(geometry)) >= \(bind(.number(e.minX))) AND ST_MinX(\(geometry)) <= \(bind(.number(e.maxX)))"
                + " AND ST_MaxY(\(geometry)) >= \(bind(.number(e.minY))) AND ST_MinY(\(geometry)) <= \(bind(.number(e.maxY)))"
                + " AND \(name)(\(geometry)))"
        }
    }

    private mutating func bind(_ value: FilterValue) -> String {
        let name = "f\(arguments.count)"
        switch value {
        case let .text(s): arguments[name] = s
        case let .number(n): arguments[name] = n
        case let .boolean(b): arguments[name] = b
        }
        return ":" + name
    }

    /// A CQL2 LIKE pattern (`%`, `_`, `\` escape) as a GLOB pattern (`*`, `?`, `[c]` for a
    /// literal `*`, `?` or `[`).
    static func glob(_ like: String) -> String {
        var out = "", escaped = false
        for c in like {
            if escaped {
                out += "*?[".contains(c) ? "[\(c)]" : String(c)
                escaped = false
                continue
            }
            switch c {
            case "\\": escaped = true
            case "%": out += "*"
            case "_": out += "?"
            case "*", "?", "[": out += "[\(c)]"
            default: out.append(c)
            }
        }
        return out
    }

    /// Registers the GEOS tests of this filter's areas on `db` for `body`, then removes them.
    /// The prepared geometries and their GEOS context live only in this synchronous scope.
    func withAreaFunctions<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        if areas.isEmpty { return try body() }
        let ctx = GEOSContext()
        var functions: [DatabaseFunction] = []
        for (name, area) in areas {
            let test = AreaTest(try GEOSPreparedGeometry(try ctx.readWKB(area.wkb)))
            let function = DatabaseFunction(name, argumentCount: 1, pure: true) { values -> Bool? in
                guard case let .blob(data) = values[0].storage else { return nil }
                return try test.meets(try GeoPackage.wkb(data))
            }
            db.add(function: function)
            functions.append(function)
        }
        defer { for f in functions { db.remove(function: f) } }
        return try body()
    }
}

/// One area's prepared geometry, called by SQLite on the thread running the statement that
/// registered it, and dropped when that statement's read ends: never used by two threads.
private final class AreaTest: @unchecked Sendable {
    let prepared: GEOSPreparedGeometry

    init(_ prepared: GEOSPreparedGeometry) { self.prepared = prepared }

    func meets(_ wkb: [UInt8]) throws -> Bool {
        try prepared.intersects(try prepared.source.context.readWKB(wkb))
    }
}
