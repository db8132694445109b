import Foundation
import Geometry
import Parcels
import Store

/// One write transaction on a PostGIS store: the primitives the write path uses.
///
/// New parcels and events are buffered and streamed into an open `COPY` (the server parses
/// while the next rows are built, instead of one round trip per row); changed parcels go in
/// with one `UPDATE … FROM` a temporary table; any read sends what is buffered and ends the
/// COPY first, so the transaction always reads what it wrote. Event ids are reserved from the
/// sequence in blocks, so an append returns its id at once. A first import into an empty store
/// by the tables' owner drops the spatial and history indexes and builds them once after the
/// rows, under a table lock that keeps other writers out.
final class PostGISTransaction: StoreTransaction {
    let c: PGConnection
    let store: PostGISStore
    private var srid: Int32
    /// The database failure that ended a primitive (the store retries a transaction that raced).
    private(set) var lastFailure: PGFailure?

    private var parcelRows = CopyRows()
    /// Parcels changed by this transaction and not yet sent, by id (a second change of one
    /// parcel sends the first before it is kept).
    private var pendingUpdates: [Parcel] = []
    private var pendingUpdateIDs = Set<String>()
    private var eventRows = CopyRows()
    private var reservedIDs: [Int64] = []
    private var reservedNext = 0
    /// A first import: indexes dropped, rebuilt by `finish`.
    private var bulk = false
    private var indexesDropped = false
    private var parcelsChanged = false

    /// New parcels are sent in pieces of this size into one open COPY: the server parses one
    /// piece while the next is built. Events, small rows, are sent in larger pieces (each switch
    /// between the two COPYs waits for the server to finish the other).
    static let parcelFlushBytes = 1 << 20
    static let eventFlushBytes = 32 << 20
    /// Changed parcels sent at once: more than `fewUpdates` go through COPY into a temporary
    /// table and one UPDATE … FROM (a re-import of a whole survey), fewer one UPDATE each.
    static let flushUpdates = 20_000
    static let fewUpdates = 8

    init(_ c: PGConnection, store: PostGISStore) throws {
        self.c = c
        self.store = store
        srid = try PostGISStore.srid(c)
    }

    /// Runs database calls, remembering a database failure for the retry decision.
    func run<T>(_ body: (PGConnection) throws -> T) throws(LandtrackError) -> T {
        do {
            return try body(c)
        } catch let f as PGFailure {
            lastFailure = f
            throw store.describe(f)
        } catch {
            throw store.describe(error)
        }
    }

    // MARK: Buffers

    static let parcelCopyColumns = "parcel_id, state, basic_farmland, village, landuse_code, area_m2, active, properties, deduction_ratio, deduction_code, geom"

    /// New parcels, then changed ones (a parcel added and changed in one transaction is sent in
    /// that order).
    private func flushParcels() throws(LandtrackError) {
        if !parcelRows.isEmpty {
            try dropIndexesForBulk()
            let data = parcelRows.data
            parcelRows = CopyRows()
            try run { try $0.copyIn("COPY parcels (\(Self.parcelCopyColumns)) FROM STDIN", data) }
        }
        try flushUpdates()
    }

    private func flushUpdates() throws(LandtrackError) {
        guard !pendingUpdates.isEmpty else { return }
        let updates = pendingUpdates
        pendingUpdates = []
        pendingUpdateIDs = []
        if updates.count <= Self.fewUpdates {
            for p in updates {
                try run {
                    try $0.execute("""
                        UPDATE parcels SET geom = ST_GeomFromWKB($1::bytea, $2::int), state = $3::text, basic_farmland = $4::boolean,
                          village = $5::text, landuse_code = $6::text, area_m2 = $7::float8, active = $8::boolean, properties = $9::text,
                          deduction_ratio = $11::float8, deduction_code = $12::text
                        WHERE parcel_id = $10::text
                        """, [.bytes(WKB.multiPolygon(p.polygons)), PGValue(Int(srid)), .text(p.state.rawValue), PGValue(p.basicFarmland),
                              PGValue(p.village), PGValue(p.landuseCode), PGValue(p.areaSquareMetres), PGValue(p.active),
                              .text(p.properties.jsonText), .text(p.id), PGValue(p.deduction?.ratio ?? 0), PGValue(p.deduction?.code)])
                }
            }
            return
        }
        var rows = CopyRows()
        for p in updates { row(p, &rows) }
        try run { c in
            try c.run("""
                CREATE TEMPORARY TABLE IF NOT EXISTS landtrack_parcel_updates (parcel_id text COLLATE "C" PRIMARY KEY, state text,
                  basic_farmland boolean, village text, landuse_code text, area_m2 double precision, active boolean, properties text,
                  deduction_ratio double precision, deduction_code text, geom geometry) ON COMMIT DELETE ROWS
                """)
            try c.copyIn("COPY landtrack_parcel_updates (\(Self.parcelCopyColumns)) FROM STDIN", rows.data)
            try c.run("""
                UPDATE parcels p SET state = u.state, basic_farmland = u.basic_farmland, village = u.village, landuse_code = u.landuse_code,
                  area_m2 = u.area_m2, active = u.active, properties = u.properties, deduction_ratio = u.deduction_ratio,
                  deduction_code = u.deduction_code, geom = u.geom
                FROM landtrack_parcel_updates u WHERE p.parcel_id = u.parcel_id;
                TRUNCATE landtrack_parcel_updates
                """)
        }
    }

