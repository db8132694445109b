import CLibPQ
import Foundation
import Geometry
import Parcels
import Store

/// A bureau's store: the record in a PostgreSQL database with PostGIS, shared by several
/// planners, servers and QGIS at once.
///
/// Tables (the same record as the GeoPackage): `parcels` (PostGIS MultiPolygon, GiST index),
/// `parcel_events` (append-only: a trigger refuses UPDATE, DELETE and TRUNCATE), `parcel_lineage`,
/// the constraint layers, `landtrack_tokens`, and `landtrack_schema` (one row per applied
/// migration). Every write is one transaction; a parcel a write reads is locked
/// (`SELECT … FOR UPDATE`) until it commits, so two writers never both move a parcel from the
/// same prior state; a transaction that lost a race (serialization failure, deadlock, an id
/// another writer added meanwhile) runs again from the start. Reads run in one REPEATABLE
/// READ transaction each (one consistent view) and fetch large tables through a cursor.
public final class PostGISStore: ParcelStore, @unchecked Sendable {
    /// The connection URI as given (`postgresql://…`), without a password.
    public let location: String
    let conninfo: String
    let readOnly: Bool
    /// Rows fetched per round trip when a snapshot reads a table.
    static let batchSize = 10_000

    // Connections are not thread-safe: each call takes one from the pool (or opens one) and
    // gives it back; the lock guards only the list.
    private let lock = NSLock()
    private var idle: [PGConnection] = []

    /// Whether `location` names a PostgreSQL database (a `postgresql://` or `postgres://` URI)
    /// rather than a GeoPackage file.
    public static func handles(_ location: String) -> Bool {
        location.hasPrefix("postgresql:") || location.hasPrefix("postgres:")
    }

