import Foundation
import Geometry
import GRDB

/// The layers of a store besides `parcels`: constraint layers that checks use.
public enum ConstraintLayer: String, Sendable, CaseIterable {
    /// 城镇开发边界
    case urbanBoundary = "urban_boundary"
    /// 生态保护红线
    case ecoRedline = "eco_redline"
    /// 整治区域
    case programmeArea = "programme_area"
    /// Highways, rivers: contiguity does not cross them.
    case barriers

    var geometryType: String { self == .barriers ? "GEOMETRY" : "MULTIPOLYGON" }
}

/// A parcel as the store holds it now.
public struct StoredParcel: Sendable, Hashable {
    public var id: String
    public var state: ParcelState
    public var basicFarmland: Bool
    public var village: String?
    public var landuseCode: String?
    public var areaSquareMetres: Double
    public var active: Bool
    public var polygons: [Polygon]
    public var properties: JSONObject
}

extension StoredParcel {
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
        return o
    }
}

/// One entry of a parcel's history. Never changed once written.
public struct ParcelEvent: Sendable, Hashable {
    public enum Kind: String, Sendable { case imported = "import", updated = "import-update", transition, pbf, split, merge }
    public var eventID: Int64
    public var parcelID: String
    public var kind: Kind
    public var fromState: ParcelState?
    public var toState: ParcelState?
    public var pbfBefore: Bool?
    public var pbfAfter: Bool?
    public var effectiveDate: CalendarDate
    public var recordedAt: String
    public var recordedBy: String
    public var ref: String?
    public var note: String?
    public var ruleID: String?
}

/// The embedded store: one GeoPackage 1.3 file that QGIS and GDAL open as it is.
///
/// Layers: `parcels` (features: the current state of every parcel ever imported, retired ones
/// included), `parcel_events` (attributes: the append-only history, enforced by triggers),
/// `parcel_lineage` (attributes: split/merge parents and children), and the constraint layers.
/// The database is reached only inside GRDB `read {}` / `write {}`; every write is one
/// transaction, and readers (WAL) keep reading while an import writes.
public final class ParcelStore: Sendable {
    public let path: String
    let pool: DatabasePool

