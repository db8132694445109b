import Foundation
import Geometry
import GRDB

/// A feature of a store layer as web clients see it: id, GeoJSON geometry text, properties.
public struct LayerFeature: Sendable {
    public var id: String
    public var geometryJSON: String
    public var properties: JSONObject
}

/// One page of a layer's features and how many match in all.
public struct LayerPage: Sendable {
    public var features: [LayerFeature]
    public var numberMatched: Int
}

/// The feature layers of a store: `parcels` and the constraint layers.
public enum StoreLayer: Hashable, Sendable, CaseIterable {
    case parcels
    case constraint(ConstraintLayer)

    public static var allCases: [StoreLayer] { [.parcels] + ConstraintLayer.allCases.map { .constraint($0) } }

    public init?(table: String) {
        if table == "parcels" { self = .parcels } else if let c = ConstraintLayer(rawValue: table) { self = .constraint(c) } else { return nil }
    }

    public var table: String {
        switch self {
        case .parcels: "parcels"
        case let .constraint(c): c.rawValue
        }
    }
}

extension ParcelStore {
    /// A page of `layer`'s features whose envelope meets `bbox` (lon/lat; the GeoPackage R*Tree),
    /// in a stable order (parcel id, or feature id). Parcels are those active now, or as they
    /// stood on `asOf` (history reconstructed: state, PBF flag and geometry of that date).
    public func features(of layer: StoreLayer, bbox: Envelope? = nil, limit: Int, offset: Int,
                         asOf: CalendarDate? = nil) throws(LandtrackError) -> LayerPage {
        if layer == .parcels, let asOf {
            let all = try parcels(asOf: asOf).filter { p in
                guard let bbox else { return true }
                return p.polygons.contains { $0.envelope.intersects(bbox) }
            }
            let page = all.dropFirst(offset).prefix(limit)
            return LayerPage(features: page.map(Self.feature), numberMatched: all.count)
        }
        let table = layer.table
        var join = "", arguments: StatementArguments = []
        if let bbox {
            join = "JOIN \"rtree_\(table)_geom\" r ON r.id = t.fid AND r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?"
            arguments = [bbox.minX, bbox.maxX, bbox.minY, bbox.maxY]
        }
        let filter = layer == .parcels ? "WHERE t.active" : "WHERE t.geom IS NOT NULL"
        let order = layer == .parcels ? "t.parcel_id" : "t.fid"
        return try read { db in
            let matched = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\" t \(join) \(filter)", arguments: arguments) ?? 0
            var pageArguments = arguments
            pageArguments += [limit, offset]
            let rows = try Row.fetchAll(db, sql: "SELECT t.* FROM \"\(table)\" t \(join) \(filter) ORDER BY \(order) LIMIT ? OFFSET ?",
                                        arguments: pageArguments)
            let ctx = GEOSContext()
            return LayerPage(features: try rows.map { try Self.feature(layer, $0, ctx) }, numberMatched: matched)
        }
    }

    /// One feature by id (a parcel id, or a constraint layer's feature id), or nil.
    public func feature(of layer: StoreLayer, id: String, asOf: CalendarDate? = nil) throws(LandtrackError) -> LayerFeature? {
        if layer == .parcels {
            if let asOf { return try parcels(asOf: asOf).first { $0.id == id }.map(Self.feature) }
            return try parcel(id).map(Self.feature)
        }
        guard let fid = Int64(id) else { return nil }
        return try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM \"\(layer.table)\" WHERE fid = ? AND geom IS NOT NULL", arguments: [fid])
                .map { try Self.feature(layer, $0, GEOSContext()) }
        }
    }

    /// The layer's extent (lon/lat) from its R*Tree, nil when it is empty.
    public func extent(of layer: StoreLayer) throws(LandtrackError) -> Envelope? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(minx) a, min(miny) b, max(maxx) c, max(maxy) d FROM \"rtree_\(layer.table)_geom\""),
                  let a: Double = row["a"], let b: Double = row["b"], let c: Double = row["c"], let d: Double = row["d"] else { return nil }
            return Envelope(minX: a, minY: b, maxX: c, maxY: d)
        }
    }

    /// The span of the history (first and last effective dates), for a collection's temporal extent.
    public func historySpan() throws(LandtrackError) -> (first: String, last: String)? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(effective_date) a, max(effective_date) b FROM parcel_events"),
                  let a: String = row["a"], let b: String = row["b"] else { return nil }
            return (a, b)
        }
    }

    static func feature(_ p: StoredParcel) -> LayerFeature {
        var o = p.attributes
        o.append("area_method", .string(AreaMethod.geodesic.rawValue))
        // Always MultiPolygon, as the GeoPackage layer: clients that infer a layer type from the first features get one type.
        return LayerFeature(id: p.id, geometryJSON: GeoJSONWriter.geometry(.multiPolygon(MultiPolygon(p.polygons))), properties: o)
    }

    /// A row of `layer`; constraint-layer geometries are read with `ctx` (one per page).
    static func feature(_ layer: StoreLayer, _ row: Row, _ ctx: GEOSContext) throws -> LayerFeature {
        if layer == .parcels { return feature(try storedParcel(row)) }
        let geometry = try GeoPackage.geometry(row["geom"], ctx)
        var o = JSONObject()
        let name: String? = row["name"]
        o.append("name", name.map { .string($0) } ?? .null)
        let propertiesText: String = row["properties"]
        if let extra = (try? JSONValue.parse(propertiesText))?.objectValue {
            for (k, v) in extra.members where k != "name" { o.append(k, v) }
        }
        let fid: Int64 = row["fid"]
        return LayerFeature(id: String(fid), geometryJSON: GeoJSONWriter.geometry(geometry), properties: o)
    }
}
