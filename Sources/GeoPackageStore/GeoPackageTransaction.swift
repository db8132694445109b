import Foundation
import Geometry
import GRDB
import Parcels
import Store

/// One write transaction on a GeoPackage store: the primitives the write path uses, through
/// cached statements (a first import inserts a hundred thousand rows through the same two).
final class GeoPackageTransaction: StoreTransaction {
    let db: Database
    let path: String
    private var srs: Int32
    private(set) var parcelsChanged = false
    /// The union of the R*Tree's boxes when `finish` built it whole (from an empty index), for
    /// the table's extent.
    private(set) var builtIndexExtent: RTreeBulkLoad.Box?

    init(_ db: Database, path: String) throws {
        self.db = db
        self.path = path
        srs = try GeoPackageStore.srsID(db)
    }

    /// Runs one statement; returns the last inserted row id.
    @discardableResult
    func execute(_ sql: String, _ arguments: StatementArguments) throws(LandtrackError) -> Int64 {
        try flushPending()
        do {
            try db.cachedStatement(sql: sql).execute(arguments: arguments)
            return db.lastInsertedRowID
        } catch {
            throw GeoPackageStore.describe(error, path: path)
        }
    }

    /// Runs `body` on the database, after any rows a first import holds back (`pendingParcels`,
    /// `pendingEvents`): every statement of this transaction goes through here or `execute`, so
    /// none sees the tables without them.
    private func run<T>(_ body: () throws -> T) throws(LandtrackError) -> T {
        try flushPending()
        return try mapped(body)
    }

    private func mapped<T>(_ body: () throws -> T) throws(LandtrackError) -> T {
        do { return try body() } catch { throw GeoPackageStore.describe(error, path: path) }
    }

    func crs() throws(LandtrackError) -> CoordinateReferenceSystem { try GeoPackageStore.crs(srs) }

    /// WGS 84 and CGCS2000 positions differ by centimetres: a store keeps the CRS it started with.
    func adoptCRS(_ crs: CoordinateReferenceSystem) throws(LandtrackError) -> CoordinateReferenceSystem {
        guard let code = crs.epsgCode, Int32(code) != srs else { return try self.crs() }
        let empty = try run { try Int.fetchOne(db, sql: "SELECT count(*) FROM parcel_events") == 0 }
        guard empty else { return try self.crs() }
        srs = try run {
            let srs = try GeoPackage.addSRS(db, crs)
            try db.execute(sql: "UPDATE gpkg_geometry_columns SET srs_id = ?", arguments: [srs])
            try db.execute(sql: "UPDATE gpkg_contents SET srs_id = ? WHERE data_type = 'features'", arguments: [srs])
            return srs
        }
        return crs
    }

    func isEmpty() throws(LandtrackError) -> Bool {
        try run { try Int.fetchOne(db, sql: "SELECT count(*) FROM parcels") == 0 }
    }

    func parcel(_ id: String) throws(LandtrackError) -> Parcel? {
        try run {
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM parcels WHERE parcel_id = ?"), arguments: [id])
                .map { try GeoPackageStore.parcel($0, path: path) }
        }
    }

    /// Many ids (a re-import's chunk, in id order): one pass over their range of the parcel_id
    /// index, decoding only the rows asked for, instead of one lookup each; a few: one lookup each.
    func parcels(_ ids: [String]) throws(LandtrackError) -> [String: Parcel] {
        var out: [String: Parcel] = [:]
        guard ids.count > 1000 else {
            for id in ids { if let p = try parcel(id) { out[id] = p } }
            return out
        }
        let wanted = Set(ids)
        out.reserveCapacity(wanted.count)
        // SQLite's BINARY collation is the order of the UTF-8 bytes.
        let byBytes = { (a: String, b: String) in a.utf8.lexicographicallyPrecedes(b.utf8) }
        let low = ids.min(by: byBytes)!, high = ids.max(by: byBytes)!
        try run {
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM parcels WHERE parcel_id BETWEEN ? AND ?", arguments: [low, high])
            while let row = try rows.next() {
                let id: String = row["parcel_id"]
                if wanted.contains(id) { out[id] = try GeoPackageStore.parcel(row, path: path) }
            }
        }
        return out
    }

    func lastEventDate(_ id: String) throws(LandtrackError) -> CalendarDate? {
        let text: String? = try run {
            try String.fetchOne(db.cachedStatement(sql: "SELECT max(effective_date) FROM parcel_events WHERE parcel_id = ?"), arguments: [id])
        }
        return try run { try GeoPackageStore.date(text, path: path) }
    }