    /// The schema, one explicit migration at a time. Never edit a shipped migration: add one.
    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        m.registerMigration("v1: GeoPackage core, parcels, events, lineage, constraint layers") { db in
            try GeoPackage.createCoreTables(db)
            try GeoPackage.createFeatureTable(
                db, name: "parcels", geometryType: "MULTIPOLYGON", srsID: 4326,
                columns: """
                    parcel_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL, basic_farmland BOOLEAN NOT NULL DEFAULT 0,
                    village TEXT, landuse_code TEXT, area_m2 DOUBLE NOT NULL,
                    active BOOLEAN NOT NULL DEFAULT 1, properties TEXT NOT NULL DEFAULT '{}'
                    """,
                description: "land parcels of the consolidation programme (current state; history in parcel_events)")
            try db.execute(sql: """
                CREATE TABLE parcel_events (
                  event_id INTEGER PRIMARY KEY AUTOINCREMENT, parcel_id TEXT NOT NULL, kind TEXT NOT NULL,
                  from_state TEXT, to_state TEXT, pbf_before BOOLEAN, pbf_after BOOLEAN,
                  effective_date DATE NOT NULL, recorded_at DATETIME NOT NULL, recorded_by TEXT NOT NULL,
                  ref TEXT, note TEXT, rule_id TEXT, previous_geom BLOB, previous_attributes TEXT);
                CREATE INDEX parcel_events_parcel ON parcel_events (parcel_id, effective_date, event_id);
                CREATE TRIGGER parcel_events_append_only_update BEFORE UPDATE ON parcel_events
                  BEGIN SELECT RAISE(ABORT, 'parcel_events is append-only'); END;
                CREATE TRIGGER parcel_events_append_only_delete BEFORE DELETE ON parcel_events
                  BEGIN SELECT RAISE(ABORT, 'parcel_events is append-only'); END;
                CREATE TABLE parcel_lineage (lineage_id INTEGER PRIMARY KEY AUTOINCREMENT, parent_id TEXT NOT NULL, child_id TEXT NOT NULL, event_id INTEGER NOT NULL,
                  kind TEXT NOT NULL);
                """)
            try GeoPackage.registerAttributesTable(db, name: "parcel_events", description: "append-only history of every parcel")
            try GeoPackage.registerAttributesTable(db, name: "parcel_lineage", description: "split/merge lineage")
            for layer in ConstraintLayer.allCases {
                try GeoPackage.createFeatureTable(
                    db, name: layer.rawValue, geometryType: layer.geometryType, srsID: 4326,
                    columns: "name TEXT, properties TEXT NOT NULL DEFAULT '{}'", description: "constraint layer \(layer.rawValue)")
            }
        }
        m.registerMigration("v2: access tokens for landtrack serve") { db in
            // Not registered in gpkg_contents: no layer for GIS clients, only for the server.
            try db.execute(sql: """
                CREATE TABLE landtrack_tokens (
                  token_id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL,
                  role TEXT NOT NULL CHECK (role IN ('viewer', 'planner')), token_sha256 TEXT NOT NULL UNIQUE,
                  created_at DATETIME NOT NULL, revoked_at DATETIME);
                """)
        }
        return m
    }()

    /// Opens the store at `path`; creates it when `create` and there is no file.
    /// Refuses, saying why, a file that is not a GeoPackage, a GeoPackage that is not a landtrack
    /// store, and a store made by a newer landtrack. `readOnly` stores never take the write lock,
    /// so they open and read while another process imports.
    public init(path: String, create: Bool = false, readOnly: Bool = false) throws(LandtrackError) {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        guard exists || create else {
            throw .io(path: path, message: "no store here; import parcels first: landtrack import FILE --db \(path)")
        }
        var config = Configuration()
        config.prepareDatabase { db in
            GeoPackage.registerFunctions(db)
        }
        // A writer waits a little for another one, then says the store is locked.
        config.busyMode = .timeout(3)
        config.readonly = readOnly && exists
        do {
            if exists { try Self.checkIsLandtrackStore(path) }
            pool = try DatabasePool(path: path, configuration: config)
            // Read first: opening a store must not wait for a writer (an import in progress).
            let (complete, superseded, applied) = try pool.read { db in
                (try Self.migrator.hasCompletedMigrations(db), try Self.migrator.hasBeenSuperseded(db),
                 try Self.migrator.appliedIdentifiers(db))
            }
            if superseded {
                throw LandtrackError.io(path: path, message: "this store was written by a newer landtrack; upgrade landtrack to use it")
            }
            // Reading needs the v1 schema only (later migrations add what the server writes).
            let readable = applied.contains { $0.hasPrefix("v1:") }
            if !complete && config.readonly && !readable {
                throw LandtrackError.io(path: path, message: "this store was written by an older landtrack; any writing command (e.g. an import) upgrades it")
            }
            if !complete && !config.readonly {
                try Self.migrator.migrate(pool)
                try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            }
        } catch let error as LandtrackError {
            throw error
        } catch {
            throw Self.describe(error, path: path)
        }
    }

    /// Reads the header and tables of an existing file without changing it.
    private static func checkIsLandtrackStore(_ path: String) throws {
        var config = Configuration()
        config.readonly = true
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.read { db in
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                guard appID == GeoPackage.applicationID else {
                    throw LandtrackError.io(path: path, message: "not a GeoPackage (SQLite application_id is \(appID), not GPKG)")
                }
                let migrations = try db.tableExists("grdb_migrations")
                guard migrations, try db.tableExists("parcel_events") else {
                    throw LandtrackError.io(path: path, message: "a GeoPackage, but not a landtrack store (it has no parcel_events table); give a new --db path")
                }
            }
        } catch let error as LandtrackError {
            throw error
        } catch {
            throw LandtrackError.io(path: path, message: "not a GeoPackage: \(error)")
        }
    }

    /// SQLite errors in words a planner can act on.
    static func describe(_ error: any Error, path: String) -> LandtrackError {
        if let e = error as? LandtrackError { return e }
        if let db = error as? DatabaseError {
            switch db.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return .io(path: path, message: "the store is locked by another landtrack process (try again when it has finished)")
            case .SQLITE_NOTADB:
                return .io(path: path, message: "not a GeoPackage (not an SQLite database)")
            case .SQLITE_READONLY:
                return .io(path: path, message: "the store is read-only")
            default:
                return .io(path: path, message: "database error: \(db.message ?? db.description)")
            }
        }
        return .io(path: path, message: "\(error)")
    }

    /// Runs a write transaction, mapping database errors; then checkpoints the WAL so that the
    /// file itself is a complete GeoPackage between commands (tools that read the file header
    /// directly, like GDAL's validator, do not look into the -wal file).
    func write<T>(_ body: (Database) throws -> T) throws(LandtrackError) -> T {
        do {
            let result = try pool.write(body)
            try? pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            return result
        } catch {
            throw Self.describe(error, path: path)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(LandtrackError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw Self.describe(error, path: path)
        }
    }

    // MARK: CRS of the store

    /// The srs_id of the parcels layer (EPSG code of the positions' geographic CRS).
    public func srsID() throws(LandtrackError) -> Int32 {
        try read { db in
            try Int32.fetchOne(db, sql: "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'parcels'") ?? 4326
        }
    }

    /// Sets the CRS of every layer while the store is still empty (the first import decides).
    static func adoptCRS(_ db: Database, _ crs: CoordinateReferenceSystem) throws -> Int32 {
        let current = try Int32.fetchOne(db, sql: "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'parcels'") ?? 4326
        guard let code = crs.epsgCode, Int32(code) != current else { return current }
        let empty = try Int.fetchOne(db, sql: "SELECT count(*) FROM parcel_events") == 0
        // WGS 84 and CGCS2000 positions differ by centimetres: a store keeps the CRS it started with.
        guard empty else { return current }
        let srs = try GeoPackage.addSRS(db, crs)
        try db.execute(sql: "UPDATE gpkg_geometry_columns SET srs_id = ?", arguments: [srs])
        try db.execute(sql: "UPDATE gpkg_contents SET srs_id = ? WHERE data_type = 'features'", arguments: [srs])
        return srs
    }

    public func ellipsoid() throws(LandtrackError) -> CoordinateReferenceSystem {
        let code = try srsID()
        return code == 4326 ? .crs84 : try .resolve("EPSG:\(code)")
    }

    // MARK: Reading parcels

    static func storedParcel(_ row: Row) throws -> StoredParcel {
        let blob: Data = row["geom"]
        let propertiesText: String = row["properties"]
        let properties = (try? JSONValue.parse(propertiesText))?.objectValue ?? JSONObject()
        let stateText: String = row["state"]
        return StoredParcel(
            id: row["parcel_id"], state: ParcelState(rawValue: stateText) ?? .other, basicFarmland: row["basic_farmland"],
            village: row["village"], landuseCode: row["landuse_code"], areaSquareMetres: row["area_m2"],
            active: row["active"], polygons: try GeoPackage.polygons(blob), properties: properties)
    }

    /// The parcel as it is now.
    public func parcel(_ id: String) throws(LandtrackError) -> StoredParcel? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM parcels WHERE parcel_id = ?", arguments: [id]).map(Self.storedParcel)
        }
    }

    /// The parcel's history, oldest first.
    public func history(_ id: String) throws(LandtrackError) -> [ParcelEvent] {
        try read { db in try Self.events(db, parcel: id) }
    }

    /// Every parcel's history up to `through` (nil: all of it), oldest first: one query, for
    /// views that show many parcels' histories at once (the map).
    public func histories(through: CalendarDate? = nil) throws(LandtrackError) -> [String: [ParcelEvent]] {
        try read { db in
            var out: [String: [ParcelEvent]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT * FROM parcel_events WHERE ? IS NULL OR effective_date <= ? ORDER BY effective_date, event_id
                """, arguments: [through?.description, through?.description])
            while let row = try rows.next() {
                let e = try Self.event(row)
                out[e.parcelID, default: []].append(e)
            }
            return out
        }
    }

    static func events(_ db: Database, parcel id: String) throws -> [ParcelEvent] {
        try Row.fetchAll(db, sql: "SELECT * FROM parcel_events WHERE parcel_id = ? ORDER BY effective_date, event_id", arguments: [id]).map(event)
    }

    private static func event(_ row: Row) throws -> ParcelEvent {
        let dateText: String = row["effective_date"]
        let kindText: String = row["kind"]
        let from: String? = row["from_state"]
        let to: String? = row["to_state"]
        return ParcelEvent(
            eventID: row["event_id"], parcelID: row["parcel_id"], kind: ParcelEvent.Kind(rawValue: kindText) ?? .updated,
            fromState: from.flatMap(ParcelState.init(rawValue:)), toState: to.flatMap(ParcelState.init(rawValue:)),
            pbfBefore: row["pbf_before"], pbfAfter: row["pbf_after"],
            effectiveDate: try CalendarDate(parsing: dateText), recordedAt: row["recorded_at"], recordedBy: row["recorded_by"],
            ref: row["ref"], note: row["note"], ruleID: row["rule_id"])
    }

    /// Parcels as they stood on `asOf` (nil: now), optionally only those in `state`.
    /// A parcel exists on a date from its first event on (until a split or merge retires it);
    /// its state and PBF flag are those of its last event on or before that date, and its
    /// geometry the one it had then (kept in the first later event that replaced it).
    public func parcels(asOf: CalendarDate? = nil, state: ParcelState? = nil) throws(LandtrackError) -> [StoredParcel] {
        let engine = GeodesicAreaEngine(ellipsoid: try ellipsoid().ellipsoid)
        return try read { db in
            // The history up to the date, and the geometries replaced after it: two queries.
            var history: [String: [Row]] = [:]
            var replaced: [String: Data] = [:]
            if let asOf {
                let date = asOf.description
                for row in try Row.fetchAll(db, sql: """
                    SELECT parcel_id, kind, to_state, pbf_after FROM parcel_events WHERE effective_date <= ?
                    ORDER BY effective_date, event_id
                    """, arguments: [date]) {
                    history[row["parcel_id"], default: []].append(row)
                }
                for row in try Row.fetchAll(db, sql: """
                    SELECT parcel_id, previous_geom FROM parcel_events WHERE effective_date > ? AND previous_geom IS NOT NULL
                    ORDER BY effective_date DESC, event_id DESC
                    """, arguments: [date]) {
                    // Descending: the earliest replacement is written last and wins.
                    replaced[row["parcel_id"]] = row["previous_geom"]
                }
            }
            var out: [StoredParcel] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM parcels ORDER BY parcel_id")
            while let row = try rows.next() {
                var p = try Self.storedParcel(row)
                if asOf != nil {
                    guard let events = history[p.id] else { continue }
                    var exists = true
                    for e in events {
                        let to: String? = e["to_state"]
                        let pbf: Bool? = e["pbf_after"]
                        let kind: String = e["kind"]
                        if let to, let s = ParcelState(rawValue: to) { p.state = s }
                        if let pbf { p.basicFarmland = pbf }
                        if kind == ParcelEvent.Kind.split.rawValue || kind == ParcelEvent.Kind.merge.rawValue { exists = to != nil }
                    }
                    guard exists else { continue }
                    if let previous = replaced[p.id] {
                        p.polygons = try GeoPackage.polygons(previous)
                        p.areaSquareMetres = try engine.area(of: p.polygons)
                    }
                } else if !p.active {
                    continue
                }
                if let state, p.state != state { continue }
                out.append(p)
            }
            return out
        }
    }

    /// The features of a constraint layer: name and geometry (longitude/latitude).
    public func layer(_ layer: ConstraintLayer) throws(LandtrackError) -> [(name: String?, geometry: Geometry)] {
        let rows: [(String?, Data)] = try read { db in
            try Row.fetchAll(db, sql: "SELECT name, geom FROM \"\(layer.rawValue)\" WHERE geom IS NOT NULL").map { ($0["name"], $0["geom"]) }
        }
        let ctx = GEOSContext()
        var out: [(name: String?, geometry: Geometry)] = []
        for (name, blob) in rows {
            out.append((name, try GeoPackage.geometry(blob, ctx)))
        }
        return out
    }

    /// The date of the first event in the store, or of the first event with programme
    /// reference `ref` (the start of a programme's record).
    public func firstEventDate(ref: String? = nil) throws(LandtrackError) -> CalendarDate? {
        let text: String? = try read { db in
            if let ref { return try String.fetchOne(db, sql: "SELECT min(effective_date) FROM parcel_events WHERE ref = ?", arguments: [ref]) }
            return try String.fetchOne(db, sql: "SELECT min(effective_date) FROM parcel_events")
        }
        return try text.map { (t: String) throws(LandtrackError) in try CalendarDate(parsing: t) }
    }

    /// Ids of the parcels with an event of programme `ref` in (from, to].
    public func parcels(withEventsOf ref: String, after from: CalendarDate, through to: CalendarDate) throws(LandtrackError) -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: "SELECT DISTINCT parcel_id FROM parcel_events WHERE ref = ? AND effective_date > ? AND effective_date <= ?",
                                    arguments: [ref, from.description, to.description]))
        }
    }

    /// Counts of rows per layer (for summaries and tests).
    public func counts() throws(LandtrackError) -> [String: Int] {
        try read { db in
            var out: [String: Int] = [:]
            for table in ["parcels", "parcel_events", "parcel_lineage"] + ConstraintLayer.allCases.map(\.rawValue) {
                out[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\"") ?? 0
            }
            return out
        }
    }
}