    /// The schema, one explicit migration at a time. Never edit a shipped migration: add one.
    static let migrations: [(version: Int, description: String, sql: String)] = [
        (1, "parcels, events (append-only), lineage, constraint layers, tokens", """
            CREATE TABLE landtrack_settings (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), srid integer NOT NULL);
            INSERT INTO landtrack_settings (srid) VALUES (4326);
            CREATE TABLE parcels (
              fid bigserial PRIMARY KEY,
              parcel_id text COLLATE "C" NOT NULL UNIQUE,
              state text NOT NULL, basic_farmland boolean NOT NULL DEFAULT false,
              village text, landuse_code text, area_m2 double precision NOT NULL,
              active boolean NOT NULL DEFAULT true, properties text NOT NULL DEFAULT '{}',
              geom geometry(MultiPolygon, 4326) NOT NULL);
            CREATE INDEX parcels_geom_idx ON parcels USING gist (geom);
            COMMENT ON TABLE parcels IS 'land parcels of the consolidation programme (current state; history in parcel_events)';
            CREATE TABLE parcel_events (
              event_id bigserial PRIMARY KEY, parcel_id text COLLATE "C" NOT NULL, kind text NOT NULL,
              from_state text, to_state text, pbf_before boolean, pbf_after boolean,
              effective_date date NOT NULL, recorded_at text NOT NULL, recorded_by text NOT NULL,
              ref text, note text, rule_id text,
              previous_geom geometry(MultiPolygon, 4326), previous_attributes text);
            CREATE INDEX parcel_events_parcel_idx ON parcel_events (parcel_id, effective_date, event_id);
            COMMENT ON TABLE parcel_events IS 'append-only history of every parcel';
            CREATE TABLE parcel_lineage (
              lineage_id bigserial PRIMARY KEY, parent_id text COLLATE "C" NOT NULL, child_id text COLLATE "C" NOT NULL,
              event_id bigint NOT NULL, kind text NOT NULL);
            CREATE INDEX parcel_lineage_parent_idx ON parcel_lineage (parent_id);
            CREATE INDEX parcel_lineage_child_idx ON parcel_lineage (child_id);
            CREATE FUNCTION landtrack_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege'; END $$;
            CREATE TRIGGER parcel_events_append_only BEFORE UPDATE OR DELETE ON parcel_events
              FOR EACH ROW EXECUTE FUNCTION landtrack_append_only();
            CREATE TRIGGER parcel_events_no_truncate BEFORE TRUNCATE ON parcel_events
              FOR EACH STATEMENT EXECUTE FUNCTION landtrack_append_only();
            CREATE TRIGGER parcel_lineage_append_only BEFORE UPDATE OR DELETE ON parcel_lineage
              FOR EACH ROW EXECUTE FUNCTION landtrack_append_only();
            CREATE TRIGGER parcel_lineage_no_truncate BEFORE TRUNCATE ON parcel_lineage
              FOR EACH STATEMENT EXECUTE FUNCTION landtrack_append_only();
            \(ConstraintLayer.allCases.map { layer in """
                CREATE TABLE \(layer.rawValue) (fid bigserial PRIMARY KEY, name text, properties text NOT NULL DEFAULT '{}',
                  geom geometry(Geometry, 4326) NOT NULL);
                CREATE INDEX \(layer.rawValue)_geom_idx ON \(layer.rawValue) USING gist (geom);
                COMMENT ON TABLE \(layer.rawValue) IS 'constraint layer \(layer.rawValue)';
                """ }.joined(separator: "\n"))
            CREATE TABLE landtrack_tokens (
              token_id bigserial PRIMARY KEY, owner text NOT NULL,
              role text NOT NULL CHECK (role IN ('viewer', 'planner')), token_sha256 text NOT NULL UNIQUE,
              created_at text NOT NULL, revoked_at text);
            """),
        (2, "the survey's deduction (扣除地类) of each parcel", """
            ALTER TABLE parcels ADD COLUMN deduction_ratio double precision NOT NULL DEFAULT 0
              CHECK (deduction_ratio >= 0 AND deduction_ratio < 1);
            ALTER TABLE parcels ADD COLUMN deduction_code text;
            """),
        // The trigger forgets the fingerprint whenever anyone (QGIS included) updates, deletes
        // or truncates parcels; it runs as the tables' owner, so a role that may only edit
        // parcels still clears it. Nothing in it is secret: every role may read it.
        (3, "the fingerprint of the last clean import", """
            CREATE TABLE landtrack_import_fingerprint (
              only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), source text NOT NULL, file_sha256 text NOT NULL,
              file_bytes bigint NOT NULL, read_options text NOT NULL, parcels bigint NOT NULL,
              official_area_field text, official_areas_checked bigint NOT NULL, recorded_at text NOT NULL);
            GRANT SELECT ON landtrack_import_fingerprint TO PUBLIC;
            CREATE FUNCTION landtrack_forget_import_fingerprint() RETURNS trigger LANGUAGE plpgsql
              SECURITY DEFINER SET search_path FROM CURRENT AS $$
              BEGIN DELETE FROM landtrack_import_fingerprint; RETURN NULL; END $$;
            CREATE TRIGGER parcels_forget_import_fingerprint AFTER UPDATE OR DELETE OR TRUNCATE ON parcels
              FOR EACH STATEMENT EXECUTE FUNCTION landtrack_forget_import_fingerprint();
            """),
    ]

    static var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    /// Connects to the database at `url` (a libpq connection URI; what it leaves out comes from
    /// the PG* environment variables, as with psql) and checks its landtrack schema. With
    /// `create`, a database without one gets it (PostGIS must be installed in the database or
    /// creatable by the user). Refuses a database with a newer schema; `readOnly` never writes.
    public init(url: String, create: Bool = false, readOnly: Bool = false) throws(LandtrackError) {
        location = Self.redacted(url)
        conninfo = url
        self.readOnly = readOnly
        do {
            let c = try connect()
            let version = try schemaVersion(c)
            if version > Self.latestVersion { throw LandtrackError.store(location: location, .newerSchema) }
            if version < Self.latestVersion {
                if version == 0 && !create { throw LandtrackError.store(location: location, .missing) }
                if readOnly { throw LandtrackError.store(location: location, version == 0 ? .missing : .olderSchema) }
                try migrate(c)
            }
            checkIn(c)
        } catch {
            throw describe(error)
        }
    }

