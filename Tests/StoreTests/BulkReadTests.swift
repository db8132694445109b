import Foundation
import GRDB
import Testing
import Geometry
@testable import GeoPackageStore
import Parcels
import Store
import TestSupport

/// A snapshot's whole-table reads: rows copied out of SQLite in runs (`RawRows`) and decoded
/// on other threads straight into their places (`decodeAll`) give the values GRDB's rows give,
/// in the table's order, however the runs fall; a bad row fails the read naming the first one,
/// and nothing decoded is kept.
@Suite("Bulk reads")
struct BulkReadTests {
    static let wasteland = FirstImportWritesTests.squares(300).filter { $0.1 == "wasteland" }.map(\.0)

    /// 300 squares, the 60 wasteland ones reclaimed: 20 in 2023, the rest in 2024 (their events
    /// after the import's in the table, among them in id order).
    static func changedStore() throws -> GeoPackageStore {
        let store = try squareParcelStore(FirstImportWritesTests.squares(300))
        for (ids, day) in [(wasteland.dropFirst(20), "2024-03-01"), (wasteland.prefix(20), "2023-06-01")] {
            _ = try store.transition(ids.map { TransitionRequest(parcelID: $0, to: .reclaimedFarmland, date: try CalendarDate(parsing: day)) })
        }
        return store
    }

    @Test(arguments: [1, 7, 256, 8192]) func runsDecodeAsGRDBRowsDo(rowsPerRun: Int) throws {
        let store = try Self.changedStore()
        try store.read { db in
            let parcels = try Row.fetchAll(db, sql: "SELECT * FROM parcels").map { try GeoPackageStore.parcel($0, path: "t") }
            #expect(parcels.count == 300)
            let decoded = try GeoPackageStore.decodeAll(db, table: "parcels", rowsPerRun: rowsPerRun) { row, _ in
                try GeoPackageStore.parcel(row, path: "t")
            }
            #expect(decoded == parcels)
            // Columns left unread come back as their absence: no properties, nothing else lost.
            let lean = try GeoPackageStore.decodeAll(db, table: "parcels", unread: ["properties"], rowsPerRun: rowsPerRun) { row, _ in
                try GeoPackageStore.parcel(row, path: "t", content: .geometry)
            }
            #expect(lean == parcels.map { var p = $0; p.properties = ParcelProperties(); return p })
            #expect(parcels.contains { $0.properties.jsonText != "{}" }, "the squares have properties to leave out")

            let filter = "WHERE effective_date <= '2023-12-31'"
            let events = try Row.fetchAll(db, sql: "SELECT * FROM parcel_events \(filter)").map { try GeoPackageStore.event($0, path: "t") }
            #expect(events.count == 320, "300 imports and 20 changes in 2023")
            let decodedEvents = try GeoPackageStore.decodeAll(db, table: "parcel_events", filter: (filter, []), rowsPerRun: rowsPerRun) { row, repeated in
                try GeoPackageStore.event(row, path: "t", repeated: &repeated)
            }
            #expect(decodedEvents == events)
        }
    }

    /// The snapshot's history is the store's own, as `history(id)` reads it parcel by parcel.
    @Test func aSnapshotsHistoryIsEachParcelsHistory() throws {
        let store = try Self.changedStore()
        let snapshot = try store.snapshot(asOf: CalendarDate(parsing: "2025-01-01"), history: true)
        for p in snapshot.parcels { #expect(Array(snapshot.events(of: p.id)) == (try store.history(p.id)), "\(p.id)") }
        #expect(snapshot.parcels.filter { $0.state == .reclaimedFarmland }.map(\.id).sorted() == Self.wasteland.sorted())
        #expect(try store.snapshot(asOf: CalendarDate(parsing: "2023-12-31")).parcels.filter { $0.state == .reclaimedFarmland }.count == 20)
    }

    /// A state that is not a state, and an area that is text: the read fails with the store's
    /// corruption, naming the first bad parcel in the table's order whatever run it fell in.
    @Test(arguments: [1, 7, 8192]) func aBadRowFailsTheReadNamingTheFirst(rowsPerRun: Int) throws {
        let store = try Self.changedStore()
        try executeBehindTheStore(store, """
            UPDATE parcels SET state = 'orchard' WHERE parcel_id = 'P201';
            UPDATE parcels SET area_m2 = 'large' WHERE parcel_id = 'P150'
            """)
        for (content, first) in [(SnapshotContent.geometry, "P150"), (.all, "P150")] {
            let error = #expect(throws: LandtrackError.self) { try store.snapshot(content: content) }
            guard case .store(_, .corrupt(let what))? = error else { Issue.record("not the store's corruption: \(String(describing: error))"); continue }
            #expect(what.contains(first) && !what.contains("P201"), "\(what)")
        }
        // Read alone (a GRDB row), the text area is the same error, not SQLite's 0.
        let alone = #expect(throws: LandtrackError.self) { try store.parcel("P150") }
        if case .store(_, .corrupt(let what))? = alone { #expect(what.contains("area_m2")) } else { Issue.record("\(String(describing: alone))") }
        try store.read { db in
            #expect(throws: LandtrackError.self) {
                _ = try GeoPackageStore.decodeAll(db, table: "parcels", rowsPerRun: rowsPerRun) { row, _ in try GeoPackageStore.parcel(row, path: "t") }
            }
        }
        try executeBehindTheStore(store, "UPDATE parcels SET area_m2 = 1 WHERE parcel_id = 'P150'")
        let error = #expect(throws: LandtrackError.self) { try store.snapshot() }
        guard case .store(_, .corrupt(let what))? = error else { Issue.record("not the store's corruption"); return }
        #expect(what.contains("P201") && what.contains("orchard"), "\(what)")
    }
}
