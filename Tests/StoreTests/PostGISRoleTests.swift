import Foundation
import Geometry
import Parcels
import PostGISStore
import Store
import Testing
import TestSupport

/// The roles of scripts/postgis-roles.sql (what the README tells a bureau to run): the writer
/// role does every landtrack write and cannot rewrite history; the triggers refuse it even to
/// the owner; the reader role only reads.
@Suite("PostGIS roles and append-only history", .enabled(if: Backend.available.contains(.postGIS), "needs PostgreSQL 15 with PostGIS"))
struct PostGISRoleTests {
    static let script = SharedData.repositoryRoot.appendingPathComponent("scripts/postgis-roles.sql").path

    /// A square store made by the owner, the roles granted on it; returns (store, server, database).
    func grantedStore(writer: String, reader: String) throws -> (any ParcelStore, TestPostgres, String) {
        let store = try squareParcelStore([
            ("A", "farmland", false, 0, 0, 1), ("B", "farmland", false, 1, 0, 1), ("C", "farmland", false, 2, 0, 1),
        ], layers: [.urbanBoundary: [(3.9, -0.1, 1.2)]], backend: .postGIS)
        let server = try TestPostgres.server.get()
        let db = try databaseName(store)
        try server.psql(db, file: Self.script, variables: ["writer": writer, "reader": reader])
        try server.psql(db, "ALTER ROLE \(writer) LOGIN; ALTER ROLE \(reader) LOGIN")
        return (store, server, db)
    }

    /// An empty store made by the owner, the roles granted on it; returns it as the writer role
    /// sees it, the server and the database.
    func emptyStoreAsWriter(_ writer: String, reader: String) throws -> (PostGISStore, TestPostgres, String) {
        let server = try TestPostgres.server.get()
        let url = try server.newDatabase()
        _ = try PostGISStore(url: url, create: true)
        let db = try databaseName(url)
        try server.psql(db, file: Self.script, variables: ["writer": writer, "reader": reader])
        try server.psql(db, "ALTER ROLE \(writer) LOGIN")
        return (try PostGISStore(url: server.url(db, user: writer)), server, db)
    }

