import Foundation
import GRDB
import Testing
import Geometry
@testable import GeoPackageStore
import Parcels
import Store
import TestSupport

/// What a first import writes into a GeoPackage by its own means: the parcels' R*Tree built in
/// one pass (`RTreeBulkLoad`), against SQLite's own rtree module (the same rounded envelopes, a
/// tree SQLite's `rtreecheck` accepts, window queries that find what the envelopes say, a tree the
/// module goes on maintaining), and rows bound through SQLite's C API (`BoundStatement`).
@Suite struct FirstImportWritesTests {
    /// The module's rounding of a double to its stored floats, read back from an rtree the
    /// module filled, against `RTreeBulkLoad.Box`'s.
    @Test func envelopesAreRoundedOutwardsAsTheModuleRoundsThem() throws {
        var values: [Double] = [0, 1, -1, 0.1, -0.1, 113.1, -113.1, 23.05, 1e-42, -1e-42, 3.0e38, -3.0e38,
                                Double(Float(113.1)), Double(Float(113.1)).nextUp, Double(Float(-23.05)).nextDown]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { values.append(Double.random(in: -180...180, using: &random)) }
        for _ in 0..<500 { values.append(Double.random(in: 113.0...113.2, using: &random)) }
        let db = try DatabaseQueue()
        let stored = try db.write { db -> [(Double, Double)] in
            try db.execute(sql: "CREATE VIRTUAL TABLE t USING rtree(id, minx, maxx, miny, maxy)")
            for (i, v) in values.enumerated() { try db.execute(sql: "INSERT INTO t VALUES (?, ?, ?, ?, ?)", arguments: [i, v, v, v, v]) }
            return try Row.fetchAll(db, sql: "SELECT minx, maxx FROM t ORDER BY id").map { ($0[0], $0[1]) }
        }
        var differ = 0
        for (i, v) in values.enumerated() {
            let box = RTreeBulkLoad.Box(minX: v, maxX: v, minY: v, maxY: v)
            if Double(box.minX) != stored[i].0 || Double(box.maxX) != stored[i].1 { differ += 1 }
            // Below the floats' normal range the module's relative nudge is lost in rounding.
            if abs(v) > 1e-30 { #expect(Double(box.minX) <= v && Double(box.maxX) >= v, "\(v) is outside its box") }
        }
        #expect(differ == 0, "\(differ) of \(values.count) values rounded otherwise than SQLite's module rounds them")
    }

    /// Squares in a grid, some larger than a cell (their envelopes overlap others').
    static func squares(_ count: Int) -> [(String, String, Bool, Double, Double, Double)] {
        let columns = Int(Double(count).squareRoot().rounded(.up))
        return (0..<count).map { i in
            ("P\(i)", i % 5 == 0 ? "wasteland" : "farmland", i % 2 == 0, Double(i % columns) * 1.1, Double(i / columns) * 1.1, i % 7 == 0 ? 2.5 : 1)
        }
    }

    /// Every row of the index, in id order.
    static func indexRows(_ db: Database, _ table: String = "rtree_parcels_geom") throws -> [[Double]] {
        try Row.fetchAll(db, sql: "SELECT id, minx, maxx, miny, maxy FROM \"\(table)\" ORDER BY id").map { r in (0..<5).map { r[$0] } }
    }

    /// 1 and 51 parcels fit in the root (depth 0), 52 need a level of leaves (depth 1), 2,700 two
    /// levels (a node holds 51 cells: 51² = 2,601).
    @Test(arguments: [(1, 0), (51, 0), (52, 1), (2_700, 2)])
    func aFirstImportBuildsTheTreeTheModuleWouldQueryAlike(count: Int, depth: Int) throws {
        let store = try squareParcelStore(Self.squares(count))
        try store.read { db in
            #expect(try String.fetchOne(db, sql: "SELECT rtreecheck('rtree_parcels_geom')") == "ok")
            let root = try Data.fetchOne(db, sql: "SELECT data FROM rtree_parcels_geom_node WHERE nodeno = 1")!
            #expect(Int(root[0]) << 8 | Int(root[1]) == depth, "the root's depth")
            // The same envelopes (from the GeoPackage blobs) through the module, in a database of its own.
            var envelopes: [Int64: Envelope] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT fid, geom FROM parcels") { envelopes[row["fid"]] = GeoPackage.envelope(row["geom"])! }
            #expect(envelopes.count == count)
            let moduleBuilt = try DatabaseQueue()
            try moduleBuilt.write { m in
                try m.execute(sql: "CREATE VIRTUAL TABLE rtree_parcels_geom USING rtree(id, minx, maxx, miny, maxy)")
                for (fid, e) in envelopes {
                    try m.execute(sql: "INSERT INTO rtree_parcels_geom VALUES (?, ?, ?, ?, ?)", arguments: [fid, e.minX, e.maxX, e.minY, e.maxY])
                }
            }
            #expect(try Self.indexRows(db) == moduleBuilt.read { try Self.indexRows($0) })
            // Windows over the grid and beyond it: the ids found, against the envelopes themselves.
            for (x, y, size) in [(113.1, 23.05, 0.0005), (113.1015, 23.0512, 0.003), (113.12, 23.07, 0.02), (113.0, 23.0, 0.2), (114.0, 24.0, 0.01)] {
                let found = try Int64.fetchAll(db, sql: """
                    SELECT id FROM rtree_parcels_geom WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ? ORDER BY id
                    """, arguments: [x, x + size, y, y + size])
                let truth = envelopes.filter { $0.value.maxX >= x && $0.value.minX <= x + size && $0.value.maxY >= y && $0.value.minY <= y + size }
                #expect(found == truth.keys.sorted(), "window at \(x), \(y), \(size)°")
            }
        }
    }

    /// Changes after the bulk build go through the module's own inserts and deletes: the tree
    /// stays one `rtreecheck` accepts and keeps exactly the parcels' envelopes.
    @Test func theModuleMaintainsABulkBuiltTree() throws {
        let store = try squareParcelStore(Self.squares(600))
        let date = try CalendarDate(parsing: "2024-05-01")
        try store.transition((0..<600).filter { $0 % 5 == 0 }.map { TransitionRequest(parcelID: "P\($0)", to: .reclaimedFarmland, date: date) })
        try store.pool.write { db in
            try db.execute(sql: "DELETE FROM parcels WHERE fid % 3 = 0")
            // A new parcel through SQL, as another GeoPackage writer adds one: the insert trigger is back.
            try db.execute(sql: "INSERT INTO parcels (geom, parcel_id, state, area_m2) SELECT geom, 'copy', state, area_m2 FROM parcels WHERE fid = 2")
        }
        try store.read { db in
            #expect(try String.fetchOne(db, sql: "SELECT rtreecheck('rtree_parcels_geom')") == "ok")
            let envelopes = try Row.fetchAll(db, sql: "SELECT fid, geom FROM parcels ORDER BY fid").map { row -> [Double] in
                let e = GeoPackage.envelope(row["geom"])!
                let b = RTreeBulkLoad.Box(minX: e.minX, maxX: e.maxX, minY: e.minY, maxY: e.maxY)
                return [Double(row["fid"] as Int64), Double(b.minX), Double(b.maxX), Double(b.minY), Double(b.maxY)]
            }
            #expect(envelopes.count == 600 - 200 + 1)
            #expect(try Self.indexRows(db) == envelopes)
        }
    }

    /// A transaction that inserts into an empty store and then updates one of its new parcels:
    /// the kept envelopes go into the index before the update's triggers touch it.
    @Test func anUpdateInTheSameTransactionFindsTheIndexWritten() throws {
        let source = try squareParcelStore(Self.squares(80))
        let parcels = try source.snapshot().parcels
        let store = try GeoPackageStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID().uuidString).gpkg").path,
                                        create: true)
        try store.write { (tx) throws(LandtrackError) in
            for p in parcels { try tx.insert(p) }
            var moved = parcels[3]
            moved.polygons = parcels[70].polygons
            try tx.update(moved)
        }
        try store.read { db in
            #expect(try String.fetchOne(db, sql: "SELECT rtreecheck('rtree_parcels_geom')") == "ok")
            #expect(try Self.indexRows(db).count == 80)
            let moved = try Row.fetchOne(db, sql: "SELECT r.minx, r.miny FROM rtree_parcels_geom r JOIN parcels p ON p.fid = r.id WHERE p.parcel_id = ?",
                                         arguments: [parcels[3].id])!
            let e = MultiPolygon(parcels[70].polygons).envelope!
            #expect(abs(moved[0] - e.minX) < 1e-5 && abs(moved[1] - e.minY) < 1e-5, "the index has the updated envelope")
        }
    }

    /// A first import's transaction runs with the file in SQLite's rollback-journal mode (each
    /// page written once, not into the WAL and again at the checkpoint) and leaves it in WAL
    /// mode; while another connection has the file open (a reader that keeps it), SQLite refuses
    /// to leave WAL mode and the rows go through the log as in any write; a store that has
    /// parcels is written through the log too. The same rows every way.
    @Test(arguments: ["alone", "with a reader", "with parcels"]) func aFirstImportLeavesTheLogAloneOnlyWhenAlone(_ how: String) throws {
        let parcels = try squareParcelStore(Self.squares(500)).snapshot().parcels
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("alone-\(UUID().uuidString).gpkg").path
        let store = try GeoPackageStore(path: path, create: true)
        let reader = how == "with a reader" ? try GeoPackageStore(path: path, readOnly: true) : nil
        #expect(try reader?.counts()["parcels"] ?? 0 == 0)  // its connection stays open in its pool
        let (first, rest) = how == "with parcels" ? (Array(parcels.prefix(1)), Array(parcels.dropFirst())) : ([], parcels)
        if !first.isEmpty { try store.write { (tx) throws(LandtrackError) in try tx.insert(first[0]) } }
        let modeInside = try store.writeMany { (tx) throws(LandtrackError) -> String? in
            for p in rest { try tx.insert(p) }
            do {
                return try String.fetchOne((tx as! GeoPackageTransaction).db, sql: "PRAGMA journal_mode")
            } catch {
                throw .store(location: path, .database("\(error)"))
            }
        }
        #expect(modeInside == (how == "alone" ? "delete" : "wal"))
        var readOnly = Configuration()
        readOnly.readonly = true
        #expect(try DatabaseQueue(path: path, configuration: readOnly).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(!FileManager.default.fileExists(atPath: path + "-journal"))
        #expect(try store.snapshot().parcels == parcels)
        #expect(try reader?.counts()["parcels"] ?? parcels.count == parcels.count)
        #expect(try store.read { db in try String.fetchOne(db, sql: "SELECT rtreecheck('rtree_parcels_geom')") } == "ok")
    }

    /// A row SQLite refuses (a parcel id twice, past the reader's own duplicate check) is the
    /// database's error with SQLite's code, and the transaction leaves nothing.
    @Test func aRowSQLiteRefusesIsItsErrorAndLeavesNothing() throws {
        let parcels = try squareParcelStore(Self.squares(3)).snapshot().parcels
        let store = try GeoPackageStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("refused-\(UUID().uuidString).gpkg").path,
                                        create: true)
        let error = #expect(throws: LandtrackError.self) {
            try store.write { (tx) throws(LandtrackError) in
                for p in parcels { try tx.insert(p) }
                try tx.insert(parcels[1])
            }
        }
        guard case let .store(location, .database(message))? = error else {
            Issue.record("not the database's error: \(String(describing: error))")
            return
        }
        #expect(location == store.location)
        #expect(!message.isEmpty)
        let (parcelRows, indexRows, check, triggers) = try store.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM parcels"), try Int.fetchOne(db, sql: "SELECT count(*) FROM rtree_parcels_geom"),
             try String.fetchOne(db, sql: "SELECT rtreecheck('rtree_parcels_geom')"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'rtree_parcels_geom_insert'"))
        }
        #expect(parcelRows == 0 && indexRows == 0)
        #expect(check == "ok")
        #expect(triggers == 1, "the insert trigger set aside comes back with the rollback")
    }

    /// Snapshots read the parcels table in its own order and sort only when it is not in id
    /// order: a file listing ids out of order (non-ASCII among them) still gives snapshots in the
    /// stores' byte order, the order of SQLite's BINARY collation.
    @Test func aSnapshotIsInIdOrderWhateverTheRowsOrder() throws {
        let ids = ["Z-9", "甲-1", "A-1", "b-2", "B-1", "A-10", "A-2"]
        let store = try squareParcelStore(ids.enumerated().map { ($1, "farmland", false, Double($0) * 1.1, 0, 1) })
        let byBytes = ids.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        #expect(try store.snapshot().parcels.map(\.id) == byBytes)
        let sqliteOrder = try store.read { db in try String.fetchAll(db, sql: "SELECT parcel_id FROM parcels ORDER BY parcel_id") }
        #expect(sqliteOrder == byBytes)
        #expect(try store.snapshot(asOf: CalendarDate(parsing: "2023-01-01")).parcels.map(\.id) == byBytes)
    }

    /// While the index is built in bulk, parcels and events are held back and inserted
    /// `rowsPerInsert` to a statement: they get the ids AUTOINCREMENT gives (consecutive in the
    /// order inserted, past an id given once and deleted since), `append` returns the event's
    /// very id, and a read inside the transaction sees every row held back.
    @Test(arguments: [1, 31, 32, 33, 70])
    func rowsHeldBackGetAutoincrementsIdsAndAreSeenByReads(count: Int) throws {
        #expect(count <= 2 * GeoPackageTransaction.rowsPerInsert + 6, "the counts span a batch, a full one, one more")
        let parcels = try squareParcelStore(Self.squares(count + 1)).snapshot().parcels
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("held-back-\(UUID().uuidString).gpkg").path
        let store = try GeoPackageStore(path: path, create: true)
        func sql(_ tx: any StoreTransaction, _ text: String) throws(LandtrackError) {
            do { try (tx as! GeoPackageTransaction).db.execute(sql: text) } catch { throw .store(location: path, .database("\(error)")) }
        }
        let day = try CalendarDate(parsing: "2023-01-01")
        func event(_ id: String) -> NewEvent { NewEvent(parcelID: id, kind: .imported, toState: .farmland, date: day, recordedAt: "t", recordedBy: "test") }
        // Parcel 1 and event 1 given out; the parcel deleted (the index empty again: bulk once more).
        try store.write { (tx) throws(LandtrackError) in
            try tx.insert(parcels[count])
            _ = try tx.append(event(parcels[count].id))
        }
        try store.write { (tx) throws(LandtrackError) in try sql(tx, "DELETE FROM parcels") }
        var eventIDs: [Int64] = []
        try store.write { (tx) throws(LandtrackError) in
            for (i, p) in parcels.prefix(count).enumerated() {
                try tx.insert(p)
                eventIDs.append(try tx.append(event(p.id)))
                if i == count / 2 {
                    #expect(try tx.parcel(p.id) == p, "a parcel held back is read")
                    #expect(try tx.event(eventIDs[i]).parcelID == p.id, "an event held back is read by the id append gave")
                }
            }
        }
        let (fids, events, sequence) = try store.read { db in
            (try Row.fetchAll(db, sql: "SELECT fid, parcel_id FROM parcels ORDER BY fid").map { [String($0[0] as Int64), $0[1] as String] },
             try Row.fetchAll(db, sql: "SELECT event_id, parcel_id FROM parcel_events WHERE event_id > 1 ORDER BY event_id")
                .map { [String($0[0] as Int64), $0[1] as String] },
             try Row.fetchAll(db, sql: "SELECT name, seq FROM sqlite_sequence WHERE name IN ('parcels', 'parcel_events') ORDER BY name")
                .map { "\($0[0] as String) \($0[1] as Int64)" })
        }
        let expected = parcels.prefix(count).enumerated().map { [String($0.offset + 2), $0.element.id] }
        #expect(fids == expected)
        #expect(events == expected)
        #expect(eventIDs == (0..<count).map { Int64($0 + 2) })
        #expect(sequence == ["parcel_events \(count + 1)", "parcels \(count + 1)"])
        #expect(try store.read { db in try String.fetchOne(db, sql: "SELECT rtreecheck('rtree_parcels_geom')") } == "ok")
        #expect(try store.snapshot().parcels == Array(parcels.prefix(count)).sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) })
    }

    /// A new store's pages are 16 KiB (a first import writes a quarter of the pages it wrote at
    /// SQLite's 4 KiB); the R*Tree's nodes hold their 51 cells all the same.
    @Test func aNewStoreHasPagesOfSixteenKiB() throws {
        let store = try squareParcelStore(Self.squares(52))
        let (pageSize, rootBytes) = try store.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_size"), try Int.fetchOne(db, sql: "SELECT length(data) FROM rtree_parcels_geom_node WHERE nodeno = 1"))
        }
        #expect(pageSize == 16384)
        #expect(rootBytes == 4 + 51 * RTreeBulkLoad.bytesPerCell)
    }

    /// Texts and blobs bound without SQLite's copy (`RowsInsert`, `KeptBytes`) arrive whole in
    /// every row: empty, small, UTF-8, and larger than a block of kept bytes (one alone, and
    /// after smaller ones in the same statement), statement after statement of other row counts.
    @Test func keptTextsAndBlobsArriveWhole() throws {
        let big = String(repeating: "竹冈村 0601 ", count: 9_000)  // 135,000 bytes: more than a 64 KiB block
        let texts: [String?] = ["", "a", "NH-000001", big, nil, "{\"id\":\"NH-1\"}", String(repeating: "x", count: 70_000), "é"]
        let blobs: [[UInt8]?] = [[], [1], nil, Array(repeating: 7, count: 100_000), [0, 0, 0], Array(big.utf8), [255], []]
        var rows: [(Int64, String?, [UInt8]?)] = []
        for round in 0..<3 {
            for k in texts.indices { rows.append((Int64(rows.count + 1), texts[(k + round) % texts.count], blobs[(k * 3 + round) % blobs.count])) }
        }
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT, blob BLOB)")
            var insert = RowsInsert(db, into: "t", columns: ["id", "text", "blob"])
            var start = 0
            for count in [1, 5, 2, 8, 1, 7] where start < rows.count {
                try insert.run(rows[start..<min(start + count, rows.count)]) { r, row in
                    try row.bind(1, r.0)
                    try row.bind(2, r.1)
                    try row.bind(3, blob: r.2)
                }
                start += count
            }
            #expect(start >= rows.count)
        }
        let stored = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT id, text, blob, typeof(blob) FROM t ORDER BY id").map { r in
                (r[0] as Int64, r[1] as String?, (r[2] as Data?).map { Array($0) } ?? (r[3] as String == "blob" ? [] : nil))
            }
        }
        #expect(stored.count == rows.count)
        for (a, b) in zip(stored, rows) {
            #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2, "row \(b.0)")
        }
    }

    /// A first import's extent in gpkg_contents (from the boxes the tree was built of) is what
    /// the R*Tree gives, and so is the extent after a later import that adds parcels (read back
    /// from the tree).
    @Test func theExtentIsTheIndexsExtent() throws {
        let store = try squareParcelStore(Self.squares(60))
        func extents() throws -> ([Double?], [Double?]) {
            try store.read { db in
                let contents = try Row.fetchOne(db, sql: "SELECT min_x, max_x, min_y, max_y FROM gpkg_contents WHERE table_name = 'parcels'")!
                let index = try Row.fetchOne(db, sql: "SELECT min(minx), max(maxx), min(miny), max(maxy) FROM rtree_parcels_geom")!
                return ((0..<4).map { contents[$0] }, (0..<4).map { index[$0] })
            }
        }
        let (first, firstIndex) = try extents()
        #expect(first.allSatisfy { $0 != nil })
        #expect(first == firstIndex)
        let more = try squareParcelStore(Self.squares(80)).snapshot().parcels.suffix(20)
        try store.write { (tx) throws(LandtrackError) in
            for var p in more {
                p.id = "more-" + p.id
                try tx.insert(p)
            }
        }
        let (after, afterIndex) = try extents()
        #expect(after == afterIndex)
        #expect(after != first, "the parcels added reach beyond the first extent")
    }

    /// The packing's sort as integers (ids consecutive from the first) orders as the plain
    /// comparison of the boxes' centres, then ids, does: centres tied (many equal), -0 and 0,
    /// negative and positive; and ids not consecutive take the plain comparison itself.
    @Test(arguments: [false, true]) func packingOrdersAsComparingCentresThenIds(gaps: Bool) throws {
        var rng = SplitMix(seed: gaps ? 7 : 11)
        let values: [Float] = [0, -0.0, 1, -1, 113.1, -113.1, 23.05, Float(113.1).nextUp, 2.5e-40, -2.5e-40]
        let cells = (0..<5_000).map { i -> RTreeBulkLoad.Cell in
            let x = Bool.random(using: &rng) ? values[Int.random(in: 0..<values.count, using: &rng)] : Float.random(in: -180...180, using: &rng)
            let y = Bool.random(using: &rng) ? values[Int.random(in: 0..<values.count, using: &rng)] : Float.random(in: -90...90, using: &rng)
            return RTreeBulkLoad.Cell(id: gaps ? Int64(i) * 3 + 5 : Int64(i) + 1_000, box: .init(floats: x, x, y, y))
        }
        func plain(_ cells: [RTreeBulkLoad.Cell], capacity: Int) -> [[Int64]] {
            let nodes = (cells.count + capacity - 1) / capacity
            let perSlice = Int(Double(nodes).squareRoot().rounded(.up)) * capacity
            let byX = cells.sorted { $0.box.centreX != $1.box.centreX ? $0.box.centreX < $1.box.centreX : $0.id < $1.id }
            var out: [[Int64]] = []
            for start in stride(from: 0, to: byX.count, by: perSlice) {
                let slice = byX[start..<min(start + perSlice, byX.count)]
                    .sorted { $0.box.centreY != $1.box.centreY ? $0.box.centreY < $1.box.centreY : $0.id < $1.id }
                for s in stride(from: 0, to: slice.count, by: capacity) { out.append(slice[s..<min(s + capacity, slice.count)].map(\.id)) }
            }
            return out
        }
        #expect(RTreeBulkLoad.pack(cells, capacity: 51).map { $0.map(\.id) } == plain(cells, capacity: 51))
    }

    /// The early flush of a first import's pages only flushes: a file it is asked to flush
    /// many times keeps its bytes, a missing file gives none (the commit's sync does it all).
    @Test func earlyWritebackOnlyFlushes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("writeback-\(UUID().uuidString)").path
        #expect(EarlyWriteback(path: path) == nil)
        let bytes = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try bytes.write(to: URL(fileURLWithPath: path))
        let writeback = try #require(EarlyWriteback(path: path))
        for _ in 0..<20 { writeback.request() }
        writeback.stop()
        writeback.request()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        // Let go of without `stop` (a failed transaction's): its thread ends and closes the file.
        func openHere() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path
            }.count
        }
        for _ in 0..<5 { _ = EarlyWriteback(path: path)?.request() }
        var open = try openHere()
        for _ in 0..<250 where open > 0 {
            Thread.sleep(forTimeInterval: 0.02)
            open = try openHere()
        }
        #expect(open == 0, "the threads of writebacks let go of closed the file")
    }
}
