import Foundation
import Geometry
import GRDB
import Parcels
import Store

/// The embedded store: one GeoPackage 1.3 file that QGIS and GDAL open as it is.
///
/// Layers: `parcels` (features: the current state of every parcel ever imported, retired ones
/// included), `parcel_events` (attributes: the append-only history, enforced by triggers),
/// `parcel_lineage` (attributes: split/merge parents and children), and the constraint layers.
/// The database is reached only inside GRDB `read {}` / `write {}`; every write is one
/// transaction, and readers (WAL) keep reading while an import writes.
public final class GeoPackageStore: ParcelStore {
    public let path: String
    public var location: String { path }
    let pool: DatabasePool
    /// The file's device and inode when it was opened: a write first checks the path still
    /// names that file (a deleted or replaced store would take the write into a file no one sees).
    private let identity: FileIdentity?

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
                    db, name: layer.rawValue, geometryType: layer.acceptsLines ? "GEOMETRY" : "MULTIPOLYGON", srsID: 4326,
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
        m.registerMigration("v3: the survey's deduction (扣除地类) of each parcel") { db in
            // Appended after `properties`: rows keep the v1 column positions, the two new ones follow.
            try db.execute(sql: """
                ALTER TABLE parcels ADD COLUMN deduction_ratio DOUBLE NOT NULL DEFAULT 0 CHECK (deduction_ratio >= 0 AND deduction_ratio < 1);
                ALTER TABLE parcels ADD COLUMN deduction_code TEXT;
                """)
        }
        m.registerMigration("v4: the fingerprint of the last clean import") { db in
            // Not in gpkg_contents (no layer for GIS clients). The triggers forget the fingerprint
            // whenever anyone (QGIS included) updates or deletes a parcel row: a re-import may
            // then skip reading only while every stored parcel is as the import left it. No
            // insert trigger: a new row cannot be one of the file's parcels (their ids are taken),
            // and one made a first import 16 % slower. (SQL's INSERT OR REPLACE deletes without
            // firing delete triggers; GDAL and QGIS update with UPDATE.)
            try db.execute(sql: """
                CREATE TABLE landtrack_import_fingerprint (
                  only_row INTEGER PRIMARY KEY CHECK (only_row = 1), source TEXT NOT NULL, file_sha256 TEXT NOT NULL,
                  file_bytes INTEGER NOT NULL, read_options TEXT NOT NULL, parcels INTEGER NOT NULL,
                  official_area_field TEXT, official_areas_checked INTEGER NOT NULL, recorded_at DATETIME NOT NULL);
                CREATE TRIGGER landtrack_parcels_update_forgets_import AFTER UPDATE ON parcels
                  BEGIN DELETE FROM landtrack_import_fingerprint; END;
                CREATE TRIGGER landtrack_parcels_delete_forgets_import AFTER DELETE ON parcels
                  BEGIN DELETE FROM landtrack_import_fingerprint; END;
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
        guard exists || create else { throw .store(location: path, .missing) }
        var config = Configuration()
        config.prepareDatabase { db in
            GeoPackage.registerFunctions(db)
            // Statement journals (an insert that fires the R*Tree triggers keeps one, to undo
            // itself alone) in memory, not in a temporary file: a 100k-parcel import wrote
            // 1.3 s less to the file system (6.1 → 4.9 s). The store's queries sort by indexes,
            // so no large temporary sort ends up in memory instead.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // A new store's pages are 16 KiB, not 4: a first import writes a quarter of the
            // pages (100k parcels: 0.96 → 0.87 s, half the system time); 64 KiB bought nothing
            // more. Only before the file has its first table does this set anything.
            if !exists { try db.execute(sql: "PRAGMA page_size = 16384") }
        }
        // A writer waits a little for another one, then says the store is locked.
        config.busyMode = .timeout(3)
        config.readonly = readOnly && exists
        do {
            if exists { Self.rollBackInterruptedWrite(path) }
            if exists { try Self.checkIsLandtrackStore(path) }
            pool = try DatabasePool(path: path, configuration: config)
            // Read first: opening a store must not wait for a writer (an import in progress).
            let (complete, superseded, applied) = try pool.read { db in
                (try Self.migrator.hasCompletedMigrations(db), try Self.migrator.hasBeenSuperseded(db),
                 try Self.migrator.appliedIdentifiers(db))
            }
            if superseded { throw LandtrackError.store(location: path, .newerSchema) }
            // Reading needs the v1 schema only (later migrations add what the server writes).
            let readable = applied.contains { $0.hasPrefix("v1:") }
            if !complete && config.readonly && !readable { throw LandtrackError.store(location: path, .olderSchema) }
            if !complete && !config.readonly {
                try Self.migrator.migrate(pool)
                try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            }
            identity = FileIdentity(path: path)
        } catch let error as LandtrackError {
            throw error
        } catch {
            throw Self.describe(error, path: path)
        }
    }

    /// A write that ended with its process (a first import killed midway, written through
    /// SQLite's rollback journal: `writeMany`) leaves a journal beside the file, and only a
    /// connection that may write takes the file back to what it was before; a read-only one
    /// cannot read it until then. So one reads it first here, when there is a journal. A
    /// journal of a write still running is not touched by SQLite (its process holds the lock).
    private static func rollBackInterruptedWrite(_ path: String) {
        guard FileManager.default.fileExists(atPath: path + "-journal") else { return }
        var config = Configuration()
        config.busyMode = .timeout(3)
        // Errors are left to the checks that follow, which name them.
        _ = try? DatabaseQueue(path: path, configuration: config).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
    }

    /// Reads the header and tables of an existing file without changing it.
    private static func checkIsLandtrackStore(_ path: String) throws {
        var config = Configuration()
        config.readonly = true
        // Waits as every other connection does: in WAL mode a reader without a busy handler is
        // told SQLITE_BUSY while another connection briefly holds the WAL's locks (recovering
        // the WAL index, cleaning up as it closes), and a store opened beside running writers
        // was refused as locked (seen once in the concurrent writers' test).
        config.busyMode = .timeout(3)
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.read { db in
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                guard appID == GeoPackage.applicationID else {
                    throw LandtrackError.store(location: path, .notAStore("not a GeoPackage (SQLite application_id is \(appID), not GPKG)"))
                }
                let migrations = try db.tableExists("grdb_migrations")
                guard migrations, try db.tableExists("parcel_events") else {
                    throw LandtrackError.store(location: path, .notAStore(
                        "a GeoPackage, but not a landtrack store (it has no parcel_events table); give a new --db path"))
                }
            }
        } catch let error as LandtrackError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            // Another process writes it without the WAL (a first import): readable once it is done.
            throw LandtrackError.store(location: path, .locked)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT {
            throw LandtrackError.store(location: path, .corrupt("SQLite cannot read it (\(error.message ?? "malformed")): the file was cut short or overwritten; restore it from a copy"))
        } catch {
            throw LandtrackError.store(location: path, .notAStore("not a GeoPackage: \(error)"))
        }
    }

    /// SQLite errors as the store failures they are.
    static func describe(_ error: any Error, path: String) -> LandtrackError {
        if let e = error as? LandtrackError { return e }
        if let db = error as? DatabaseError {
            switch db.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: return .store(location: path, .locked)
            case .SQLITE_NOTADB: return .store(location: path, .notAStore("not a GeoPackage (not an SQLite database)"))
            case .SQLITE_READONLY: return .store(location: path, .readOnly)
            case .SQLITE_CORRUPT: return .store(location: path, .corrupt(db.message ?? "the database file is malformed"))
            default: return .store(location: path, .database(db.message ?? db.description))
            }
        }
        return .store(location: path, .database("\(error)"))
    }

    /// Runs a read, mapping database errors.
    func read<T>(_ body: (Database) throws -> T) throws(LandtrackError) -> T {
        do {
            return try pool.read(body)
        } catch {
            // A reader opened after the file was deleted or replaced (the pool's readers are
            // closed by `writeMany`, then opened again by path) fails on what is at the path now.
            if let identity, FileIdentity(path: path) != identity { throw .store(location: path, .replaced) }
            throw Self.describe(error, path: path)
        }
    }

    /// One write transaction; then the WAL is checkpointed so that the file itself is a complete
    /// GeoPackage between commands (tools that read the file header directly, like GDAL's
    /// validator, do not look into the -wal file).
    public func write<T>(_ body: (any StoreTransaction) throws(LandtrackError) -> T) throws(LandtrackError) -> T {
        if let identity, FileIdentity(path: path) != identity { throw .store(location: path, .replaced) }
        do {
            let result = try pool.write { db -> T in
                let tx = try GeoPackageTransaction(db, path: path)
                let result = try body(tx)
                try tx.finish()
                if tx.parcelsChanged { try GeoPackage.updateExtent(db, table: "parcels", known: tx.builtIndexExtent) }
                return result
            }
            try? pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            return result
        } catch {
            throw Self.describe(error, path: path)
        }
    }

    /// `write` with the file in SQLite's rollback-journal mode while it runs, when the store has
    /// no parcels and no other connection has it open: the rows of a first import go into the
    /// file once, not into the write-ahead log and then again into the file at the checkpoint
    /// (100k parcels: 1.37–1.83 → 1.16–1.54 s, half the system time). The journal keeps the
    /// pages the transaction changes (a new store's few), so it is as atomic as any write: a
    /// failure or a crash leaves the store as it was. Any other connection (a server's, a
    /// reader's) keeps the file in WAL mode (SQLite refuses to leave it), and the write goes
    /// through the log as always; so does a store with parcels.
    public func writeMany<T>(_ body: (any StoreTransaction) throws(LandtrackError) -> T) throws(LandtrackError) -> T {
        let empty = try read { db in try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM parcels)") ?? false }
        guard empty else { return try write(body) }
        // This process's own readers closed first (SQLite leaves WAL mode only for a connection alone).
        pool.releaseMemory()
        let journal = try? pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
        defer {
            // Back in WAL mode before anyone else can open it (the next opening would switch it
            // back too: DatabasePool sets WAL mode on its writer).
            if journal == "delete" { _ = try? pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") } }
        }
        return try write(body)
    }

    /// SQLite's `PRAGMA quick_check` (every page and index structure, not index contents):
    /// a file overwritten in the middle is found here rather than by the first reader.
    public func verify() throws(LandtrackError) {
        let problems = try read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(5)") }
        guard problems == ["ok"] else {
            throw .store(location: path, .corrupt("SQLite's quick_check found: " + problems.joined(separator: "; ")))
        }
        _ = try counts()
    }

    // MARK: CRS

    public func crs() throws(LandtrackError) -> CoordinateReferenceSystem {
        let code = try read { db in try Self.srsID(db) }
        return try Self.crs(code)
    }

    static func srsID(_ db: Database) throws -> Int32 {
        try Int32.fetchOne(db, sql: "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'parcels'") ?? 4326
    }

    static func crs(_ code: Int32) throws(LandtrackError) -> CoordinateReferenceSystem {
        code == 4326 ? .crs84 : try .resolve("EPSG:\(code)")
    }

    // MARK: Rows as values (a value that is not valid is an error, never replaced)

    // Rows are read by column position (a name lookup per column per row costs more than the
    // decoding): the column order of the v1 tables, which `SELECT *` and `SELECT p.*` give.
    // parcels: fid, geom, parcel_id, state, basic_farmland, village, landuse_code, area_m2, active, properties
    //   (v1), deduction_ratio, deduction_code (v3; absent from an older store opened read-only)
    // parcel_events: event_id, parcel_id, kind, from_state, to_state, pbf_before, pbf_after, effective_date,
    //   recorded_at, recorded_by, ref, note, rule_id, previous_geom, previous_attributes

    /// A parcel row (`SELECT *`); what `content` leaves out is neither copied nor decoded.
    static func parcel(_ row: some StoredColumns, path: String, content: SnapshotContent = .all) throws -> Parcel {
        func corrupt(_ what: String) -> LandtrackError { .store(location: path, .corrupt(what)) }
        guard let id = row.text(2) else { throw corrupt("parcel row \(row.int64(0).map(String.init) ?? "?"): parcel_id is NULL") }
        func value<T>(_ v: T?, _ column: String) throws -> T {
            guard let v else { throw corrupt("parcel \(quoted(id)): \(column) is NULL or not of its type") }
            return v
        }
        let stateText = try value(row.text(3), "state")
        guard let state = ParcelState(rawValue: stateText) else {
            throw corrupt("parcel \(quoted(id)): state \(quoted(stateText)) is not a state")
        }
        var polygons: [Polygon] = []
        if content.contains(.geometry) {
            let decoded = row.withBlob(1) { blob in Result { () throws(LandtrackError) in try GeoPackage.polygons(blob) } }
            do { polygons = try value(decoded, "geom").get() } catch {
                throw corrupt("parcel \(quoted(id)): its geometry cannot be read (\(error))")
            }
        }
        var deduction: AreaDeduction?
        if row.columnCount > 11, row.columnName(10) == "deduction_ratio" {
            let ratio = try value(row.double(10), "deduction_ratio")
            guard ratio >= 0, ratio < 1 else {
                throw corrupt("parcel \(quoted(id)): deduction_ratio \(ratio) is not a share below 1")
            }
            deduction = .stored(ratio: ratio, code: row.text(11))
        }
        return Parcel(id: id, state: state, basicFarmland: try value(row.bool(4), "basic_farmland"), village: row.text(5),
                      landuseCode: row.text(6), polygons: polygons, areaSquareMetres: try value(row.double(7), "area_m2"),
                      properties: content.contains(.properties) ? ParcelProperties(jsonText: try value(row.text(9), "properties")) : ParcelProperties(),
                      deduction: deduction, active: try value(row.bool(8), "active"))
    }

    static func event(_ row: some StoredColumns, path: String) throws -> ParcelEvent {
        var repeated = RepeatedStrings()
        return try event(row, path: path, repeated: &repeated)
    }

    /// An event row (`SELECT *`); the texts most events repeat share one copy through `repeated`.
    /// Without `details` the recording columns (`SnapshotContent.eventDetails`) are not read.
    static func event(_ row: some StoredColumns, path: String, repeated: inout RepeatedStrings, details: Bool = true) throws -> ParcelEvent {
        guard let id = row.int64(0) else {
            throw LandtrackError.store(location: path, .corrupt("an event of parcel \(quoted(row.text(1) ?? "?")) has no event_id"))
        }
        func corrupt(_ what: String) -> LandtrackError { .store(location: path, .corrupt("event \(id): \(what)")) }
        func value<T>(_ v: T?, _ column: String) throws -> T {
            guard let v else { throw corrupt("\(column) is NULL or not of its type") }
            return v
        }
        let kindText = try value(row.text(2), "kind")
        guard let kind = ParcelEvent.Kind(rawValue: kindText) else { throw corrupt("kind \(quoted(kindText)) is not an event kind") }
        func state(_ index: Int, _ column: String) throws -> ParcelState? {
            guard let text = row.text(index) else { return nil }
            guard let s = ParcelState(rawValue: text) else { throw corrupt("\(column) \(quoted(text)) is not a state") }
            return s
        }
        let dateText = try value(row.text(7), "effective_date")
        guard let date = CalendarDate(iso: dateText) else { throw corrupt("effective_date \(quoted(dateText)) is not a date") }
        return ParcelEvent(
            eventID: id, parcelID: try value(row.text(1), "parcel_id"), kind: kind, fromState: try state(3, "from_state"),
            toState: try state(4, "to_state"), pbfBefore: row.bool(5), pbfAfter: row.bool(6), effectiveDate: date,
            recordedAt: details ? repeated.shared(try value(row.text(8), "recorded_at")) : "",
            recordedBy: details ? repeated.shared(try value(row.text(9), "recorded_by")) : "",
            ref: repeated.shared(row.text(10)), note: details ? repeated.shared(row.text(11)) : nil, ruleID: details ? row.text(12) : nil)
    }

    static func date(_ text: String?, path: String) throws -> CalendarDate? {
        guard let text else { return nil }
        guard let d = CalendarDate(iso: text) else {
            throw LandtrackError.store(location: path, .corrupt("effective date \(quoted(text)) is not a date"))
        }
        return d
    }

    // MARK: Tokens

    public func insertToken(owner: String, role: AccessRole, sha256: String, createdAt: String) throws(LandtrackError) -> Int64 {
        try write { (tx) throws(LandtrackError) -> Int64 in
            try (tx as! GeoPackageTransaction).execute(
                "INSERT INTO landtrack_tokens (owner, role, token_sha256, created_at) VALUES (?, ?, ?, ?)",
                [owner, role.rawValue, sha256, createdAt])
        }
    }

    public func tokenRecords() throws(LandtrackError) -> [AccessToken] {
        try read { db in
            // A store opened read-only before its v2 migration has no token table: no tokens.
            guard try db.tableExists("landtrack_tokens") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM landtrack_tokens ORDER BY token_id").map { try self.token($0) }
        }
    }

    public func revokeToken(id: Int64, at: String) throws(LandtrackError) -> Bool {
        try write { (tx) throws(LandtrackError) -> Bool in
            let g = tx as! GeoPackageTransaction
            _ = try g.execute("UPDATE landtrack_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL", [at, id])
            return g.db.changesCount == 1
        }
    }

    public func activeToken(sha256: String) throws(LandtrackError) -> AccessToken? {
        try read { db in
            guard try db.tableExists("landtrack_tokens") else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM landtrack_tokens WHERE token_sha256 = ? AND revoked_at IS NULL",
                                    arguments: [sha256]).map { try self.token($0) }
        }
    }

    func token(_ row: Row) throws -> AccessToken {
        let roleText: String = row["role"]
        guard let role = AccessRole(rawValue: roleText) else {
            throw LandtrackError.store(location: path, .corrupt("token \(row["token_id"] as Int64): role \(quoted(roleText)) is not a role"))
        }
        return AccessToken(id: row["token_id"], owner: row["owner"], role: role, createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }
}

/// Which file a path names: device and inode (a replaced file has a new inode, a deleted one none).
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

/// A stored row's columns by position, as the parcel and event decoders read them: a GRDB row
/// (reads of one parcel, a page) or a row copied out of SQLite by `RawRows` (whole tables,
/// decoded on several threads). nil: NULL, or a value SQLite cannot give as that type.
protocol StoredColumns {
    var columnCount: Int { get }
    func columnName(_ i: Int) -> String
    func text(_ i: Int) -> String?
    func int64(_ i: Int) -> Int64?
    func double(_ i: Int) -> Double?
    func withBlob<T>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T?
}

extension StoredColumns {
    /// SQLite keeps booleans as integers.
    func bool(_ i: Int) -> Bool? { int64(i).map { $0 != 0 } }
}

/// By the stored value's type, as `RawRows.Row` reads it (GRDB's typed subscripts would let
/// SQLite turn a text where a number belongs into 0).
extension Row: StoredColumns {
    var columnCount: Int { count }
    func columnName(_ i: Int) -> String { columnNames.dropFirst(i).first! }

    func text(_ i: Int) -> String? {
        switch (self[i] as DatabaseValue).storage {
        case .string(let s): s
        case .blob(let d): String(decoding: d, as: UTF8.self)
        case .int64(let v): String(v)
        case .double(let v): String(v)
        case .null: nil
        }
    }

    func int64(_ i: Int) -> Int64? {
        switch (self[i] as DatabaseValue).storage {
        case .int64(let v): v
        case .double(let v): Int64(exactly: v)
        default: nil
        }
    }

    func double(_ i: Int) -> Double? {
        switch (self[i] as DatabaseValue).storage {
        case .double(let v): v
        case .int64(let v): Double(v)
        default: nil
        }
    }

    func withBlob<T>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T? {
        switch (self[i] as DatabaseValue).storage {
        case .blob(let d): try d.withUnsafeBytes(body)
        case .string(let s): try Array(s.utf8).withUnsafeBytes(body)
        default: nil
        }
    }
}