    /// One parcel as a COPY row of `parcelCopyColumns`.
    private func row(_ p: Parcel, _ rows: inout CopyRows) {
        rows.text(p.id)
        rows.text(p.state.rawValue)
        rows.bool(p.basicFarmland)
        rows.text(p.village)
        rows.text(p.landuseCode)
        rows.double(p.areaSquareMetres)
        rows.bool(p.active)
        rows.text(p.properties.jsonText)
        rows.double(p.deduction?.ratio ?? 0)
        rows.text(p.deduction?.code)
        rows.geometry(WKB.multiPolygon(p.polygons), srid: srid)
        rows.endRow()
    }

    private func flushEvents() throws(LandtrackError) {
        guard !eventRows.isEmpty else { return }
        try dropIndexesForBulk()
        let data = eventRows.data
        eventRows = CopyRows()
        try run {
            try $0.copyIn("""
                COPY parcel_events (event_id, parcel_id, kind, from_state, to_state, pbf_before, pbf_after, effective_date,
                  recorded_at, recorded_by, ref, note, rule_id, previous_geom, previous_attributes) FROM STDIN
                """, data)
        }
    }

    private func flush() throws(LandtrackError) {
        try flushParcels()
        try flushEvents()
    }

    private func dropIndexesForBulk() throws(LandtrackError) {
        guard bulk, !indexesDropped else { return }
        indexesDropped = true
        try run { try $0.run("DROP INDEX IF EXISTS parcels_geom_idx, parcel_events_parcel_idx") }
    }

    /// Sends what is buffered; after a first import, builds the indexes and the planner's statistics.
    func finish() throws(LandtrackError) {
        try flush()
        try run { try $0.endCopy() }
        if indexesDropped {
            try run {
                try $0.run("""
                    CREATE INDEX parcels_geom_idx ON parcels USING gist (geom);
                    CREATE INDEX parcel_events_parcel_idx ON parcel_events (parcel_id, effective_date, event_id);
                    ANALYZE parcels; ANALYZE parcel_events
                    """)
            }
        }
    }

    private func nextEventID() throws(LandtrackError) -> Int64 {
        if reservedNext == reservedIDs.count {
            // A query ends the open COPY (the server catches up before the next rows are sent):
            // a large import reserves ever larger blocks, so it asks a handful of times.
            let n = bulk ? min(max(10_000, 2 * reservedIDs.count), 1 << 20) : 16
            reservedIDs = try run { c in
                let r = try c.execute("SELECT nextval('parcel_events_event_id_seq') FROM generate_series(1, $1::int)", [PGValue(n)])
                return try (0..<r.rowCount).map { try r.int64($0, 0)! }
            }
            reservedNext = 0
        }
        defer { reservedNext += 1 }
        return reservedIDs[reservedNext]
    }

    // MARK: StoreTransaction

    func crs() throws(LandtrackError) -> CoordinateReferenceSystem { try PostGISStore.crs(srid) }

    /// WGS 84 and CGCS2000 positions differ by centimetres: a store keeps the CRS it started with.
    func adoptCRS(_ crs: CoordinateReferenceSystem) throws(LandtrackError) -> CoordinateReferenceSystem {
        guard let code = crs.epsgCode, Int32(code) != srid else { return try self.crs() }
        try flush()
        let empty = try run { try $0.execute("SELECT NOT EXISTS (SELECT 1 FROM parcel_events)").bool(0, 0) == true }
        guard empty else { return try self.crs() }
        let new = Int32(code)
        try run { c in
            var sql = ""
            let columns = [("parcels", "geom", "MultiPolygon"), ("parcel_events", "previous_geom", "MultiPolygon")]
                + ConstraintLayer.allCases.map { ($0.rawValue, "geom", "Geometry") }
            for (table, column, type) in columns {
                sql += "ALTER TABLE \(table) ALTER COLUMN \(column) TYPE geometry(\(type), \(new)) USING ST_SetSRID(\(column), \(new));\n"
            }
            sql += "UPDATE landtrack_settings SET srid = \(new);"
            try c.run(sql)
        }
        srid = new
        return crs
    }