    /// The URI without its password (messages and titles show the location).
    static func redacted(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return url }
        if parts.password != nil { parts.password = "***" }
        parts.queryItems = parts.queryItems?.map { $0.name == "password" ? URLQueryItem(name: "password", value: "***") : $0 }
        return parts.string ?? url
    }

    private func connect() throws -> PGConnection {
        let c = try PGConnection(conninfo)
        try c.run("SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; SET client_min_messages = warning")
        if readOnly { try c.run("SET default_transaction_read_only = on") }
        return c
    }

    private func checkOut() throws -> PGConnection {
        lock.lock()
        let c = idle.popLast()
        lock.unlock()
        if let c, c.isUsable { return c }
        return try connect()
    }

    private func checkIn(_ c: PGConnection) {
        guard c.isUsable else { return }
        lock.lock()
        if idle.count < 8 { idle.append(c) }
        lock.unlock()
    }

    /// Version of the landtrack schema in the database: 0 when it has none.
    func schemaVersion(_ c: PGConnection) throws -> Int {
        let exists = try c.execute("SELECT to_regclass('landtrack_schema') IS NOT NULL")
        guard try exists.bool(0, 0) == true else {
            // Tables of that name without landtrack's schema table: someone else's database.
            let other = try c.execute("SELECT to_regclass('parcels') IS NOT NULL OR to_regclass('parcel_events') IS NOT NULL")
            if try other.bool(0, 0) == true {
                throw LandtrackError.store(location: location, .notAStore(
                    "the database has a parcels or parcel_events table that landtrack did not make (no landtrack_schema table); use another database"))
            }
            return 0
        }
        return Int(try c.execute("SELECT coalesce(max(version), 0)::int8 FROM landtrack_schema").int64(0, 0) ?? 0)
    }

    /// Applies the missing migrations, each in its own transaction, under an advisory lock so
    /// that two processes opening a new database at once do not both create it.
    private func migrate(_ c: PGConnection) throws {
        try c.run("BEGIN")
        do {
            try c.run("SELECT pg_advisory_xact_lock(7263101)")
            try c.run("CREATE EXTENSION IF NOT EXISTS postgis")
            try c.run("CREATE TABLE IF NOT EXISTS landtrack_schema (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            let current = try schemaVersion(c)
            for m in Self.migrations where m.version > current {
                try c.run(m.sql)
                try c.execute("INSERT INTO landtrack_schema (version, description) VALUES ($1::int, $2::text)", [PGValue(m.version), .text(m.description)])
            }
            try c.run("COMMIT")
        } catch {
            c.rollback()
            throw error
        }
    }

    /// Database errors as the store failures they are; landtrack's own errors pass through.
    func describe(_ error: any Error) -> LandtrackError {
        if let e = error as? LandtrackError { return e }
        guard let f = error as? PGFailure else { return .store(location: location, .database("\(error)")) }
        switch f.sqlState ?? "" {
        case let s where s.hasPrefix("08"): return .store(location: location, .unreachable(f.message))
        case "3D000": return .store(location: location, .unreachable(f.message))  // invalid_catalog_name: no such database
        case "28000", "28P01": return .store(location: location, .unreachable(f.message))  // authentication
        case "25006": return .store(location: location, .readOnly)
        case "55P03", "40001", "40P01": return .store(location: location, .locked)
        default: return .store(location: location, .database(f.message))
        }
    }

    /// Runs `body` on a pooled connection, mapping database errors.
    func withConnection<T>(_ body: (PGConnection) throws -> T) throws(LandtrackError) -> T {
        do {
            let c = try checkOut()
            defer { checkIn(c) }
            return try body(c)
        } catch {
            throw describe(error)
        }
    }

    /// One consistent read (REPEATABLE READ, read only).
    func read<T>(_ body: (PGConnection) throws -> T) throws(LandtrackError) -> T {
        try withConnection { c in
            try c.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            do {
                let result = try body(c)
                try c.run("COMMIT")
                return result
            } catch {
                c.rollback()
                throw error
            }
        }
    }

    /// One write transaction (READ COMMITTED with row locks). A transaction that lost a race
    /// to another writer is run again, up to five times; nothing of a failed attempt is kept.
    public func write<T>(_ body: (any StoreTransaction) throws(LandtrackError) -> T) throws(LandtrackError) -> T {
        if readOnly { throw .store(location: location, .readOnly) }
        var attempt = 0
        while true {
            attempt += 1
            do {
                let c = try checkOut()
                defer { checkIn(c) }
                try c.run("BEGIN ISOLATION LEVEL READ COMMITTED")
                let tx = try PostGISTransaction(c, store: self)
                do {
                    let result = try body(tx)
                    try tx.finish()
                    try c.run("COMMIT")
                    return result
                } catch {
                    c.rollback()
                    let raced = tx.lastFailure?.isRetryable == true || (error as? PGFailure)?.isRetryable == true
                    if raced && attempt < 5 { continue }
                    throw error
                }
            } catch {
                throw describe(error)
            }
        }
    }

    // MARK: CRS

    public func crs() throws(LandtrackError) -> CoordinateReferenceSystem {
        let srid = try withConnection { c in try Self.srid(c) }
        return try Self.crs(srid)
    }

    static func srid(_ c: PGConnection) throws -> Int32 {
        Int32(try c.execute("SELECT srid::int8 FROM landtrack_settings").int64(0, 0) ?? 4326)
    }

    static func crs(_ code: Int32) throws(LandtrackError) -> CoordinateReferenceSystem {
        code == 4326 ? .crs84 : try .resolve("EPSG:\(code)")
    }

    // MARK: Tokens

    public func insertToken(owner: String, role: AccessRole, sha256: String, createdAt: String) throws(LandtrackError) -> Int64 {
        try write { (tx) throws(LandtrackError) -> Int64 in
            try (tx as! PostGISTransaction).run {
                try $0.execute("INSERT INTO landtrack_tokens (owner, role, token_sha256, created_at) VALUES ($1::text, $2::text, $3::text, $4::text) RETURNING token_id",
                               [.text(owner), .text(role.rawValue), .text(sha256), .text(createdAt)]).int64(0, 0)!
            }
        }
    }

    public func tokenRecords() throws(LandtrackError) -> [AccessToken] {
        try read { c in try self.tokens(c.execute("\(Self.tokenColumns) ORDER BY token_id")) }
    }

    public func revokeToken(id: Int64, at: String) throws(LandtrackError) -> Bool {
        try write { (tx) throws(LandtrackError) -> Bool in
            try (tx as! PostGISTransaction).run {
                try $0.execute("UPDATE landtrack_tokens SET revoked_at = $1::text WHERE token_id = $2::int8 AND revoked_at IS NULL RETURNING token_id",
                               [.text(at), PGValue(id)]).rowCount == 1
            }
        }
    }

    public func activeToken(sha256: String) throws(LandtrackError) -> AccessToken? {
        try read { c in try self.tokens(c.execute("\(Self.tokenColumns) WHERE token_sha256 = $1::text AND revoked_at IS NULL", [.text(sha256)])).first }
    }

    static let tokenColumns = "SELECT token_id, owner, role, created_at, revoked_at, token_sha256 FROM landtrack_tokens"

    func tokens(_ r: PGResult) throws -> [AccessToken] {
        try (0..<r.rowCount).map { i in
            let id = try r.int64(i, 0)!
            let roleText = try r.text(i, 2)!
            guard let role = AccessRole(rawValue: roleText) else {
                throw LandtrackError.store(location: location, .corrupt("token \(id): role \(quoted(roleText)) is not a role"))
            }
            return AccessToken(id: id, owner: try r.text(i, 1)!, role: role, createdAt: try r.text(i, 3)!, revokedAt: try r.text(i, 4))
        }
    }
}