    func refusal(_ server: TestPostgres, _ db: String, _ sql: String, as user: String) -> String {
        do {
            try server.psql(db, sql, user: user)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func theWriterRoleWritesEverythingButCannotRewriteHistory() throws {
        let (store, server, db) = try grantedStore(writer: "lt_writer", reader: "lt_reader")
        let writer = try PostGISStore(url: server.url(db, user: "lt_writer"))
        let date = try CalendarDate(parsing: "2024-03-01")
        // Every kind of write the CLI and the server make.
        try writer.transition([TransitionRequest(parcelID: "A", to: .wasteland, date: date)], by: "Li Wei")
        try writer.setBasicFarmland("B", designated: true, date: date)
        try writer.setBasicFarmland("B", designated: false, date: date)
        _ = try writer.merge(["B", "C"], into: "BC", date: date)
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: "2024-04-01")
        let file = #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"N","state":"wasteland"},"geometry":{"type":"Polygon","coordinates":[[[113.11,23.05],[113.111,23.05],[113.111,23.051],[113.11,23.051],[113.11,23.05]]]}}]}"#
        #expect(try writer.importParcels(InputBytes(name: "n.geojson", text: file), options: options).added == 1)
        let layer = #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"red line"},"geometry":{"type":"Polygon","coordinates":[[[113.2,23.05],[113.201,23.05],[113.201,23.051],[113.2,23.05]]]}}]}"#
        #expect(try writer.importLayer(.ecoRedline, from: InputBytes(name: "r.geojson", text: layer)) == 1)
        #expect(try writer.importLayer(.ecoRedline, from: InputBytes(name: "r.geojson", text: layer)) == 1)
        let token = try writer.createToken(owner: "Li Wei", role: .planner)
        try writer.revokeToken(id: token.record.id)
        #expect(try writer.tokenRecords().first { $0.id == token.record.id }?.revokedAt != nil)
        #expect(try store.history("A").last?.recordedBy == "Li Wei" && store.parcel("BC") != nil)

        let before = try store.counts()
        for table in ["parcel_events", "parcel_lineage"] {
            for sql in ["UPDATE \(table) SET kind = kind", "DELETE FROM \(table)", "TRUNCATE \(table)"] {
                // The writer has no such privilege; the owner (a superuser here) is stopped by the trigger.
                #expect(refusal(server, db, sql, as: "lt_writer").contains("permission denied"), "\(sql)")
                #expect(refusal(server, db, sql, as: TestPostgres.user).contains("\(table) is append-only"), "\(sql)")
            }
        }
        #expect(refusal(server, db, "INSERT INTO parcel_events (parcel_id, kind, effective_date, recorded_at, recorded_by) VALUES ('A', 'note', '2024-05-01', 'now', 'x')", as: "lt_reader").contains("permission denied"))
        #expect(refusal(server, db, "UPDATE parcels SET state = 'industrial_park'", as: "lt_reader").contains("permission denied"))
        #expect(refusal(server, db, "SELECT count(*) FROM landtrack_tokens", as: "lt_reader").contains("permission denied"))
        #expect(try store.counts() == before)

        // The reader reads the record (QGIS, reports) and cannot write through landtrack.
        let reader = try PostGISStore(url: server.url(db, user: "lt_reader"), readOnly: true)
        #expect(try reader.snapshot().parcels.map(\.id) == store.snapshot().parcels.map(\.id))
        #expect(throws: LandtrackError.self) { try reader.transition([TransitionRequest(parcelID: "N", to: .farmland, date: date)]) }
    }

    /// A writer that does not own the tables can make the first import (row by row into the
    /// indexed tables, since only the owner may drop and rebuild the indexes): the indexes stay.
    @Test func theWriterRoleCanMakeTheFirstImport() throws {
        let (writer, server, db) = try emptyStoreAsWriter("lt_first_writer", reader: "lt_first_reader")
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: "2023-01-01")
        let summary = try writer.importParcels(InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path), options: options)
        #expect(summary.added == 2000)
        let indexes = try server.psql(db, "SELECT indexname FROM pg_indexes WHERE indexname IN ('parcels_geom_idx', 'parcel_events_parcel_idx') ORDER BY 1")
        #expect(indexes == "parcel_events_parcel_idx\nparcels_geom_idx\n")
        #expect(try writer.counts()["parcel_events"] == 2000)
    }

    /// The writer role records an import's fingerprint (the roles script grants it); a writer
    /// granted before the table existed records none and imports all the same; and its change
    /// of a parcel clears the last one although it may not delete from the table (the trigger
    /// runs as the tables' owner).
    @Test func theWriterRoleAndTheImportFingerprint() throws {
        let (writer, server, db) = try emptyStoreAsWriter("lt_fp_writer", reader: "lt_fp_reader")
        let sample = SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path
        #expect(try writer.importParcels(InputBytes(path: sample), options: ImportOptions()).added == 2000)
        #expect(try writer.importParcels(InputBytes(path: sample), options: ImportOptions()).sameAsLastImport != nil)
        try server.psql(db, "REVOKE INSERT, UPDATE ON landtrack_import_fingerprint FROM lt_fp_writer")
        let text = try String(contentsOfFile: sample, encoding: .utf8)
        let changed = text.replacingOccurrences(of: #""id":"NH-000001","state":"wasteland","basic_farmland":true,"village":"黄庄村""#,
                                                with: #""id":"NH-000001","state":"wasteland","basic_farmland":true,"village":"黄庄材""#)
        #expect(changed != text)
        let update = try writer.importParcels(InputBytes(name: "changed.geojson", text: changed), options: ImportOptions())
        #expect(update.updated == 1 && update.sameAsLastImport == nil)
        #expect(try server.psql(db, "SELECT count(*) FROM landtrack_import_fingerprint") == "0\n")
        let again = try writer.importParcels(InputBytes(name: "changed.geojson", text: changed), options: ImportOptions())
        #expect(again.unchanged == 2000 && again.sameAsLastImport == nil)
    }
}