    func isEmpty() throws(LandtrackError) -> Bool {
        try flush()
        let empty = try run { try $0.execute("SELECT NOT EXISTS (SELECT 1 FROM parcels)").bool(0, 0) == true }
        guard empty else { return false }
        // Keep other writers out, then look again: the answer holds until this transaction ends.
        // (Every write of history also writes parcels, so the parcels lock is enough; a role that
        // may only append history could not take a lock this strong on parcel_events.)
        try run { try $0.run("LOCK TABLE parcels IN SHARE ROW EXCLUSIVE MODE") }
        guard try run({ try $0.execute("SELECT NOT EXISTS (SELECT 1 FROM parcels)").bool(0, 0) == true }) else { return false }
        // Dropping and rebuilding the indexes is the owner's right; another role imports row by
        // row into the indexed tables.
        bulk = try run { try $0.execute("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'parcels'::regclass").bool(0, 0) == true }
        return true
    }

    func parcel(_ id: String) throws(LandtrackError) -> Parcel? {
        try flushParcels()
        return try run { c in
            let r = try c.execute("SELECT \(PostGISStore.parcelColumns) FROM parcels WHERE parcel_id = $1::text FOR UPDATE", [.text(id)])
            return r.rowCount == 0 ? nil : try store.parcel(r, 0)
        }
    }

    /// Locks and reads many parcels in one query, in id order (so that two writers lock in the
    /// same order and cannot deadlock).
    func parcels(_ ids: [String]) throws(LandtrackError) -> [String: Parcel] {
        try flushParcels()
        guard !ids.isEmpty else { return [:] }
        return try run { c in
            let r = try c.execute("""
                SELECT \(PostGISStore.parcelColumns) FROM parcels WHERE parcel_id = ANY($1::text[]) ORDER BY parcel_id FOR UPDATE
                """, [.text(PostGISStore.arrayLiteral(ids))])
            var out: [String: Parcel] = [:]
            for i in 0..<r.rowCount {
                let p = try store.parcel(r, i)
                out[p.id] = p
            }
            return out
        }
    }

    func lastEventDate(_ id: String) throws(LandtrackError) -> CalendarDate? {
        try flushEvents()
        let text = try run { try $0.execute("SELECT max(effective_date)::text FROM parcel_events WHERE parcel_id = $1::text", [.text(id)]).text(0, 0) }
        return try store.date(text)
    }

    /// Records nothing for a role without the grant (`scripts/postgis-roles.sql` gives it to
    /// the writer role): its re-imports are then always read and compared.
    func recordImportFingerprint(_ f: ImportFingerprint) throws(LandtrackError) {
        try flushParcels()
        try run { c in
            let allowed = try c.execute("""
                SELECT has_table_privilege('landtrack_import_fingerprint', 'INSERT') AND has_table_privilege('landtrack_import_fingerprint', 'UPDATE')
                """).bool(0, 0) == true
            guard allowed else { return }
            _ = try c.execute("""
                INSERT INTO landtrack_import_fingerprint (source, file_sha256, file_bytes, read_options, parcels, official_area_field,
                  official_areas_checked, recorded_at) VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::bigint, $6::text, $7::bigint, $8::text)
                ON CONFLICT (only_row) DO UPDATE SET source = EXCLUDED.source, file_sha256 = EXCLUDED.file_sha256,
                  file_bytes = EXCLUDED.file_bytes, read_options = EXCLUDED.read_options, parcels = EXCLUDED.parcels,
                  official_area_field = EXCLUDED.official_area_field, official_areas_checked = EXCLUDED.official_areas_checked,
                  recorded_at = EXCLUDED.recorded_at
                """, [.text(f.source), .text(f.fileSHA256), PGValue(f.fileBytes), .text(f.readOptions), PGValue(f.parcels),
                      PGValue(f.officialAreaField), PGValue(f.officialAreasChecked), .text(f.recordedAt)])
        }
    }

    func insert(_ p: Parcel) throws(LandtrackError) {
        try checkID(p.id)
        parcelsChanged = true
        row(p, &parcelRows)
        if parcelRows.data.count > Self.parcelFlushBytes { try flushParcels() }
    }

    func update(_ p: Parcel) throws(LandtrackError) {
        parcelsChanged = true
        if pendingUpdateIDs.contains(p.id) { try flushParcels() }
        pendingUpdates.append(p)
        pendingUpdateIDs.insert(p.id)
        if pendingUpdates.count >= Self.flushUpdates { try flushParcels() }
    }

    func append(_ e: NewEvent) throws(LandtrackError) -> Int64 {
        try checkID(e.parcelID)
        let id = try nextEventID()
        try buffer(e, id: id)
        return id
    }