    func recordImportFingerprint(_ f: ImportFingerprint) throws(LandtrackError) {
        try execute("""
            INSERT OR REPLACE INTO landtrack_import_fingerprint (only_row, source, file_sha256, file_bytes, read_options, parcels,
              official_area_field, official_areas_checked, recorded_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [f.source, f.fileSHA256, f.fileBytes, f.readOptions, f.parcels, f.officialAreaField, f.officialAreasChecked, f.recordedAt])
    }

    /// Parcels inserted by this transaction.
    private var inserted = 0
    /// After this many inserts in one transaction into a store whose index has entries, the
    /// R*Tree's insert trigger is set aside and the index rows are written directly: the
    /// trigger's five geometry-function calls and its own statement took a fifth of an import.
    static let directIndexAfter = 1000

    /// How this transaction's inserts reach the parcels' R*Tree.
    private enum IndexWrites {
        /// Through the insert trigger, as any other writer's.
        case trigger
        /// The trigger set aside (`finish` makes it again); each envelope inserted directly.
        case direct
        /// The index was empty at the first insert (a first import, a restore): the trigger set
        /// aside and the envelopes kept (`bulkCells`), for `finish` to build the tree in one pass.
        case bulk
    }
    private var indexWrites: IndexWrites?
    private var bulkCells: [RTreeBulkLoad.Cell] = []
    /// The inserts a first import runs, their statements prepared once per transaction, and the
    /// bytes of the geometry blob they bind, reused from row to row.
    private lazy var parcelRows = RowsInsert(db, into: "parcels", columns: [
        "fid", "geom", "parcel_id", "state", "basic_farmland", "village", "landuse_code", "area_m2", "active", "properties",
        "deduction_ratio", "deduction_code",
    ])
    private lazy var eventRows = RowsInsert(db, into: "parcel_events", columns: [
        "event_id", "parcel_id", "kind", "from_state", "to_state", "pbf_before", "pbf_after", "effective_date", "recorded_at",
        "recorded_by", "ref", "note", "rule_id", "previous_geom", "previous_attributes",
    ])
    private var blobBytes: [UInt8] = []
    /// While the index is built in bulk (a first import, a restore), parcels and their events
    /// are inserted `rowsPerInsert` to a statement (`RowsInsert`). They wait here, with the ids
    /// they will have, until the batch is full or any other statement runs (`run`, `execute`,
    /// `finish` insert them first).
    static let rowsPerInsert = 32
    private var pendingParcels: [(parcel: Parcel, fid: Int64, envelope: Envelope)] = []
    /// While the index is built in bulk, the file's pages are flushed every `parcelsPerWriteback`
    /// parcels (about 10 MB of rows), so that the commit does not wait for all of them.
    private var writeback: EarlyWriteback?
    static let parcelsPerWriteback = 16_384
    private var pendingEvents: [(event: NewEvent, id: Int64)] = []

    func insert(_ p: Parcel) throws(LandtrackError) {
        try checkID(p.id)
        parcelsChanged = true
        inserted += 1
        if indexWrites == nil {
            let empty = try run { try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM \"rtree_parcels_geom_rowid\")") ?? false }
            indexWrites = .trigger
            if empty {
                try setIndexTriggerAside()
                indexWrites = .bulk
                writeback = EarlyWriteback(path: path)
            }
        }
        if case .trigger = indexWrites, inserted > Self.directIndexAfter {
            try setIndexTriggerAside()
            indexWrites = .direct
        }
        // A parcel always has polygons (the reader refuses empty geometries).
        let envelope = MultiPolygon(p.polygons).envelope!
        if case .bulk = indexWrites {
            let fid = if let last = pendingParcels.last { last.fid + 1 } else { try nextRowID(table: "parcels", column: "fid") }
            pendingParcels.append((p, fid, envelope))
            bulkCells.append(RTreeBulkLoad.Cell(id: fid, box: .init(minX: envelope.minX, maxX: envelope.maxX, minY: envelope.minY, maxY: envelope.maxY)))
            if pendingParcels.count == Self.rowsPerInsert { try flushParcels() }
            if inserted % Self.parcelsPerWriteback == 0 { writeback?.request() }
            return
        }
        let fid = try run { () throws -> Int64 in
            try parcelRows.run(CollectionOfOne(p)) { p, row in try bindParcel(p, fid: nil, envelope: envelope, into: row) }
        }
        if case .direct = indexWrites {
            // What the trigger writes: the envelope of the blob's header (ST_MinX … read it).
            try indexDirectly(fid, envelope)
        }
    }

    /// The id AUTOINCREMENT would give the next row of `table`: one more than the largest it
    /// ever gave (sqlite_sequence) or than any row has. A row inserted with it moves that on.
    /// Asked only when no row of `table` is held back; the other table's are left waiting.
    private func nextRowID(table: String, column: String) throws(LandtrackError) -> Int64 {
        try mapped {
            try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '\(table)'), 0),
                           coalesce((SELECT max(\(column)) FROM "\(table)"), 0)) + 1
                """)) ?? 1
        }
    }

    /// Binds a row of `parcelRows`; a nil fid is AUTOINCREMENT's.
    private func bindParcel(_ p: Parcel, fid: Int64?, envelope: Envelope, into row: RowsInsert.Row) throws {
        GeoPackage.blob(p.polygons, envelope: envelope, srsID: srs, into: &blobBytes)
        try row.bind(1, fid)
        try row.bind(2, blob: blobBytes)
        try row.bind(3, p.id)
        try row.bind(4, p.state.rawValue)
        try row.bind(5, p.basicFarmland)
        try row.bind(6, p.village)
        try row.bind(7, p.landuseCode)
        try row.bind(8, p.areaSquareMetres)
        try row.bind(9, p.active)
        try row.bind(10, p.properties.jsonText)
        try row.bind(11, p.deduction?.ratio ?? 0)
        try row.bind(12, p.deduction?.code)
    }

    /// Binds a row of `eventRows`; a nil id is AUTOINCREMENT's.
    private func bindEvent(_ e: NewEvent, id: Int64?, into row: RowsInsert.Row) throws {
        try row.bind(1, id)
        try row.bind(2, e.parcelID)
        try row.bind(3, e.kind.rawValue)
        try row.bind(4, e.fromState?.rawValue)
        try row.bind(5, e.toState?.rawValue)
        try row.bind(6, e.pbfBefore)
        try row.bind(7, e.pbfAfter)
        try row.bind(8, e.date.description)
        try row.bind(9, e.recordedAt)
        try row.bind(10, e.recordedBy)
        try row.bind(11, e.ref)
        try row.bind(12, e.note)
        try row.bind(13, e.ruleID)
        if let previous = e.previousPolygons {
            GeoPackage.blob(previous, envelope: MultiPolygon(previous).envelope!, srsID: srs, into: &blobBytes)
            try row.bind(14, blob: blobBytes)
        } else {
            try row.bind(14, blob: nil)
        }
        try row.bind(15, e.previousAttributes)
    }

    /// Inserts the rows held back, parcels first.
    private func flushPending() throws(LandtrackError) {
        try flushParcels()
        try flushEvents()
    }

    /// The parcels held back, in one statement.
    private func flushParcels() throws(LandtrackError) {
        guard !pendingParcels.isEmpty else { return }
        let rows = pendingParcels
        pendingParcels.removeAll(keepingCapacity: true)
        _ = try mapped {
            try parcelRows.run(rows) { p, row in try bindParcel(p.parcel, fid: p.fid, envelope: p.envelope, into: row) }
        }
    }

    /// The events held back, in one statement.
    private func flushEvents() throws(LandtrackError) {
        guard !pendingEvents.isEmpty else { return }
        let rows = pendingEvents
        pendingEvents.removeAll(keepingCapacity: true)
        _ = try mapped { try eventRows.run(rows) { e, row in try bindEvent(e.event, id: e.id, into: row) } }
    }

    private func indexDirectly(_ fid: Int64, _ envelope: Envelope) throws(LandtrackError) {
        try execute("INSERT OR REPLACE INTO \"rtree_parcels_geom\" VALUES (?, ?, ?, ?, ?)",
                    [fid, envelope.minX, envelope.maxX, envelope.minY, envelope.maxY])
    }

    /// Inside the transaction: a rollback brings the trigger back with everything else.
    private func setIndexTriggerAside() throws(LandtrackError) {
        try run { try db.execute(sql: "DROP TRIGGER \"rtree_parcels_geom_insert\"") }
    }

    /// The envelopes kept for a bulk build go into the index now, through the module, before
    /// anything else may touch the index (an update's triggers write to it).
    private func flushBulkIndex() throws(LandtrackError) {
        guard case .bulk = indexWrites else { return }
        indexWrites = .direct
        defer { bulkCells = [] }
        for c in bulkCells {
            try execute("INSERT OR REPLACE INTO \"rtree_parcels_geom\" VALUES (?, ?, ?, ?, ?)",
                        [c.id, Double(c.box.minX), Double(c.box.maxX), Double(c.box.minY), Double(c.box.maxY)])
        }
    }

    /// Before the transaction commits: the index built if it was kept for a bulk build, and the
    /// R*Tree's insert trigger made again if it was set aside.
    func finish() throws(LandtrackError) {
        writeback?.stop()
        writeback = nil
        try flushPending()
        switch indexWrites {
        case .bulk:
            // The module fixed its node size when the table was made: the empty root has it.
            let nodeBytes = try run { try Int.fetchOne(db, sql: "SELECT length(data) FROM \"rtree_parcels_geom_node\" WHERE nodeno = 1") } ?? 0
            if nodeBytes >= 4 + 2 * RTreeBulkLoad.bytesPerCell {
                let tree = RTreeBulkLoad(bulkCells, nodeBytes: nodeBytes)
                try run { try tree.write(db, rtree: "rtree_parcels_geom") }
                builtIndexExtent = tree.extent
                bulkCells = []
            } else {
                try flushBulkIndex()
            }
        case .direct: break
        default: return
        }
        try run { try db.execute(sql: GeoPackage.rtreeInsertTrigger("parcels")) }
        indexWrites = nil
    }

    func update(_ p: Parcel) throws(LandtrackError) {
        try flushBulkIndex()
        parcelsChanged = true
        try execute("""
            UPDATE parcels SET geom = ?, state = ?, basic_farmland = ?, village = ?, landuse_code = ?, area_m2 = ?, active = ?, properties = ?,
                               deduction_ratio = ?, deduction_code = ?
            WHERE parcel_id = ?
            """, [GeoPackage.blob(p.polygons, srsID: srs), p.state.rawValue, p.basicFarmland, p.village, p.landuseCode,
                  p.areaSquareMetres, p.active, p.properties.jsonText, p.deduction?.ratio ?? 0, p.deduction?.code, p.id])
    }

    func append(_ e: NewEvent) throws(LandtrackError) -> Int64 {
        try checkID(e.parcelID)
        if case .bulk = indexWrites {
            let id = if let last = pendingEvents.last { last.id + 1 } else { try nextRowID(table: "parcel_events", column: "event_id") }
            pendingEvents.append((e, id))
            if pendingEvents.count == Self.rowsPerInsert { try flushEvents() }
            return id
        }
        return try insertEvent(e, id: nil)
    }

    /// Inserts an event; a nil id takes the next one (AUTOINCREMENT), a copy keeps its own.
    private func insertEvent(_ e: NewEvent, id: Int64?) throws(LandtrackError) -> Int64 {
        try run { () throws -> Int64 in
            try eventRows.run(CollectionOfOne(e)) { e, row in try bindEvent(e, id: id, into: row) }
        }
    }

    func appendLineage(parent: String, child: String, eventID: Int64, kind: ParcelEvent.Kind) throws(LandtrackError) {
        try execute("INSERT INTO parcel_lineage (parent_id, child_id, event_id, kind) VALUES (?, ?, ?, ?)",
                    [parent, child, eventID, kind.rawValue])
    }

    func event(_ id: Int64) throws(LandtrackError) -> ParcelEvent {
        try run {
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM parcel_events WHERE event_id = ?", arguments: [id]) else {
                throw LandtrackError.store(location: path, .corrupt("event \(id) is not in the history"))
            }
            return try GeoPackageStore.event(row, path: path)
        }
    }

    func layer(_ layer: ConstraintLayer) throws(LandtrackError) -> [LayerGeometry] {
        try run { try GeoPackageStore.layer(db, layer) }
    }

    func replaceLayer(_ layer: ConstraintLayer, with features: [LayerGeometry]) throws(LandtrackError) {
        try run {
            try db.execute(sql: "DELETE FROM \"\(layer.rawValue)\"")
            let insert = try db.cachedStatement(sql: "INSERT INTO \"\(layer.rawValue)\" (geom, name, properties) VALUES (?, ?, ?)")
            for f in features {
                try insert.execute(arguments: [GeoPackage.blob(wkb: f.wkb, envelope: f.envelope, srsID: srs), f.name, f.propertiesJSON])
            }
            try GeoPackage.updateExtent(db, table: layer.rawValue)
        }
    }

    func restore(_ record: StoreRecord) throws(LandtrackError) {
        _ = try adoptCRS(record.crs)
        for p in record.parcels { try insert(p) }
        for r in record.events { _ = try insertEvent(NewEvent(r), id: r.event.eventID) }
        for l in record.lineage {
            try execute("INSERT INTO parcel_lineage (parent_id, child_id, event_id, kind) VALUES (?, ?, ?, ?)",
                        [l.parent, l.child, l.eventID, l.kind.rawValue])
        }
        for (layer, features) in record.layers {
            for f in features {
                try execute("INSERT INTO \"\(layer.rawValue)\" (fid, geom, name, properties) VALUES (?, ?, ?, ?)",
                            [f.featureID, GeoPackage.blob(wkb: f.wkb, envelope: f.envelope, srsID: srs), f.name, f.propertiesJSON])
            }
            try run { try GeoPackage.updateExtent(db, table: layer.rawValue) }
        }
        for t in record.tokens {
            try execute("INSERT INTO landtrack_tokens (token_id, owner, role, token_sha256, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
                        [t.token.id, t.token.owner, t.token.role.rawValue, t.sha256, t.token.createdAt, t.token.revokedAt])
        }
    }

    /// The last defence: the write path checks ids before it gets here.
    private func checkID(_ id: String) throws(LandtrackError) {
        if let r = ParcelID.refusal(id) { throw .refused([r]) }
    }
}