    /// One event row for the next COPY.
    private func buffer(_ e: NewEvent, id: Int64) throws(LandtrackError) {
        eventRows.int(id)
        eventRows.text(e.parcelID)
        eventRows.text(e.kind.rawValue)
        eventRows.text(e.fromState?.rawValue)
        eventRows.text(e.toState?.rawValue)
        eventRows.bool(e.pbfBefore)
        eventRows.bool(e.pbfAfter)
        eventRows.text(e.date.description)
        eventRows.text(e.recordedAt)
        eventRows.text(e.recordedBy)
        eventRows.text(e.ref)
        eventRows.text(e.note)
        eventRows.text(e.ruleID)
        eventRows.geometry(e.previousPolygons.map { WKB.multiPolygon($0) }, srid: srid)
        eventRows.text(e.previousAttributes)
        eventRows.endRow()
        if eventRows.data.count > Self.eventFlushBytes { try flushEvents() }
    }

    func appendLineage(parent: String, child: String, eventID: Int64, kind: ParcelEvent.Kind) throws(LandtrackError) {
        try run {
            try $0.execute("INSERT INTO parcel_lineage (parent_id, child_id, event_id, kind) VALUES ($1::text, $2::text, $3::int8, $4::text)",
                           [.text(parent), .text(child), PGValue(eventID), .text(kind.rawValue)])
        }
    }

    func event(_ id: Int64) throws(LandtrackError) -> ParcelEvent {
        try flushEvents()
        return try run { c in
            let r = try c.execute("SELECT \(PostGISStore.eventColumns) FROM parcel_events WHERE event_id = $1::int8", [PGValue(id)])
            guard r.rowCount == 1 else { throw LandtrackError.store(location: store.location, .corrupt("event \(id) is not in the history")) }
            return try store.event(r, 0)
        }
    }

    func layer(_ layer: ConstraintLayer) throws(LandtrackError) -> [LayerGeometry] {
        try run { try store.layer($0, layer) }
    }

    func replaceLayer(_ layer: ConstraintLayer, with features: [LayerGeometry]) throws(LandtrackError) {
        try run { c in
            try c.run("DELETE FROM \(layer.rawValue)")
            for f in features {
                try c.execute("INSERT INTO \(layer.rawValue) (geom, name, properties) VALUES (ST_GeomFromWKB($1::bytea, $2::int), $3::text, $4::text)",
                              [.bytes(f.wkb), PGValue(Int(srid)), PGValue(f.name), .text(f.propertiesJSON)])
            }
        }
    }

    func restore(_ record: StoreRecord) throws(LandtrackError) {
        _ = try adoptCRS(record.crs)
        bulk = true
        for p in record.parcels { try insert(p) }
        for e in record.events { try buffer(NewEvent(e), id: e.event.eventID) }
        try flush()
        try run { c in
            for l in record.lineage {
                try c.execute("INSERT INTO parcel_lineage (parent_id, child_id, event_id, kind) VALUES ($1::text, $2::text, $3::int8, $4::text)",
                              [.text(l.parent), .text(l.child), PGValue(l.eventID), .text(l.kind.rawValue)])
            }
            for (layer, features) in record.layers {
                for f in features {
                    try c.execute("INSERT INTO \(layer.rawValue) (fid, geom, name, properties) VALUES ($1::int8, ST_GeomFromWKB($2::bytea, $3::int), $4::text, $5::text)",
                                  [PGValue(f.featureID ?? 0), .bytes(f.wkb), PGValue(Int(srid)), PGValue(f.name), .text(f.propertiesJSON)])
                }
            }
            for t in record.tokens {
                try c.execute("""
                    INSERT INTO landtrack_tokens (token_id, owner, role, token_sha256, created_at, revoked_at)
                    VALUES ($1::int8, $2::text, $3::text, $4::text, $5::text, $6::text)
                    """, [PGValue(t.token.id), .text(t.token.owner), .text(t.token.role.rawValue), .text(t.sha256),
                          .text(t.token.createdAt), PGValue(t.token.revokedAt)])
            }
            // The sequences continue after the copied ids.
            try c.run("""
                SELECT setval('parcel_events_event_id_seq', greatest((SELECT max(event_id) FROM parcel_events), 1));
                SELECT setval('parcel_lineage_lineage_id_seq', greatest((SELECT max(lineage_id) FROM parcel_lineage), 1));
                SELECT setval('landtrack_tokens_token_id_seq', greatest((SELECT max(token_id) FROM landtrack_tokens), 1));
                \(ConstraintLayer.allCases.map { "SELECT setval('\($0.rawValue)_fid_seq', greatest((SELECT max(fid) FROM \($0.rawValue)), 1));" }.joined(separator: "\n"))
                """)
        }
    }

    /// The last defence: the write path checks ids before it gets here.
    private func checkID(_ id: String) throws(LandtrackError) {
        if let r = ParcelID.refusal(id) { throw .refused([r]) }
    }
}
