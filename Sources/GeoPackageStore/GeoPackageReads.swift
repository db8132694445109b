import Foundation
import Geometry
import GRDB
import Parcels
import Store

extension GeoPackageStore {
    public func parcel(_ id: String) throws(LandtrackError) -> Parcel? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM parcels WHERE parcel_id = ?", arguments: [id]).map { try Self.parcel($0, path: path) }
        }
    }

    public func history(_ id: String) throws(LandtrackError) -> [ParcelEvent] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM parcel_events WHERE parcel_id = ? ORDER BY effective_date, event_id", arguments: [id])
                .map { try Self.event($0, path: path) }
        }
    }

    public func lineage(_ id: String) throws(LandtrackError) -> (parents: [String], children: [String]) {
        try read { db in
            (try String.fetchAll(db, sql: "SELECT parent_id FROM parcel_lineage WHERE child_id = ? ORDER BY lineage_id", arguments: [id]),
             try String.fetchAll(db, sql: "SELECT child_id FROM parcel_lineage WHERE parent_id = ? ORDER BY lineage_id", arguments: [id]))
        }
    }

    public func firstEventDate(ref: String?) throws(LandtrackError) -> CalendarDate? {
        try read { db in
            let text = try ref.map { try String.fetchOne(db, sql: "SELECT min(effective_date) FROM parcel_events WHERE ref = ?", arguments: [$0]) }
                ?? String.fetchOne(db, sql: "SELECT min(effective_date) FROM parcel_events")
            return try Self.date(text, path: path)
        }
    }

    public func counts() throws(LandtrackError) -> [String: Int] {
        try read { db in
            var out: [String: Int] = [:]
            for table in ["parcels", "parcel_events", "parcel_lineage"] + ConstraintLayer.allCases.map(\.rawValue) {
                out[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\"") ?? 0
            }
            return out
        }
    }

    public func extent(of layer: StoreLayer) throws(LandtrackError) -> Envelope? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(minx) a, min(miny) b, max(maxx) c, max(maxy) d FROM \"rtree_\(layer.table)_geom\""),
                  let a: Double = row["a"], let b: Double = row["b"], let c: Double = row["c"], let d: Double = row["d"] else { return nil }
            return Envelope(minX: a, minY: b, maxX: c, maxY: d)
        }
    }

    public func lastImportFingerprint() throws(LandtrackError) -> ImportFingerprint? {
        try read { db in
            // A store from before migration v4 opened read-only has no such table: no fingerprint.
            guard try db.tableExists("landtrack_import_fingerprint") else { return nil }
            return try Row.fetchOne(db, sql: """
                SELECT source, file_sha256, file_bytes, read_options, parcels, official_area_field, official_areas_checked, recorded_at
                FROM landtrack_import_fingerprint
                """).map {
                ImportFingerprint(source: $0[0], fileSHA256: $0[1], fileBytes: $0[2], readOptions: $0[3], parcels: $0[4],
                                  officialAreaField: $0[5], officialAreasChecked: $0[6], recordedAt: $0[7])
            }
        }
    }

    public func historySpan() throws(LandtrackError) -> (first: CalendarDate, last: CalendarDate)? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT min(effective_date) a, max(effective_date) b FROM parcel_events"),
                  let a: String = row["a"], let b: String = row["b"] else { return nil }
            return (try Self.date(a, path: path)!, try Self.date(b, path: path)!)
        }
    }

    static func layer(_ db: Database, _ layer: ConstraintLayer) throws -> [LayerGeometry] {
        try Row.fetchAll(db, sql: "SELECT fid, name, properties, geom FROM \"\(layer.rawValue)\" WHERE geom IS NOT NULL ORDER BY fid").map { row in
            let blob: Data = row["geom"]
            return LayerGeometry(featureID: row["fid"], name: row["name"], wkb: try GeoPackage.wkb(blob),
                                 envelope: GeoPackage.envelope(blob) ?? Envelope(minX: 0, minY: 0, maxX: 0, maxY: 0),
                                 propertiesJSON: row["properties"])
        }
    }

    // MARK: Snapshots

    /// One read for every date: the parcels table once (geometry decoded once), the events up
    /// to the latest date once, and folded per date in memory; the geometries that later
    /// re-imports replaced once. Both tables are read in their own order (a sequential scan,
    /// not an index and a row lookup each: the events of a million parcels 1.7 → 0.7 s in
    /// SQLite); their rows are copied out of SQLite in runs and decoded on the other threads
    /// while SQLite steps on, in one read transaction.
    public func snapshots(at dates: [CalendarDate?], history: Bool, content: SnapshotContent) throws(LandtrackError) -> [Snapshot] {
        let crs = try self.crs()
        let (needEvents, through) = SnapshotAssembly.eventRange(for: dates, history: history)
        let (layers, base, events, replaced) = try read { db in
            var layers: [ConstraintLayer: [LayerGeometry]] = [:]
            for layer in ConstraintLayer.allCases { layers[layer] = try Self.layer(db, layer) }
            // A store made by importing a file that lists its ids in order is in id order
            // already, and is only checked; any other is sorted here.
            let path = self.path
            var unread: Set<String> = []
            if !content.contains(.geometry) { unread.insert("geom") }
            if !content.contains(.properties) { unread.insert("properties") }
            var base = try Self.decodeAll(db, table: "parcels", unread: unread) { row, _ in
                try Self.parcel(row, path: path, content: content)
            }
            if !base.indices.dropFirst().allSatisfy({ ParcelID.precedes(base[$0 - 1].id, base[$0].id) }) {
                base.sort { ParcelID.precedes($0.id, $1.id) }
            }
            var events = ParcelHistory()
            // The geometries re-imports replaced: (date, blob) per parcel, oldest first. Taken
            // from the events' own scan (a scan of their own read every event row once more):
            // the rows with a replaced geometry pass its filter whatever their date (a snapshot
            // shows no event after its own date).
            var replaced: [String: [(CalendarDate, Data)]] = [:]
            if needEvents {
                let details = content.contains(.eventDetails)
                let replacedRows = SnapshotAssembly.needsReplacedGeometries(dates) ? ReplacedGeometryRows() : nil
                var unread: Set<String> = details ? ["previous_attributes"] : ["previous_attributes", "recorded_at", "recorded_by", "note", "rule_id"]
                if replacedRows == nil { unread.insert("previous_geom") }
                let filter = replacedRows == nil ? "WHERE :through IS NULL OR +effective_date <= :through"
                    : "WHERE :through IS NULL OR +effective_date <= :through OR previous_geom IS NOT NULL"
                let read = try Self.decodeAll(db, table: "parcel_events", filter: (filter, ["through": through?.description]), unread: unread) {
                    row, repeated in
                    let event = try Self.event(row, path: path, repeated: &repeated, details: details)
                    if let replacedRows, let blob = row.withBlob(13, { Data($0) }) { replacedRows.append(event, blob) }
                    return event
                }
                for r in replacedRows?.sorted() ?? [] { replaced[r.event.parcelID, default: []].append((r.event.effectiveDate, r.blob)) }
                events = ParcelHistory(anyOrder: read)
            }
            return (layers, base, events, replaced)
        }
        return try SnapshotAssembly.snapshots(
            at: dates, crs: crs, layers: layers, base: consume base, events: events, replaced: replaced, history: history,
            content: content, decode: { (blob: Data) throws(LandtrackError) -> [Polygon] in try GeoPackage.polygons(blob) })
    }

    // MARK: OGC API pages

    /// The as-of columns of a parcel row, each one index lookup on
    /// `parcel_events (parcel_id, effective_date, event_id)`: only the rows of a page are
    /// reconstructed, never the store. `:date` is the date.
    private static let asOfColumns = """
        (SELECT e.to_state FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date <= :date
           AND e.to_state IS NOT NULL ORDER BY e.effective_date DESC, e.event_id DESC LIMIT 1) AS state_then,
        (SELECT e.pbf_after FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date <= :date
           AND e.pbf_after IS NOT NULL ORDER BY e.effective_date DESC, e.event_id DESC LIMIT 1) AS pbf_then,
        \(replacedGeometry) AS geom_then
        """

    /// The geometry a later re-import replaced (the parcel's geometry on `:date`), NULL when none did.
    private static let replacedGeometry = """
        (SELECT e.previous_geom FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date > :date
           AND e.previous_geom IS NOT NULL ORDER BY e.effective_date, e.event_id LIMIT 1)
        """

    /// Did the parcel exist on `:date`: its last import/split/merge event by then created it.
    private static let existedThen = """
        (SELECT e.to_state IS NOT NULL FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date <= :date
           AND e.kind IN ('import', 'split', 'merge') ORDER BY e.effective_date DESC, e.event_id DESC LIMIT 1) = 1
        """

    private func parcelThen(_ row: Row, _ engine: GeodesicAreaEngine) throws -> Parcel {
        var p = try Self.parcel(row, path: path)
        p.active = true
        if let s: String = row["state_then"] {
            guard let state = ParcelState(rawValue: s) else {
                throw LandtrackError.store(location: path, .corrupt("parcel \(quoted(p.id)): a state \(quoted(s)) in its history is not a state"))
            }
            p.state = state
        }
        if let pbf: Bool = row["pbf_then"] { p.basicFarmland = pbf }
        if let old: Data = row["geom_then"] {
            p.polygons = try GeoPackage.polygons(old)
            p.areaSquareMetres = try engine.area(of: p.polygons)
        }
        return p
    }

    public func features(of layer: StoreLayer, bbox: Envelope?, filter: FeatureFilter?, limit: Int, offset: Int,
                         asOf: CalendarDate?) throws(LandtrackError) -> LayerPage {
        if filter != nil, layer != .parcels { throw .invalidArgument("filters apply to the parcels collection only") }
        if layer == .parcels, let asOf {
            if filter?.queryables.contains(.areaSquareMetres) == true {
                throw .invalidArgument("area_m2 cannot be filtered with datetime: the areas of replaced geometries are computed, not stored")
            }
            let engine = GeodesicAreaEngine(ellipsoid: try crs().ellipsoid)
            var arguments: StatementArguments = ["date": asOf.description, "limit": limit, "offset": offset]
            // The parcels that existed on the date, with the state, PBF flag and geometry of
            // that date (an older geometry when a later re-import replaced it).
            let then = "SELECT p.*, \(Self.asOfColumns) FROM parcels p WHERE \(Self.existedThen)"
            var conditions: [String] = []
            var sqlFilter = GeoPackageFilter(asOf: true)
            if let bbox {
                let g = sqlFilter.geometry
                conditions.append("ST_MaxX(\(g)) >= :minx AND ST_MinX(\(g)) <= :maxx AND ST_MaxY(\(g)) >= :miny AND ST_MinY(\(g)) <= :maxy")
                arguments += ["minx": bbox.minX, "maxx": bbox.maxX, "miny": bbox.minY, "maxy": bbox.maxY]
            }
            if let filter { conditions.append(sqlFilter.sql(filter)) }
            arguments += StatementArguments(sqlFilter.arguments)
            let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let filterSQL = sqlFilter
            return try read { db in
                try filterSQL.withAreaFunctions(db) {
                    let matched = try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(then)) q \(condition)", arguments: arguments) ?? 0
                    let rows = try Row.fetchAll(db, sql: "SELECT q.* FROM (\(then)) q \(condition) ORDER BY q.parcel_id LIMIT :limit OFFSET :offset",
                                                arguments: arguments)
                    return LayerPage(features: try rows.map { LayerFeature(try parcelThen($0, engine)) }, numberMatched: matched)
                }
            }
        }
        let table = layer.table
        var join = "", arguments: StatementArguments = [:]
        if let bbox {
            join = "JOIN \"rtree_\(table)_geom\" r ON r.id = t.fid AND r.maxx >= :minx AND r.minx <= :maxx AND r.maxy >= :miny AND r.miny <= :maxy"
            arguments += ["minx": bbox.minX, "maxx": bbox.maxX, "miny": bbox.minY, "maxy": bbox.maxY]
        }
        var conditions = [layer == .parcels ? "t.active" : "t.geom IS NOT NULL"]
        var sqlFilter = GeoPackageFilter(asOf: false)
        if let filter { conditions.append(sqlFilter.sql(filter)) }
        arguments += StatementArguments(sqlFilter.arguments)
        let condition = "WHERE " + conditions.joined(separator: " AND ")
        let order = layer == .parcels ? "t.parcel_id" : "t.fid"
        let filterSQL = sqlFilter
        return try read { db in
            try filterSQL.withAreaFunctions(db) {
                let matched = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\" t \(join) \(condition)", arguments: arguments) ?? 0
                var pageArguments = arguments
                pageArguments += ["limit": limit, "offset": offset]
                let rows = try Row.fetchAll(db, sql: "SELECT t.* FROM \"\(table)\" t \(join) \(condition) ORDER BY \(order) LIMIT :limit OFFSET :offset",
                                            arguments: pageArguments)
                let ctx = GEOSContext()
                return LayerPage(features: try rows.map { try self.feature(layer, $0, ctx) }, numberMatched: matched)
            }
        }
    }

    public func feature(of layer: StoreLayer, id: String, asOf: CalendarDate?) throws(LandtrackError) -> LayerFeature? {
        if layer == .parcels {
            guard let asOf else { return try parcel(id).map(LayerFeature.init) }
            let engine = GeodesicAreaEngine(ellipsoid: try crs().ellipsoid)
            return try read { db in
                try Row.fetchOne(db, sql: "SELECT p.*, \(Self.asOfColumns) FROM parcels p WHERE p.parcel_id = :id AND \(Self.existedThen)",
                                 arguments: ["id": id, "date": asOf.description])
                    .map { LayerFeature(try parcelThen($0, engine)) }
            }
        }
        guard let fid = Int64(id) else { return nil }
        return try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM \"\(layer.table)\" WHERE fid = ? AND geom IS NOT NULL", arguments: [fid])
                .map { try self.feature(layer, $0, GEOSContext()) }
        }
    }

    /// A row of `layer`; constraint-layer geometries are read with `ctx` (one per page).
    private func feature(_ layer: StoreLayer, _ row: Row, _ ctx: GEOSContext) throws -> LayerFeature {
        if layer == .parcels { return LayerFeature(try Self.parcel(row, path: path)) }
        let blob: Data = row["geom"]
        let f = LayerGeometry(featureID: row["fid"], name: row["name"], wkb: try GeoPackage.wkb(blob),
                              envelope: GeoPackage.envelope(blob) ?? Envelope(minX: 0, minY: 0, maxX: 0, maxY: 0),
                              propertiesJSON: row["properties"])
        return try LayerFeature(f, ctx)
    }
}

extension GeoPackageStore {
    public func record() throws(LandtrackError) -> StoreRecord {
        let crs = try self.crs()
        return try read { db in
            var parcels: [Parcel] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM parcels ORDER BY parcel_id")
            while let row = try rows.next() { parcels.append(try Self.parcel(row, path: path)) }
            var events: [RecordedEvent] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM parcel_events ORDER BY event_id")
            while let row = try cursor.next() {
                let e = try Self.event(row, path: path)
                let previous: Data? = row[13]
                events.append(RecordedEvent(event: e, previousPolygons: try previous.map { try GeoPackage.polygons($0) },
                                            previousAttributes: row[14]))
            }
            let lineage = try Row.fetchAll(db, sql: "SELECT parent_id, child_id, event_id, kind FROM parcel_lineage ORDER BY lineage_id").map { row in
                let kindText: String = row[3]
                guard let kind = ParcelEvent.Kind(rawValue: kindText) else {
                    throw LandtrackError.store(location: path, .corrupt("lineage kind \(quoted(kindText)) is not an event kind"))
                }
                return LineageLink(parent: row[0], child: row[1], eventID: row[2], kind: kind)
            }
            var layers: [ConstraintLayer: [LayerGeometry]] = [:]
            for layer in ConstraintLayer.allCases { layers[layer] = try Self.layer(db, layer) }
            var tokens: [StoredToken] = []
            if try db.tableExists("landtrack_tokens") {
                tokens = try Row.fetchAll(db, sql: "SELECT * FROM landtrack_tokens ORDER BY token_id").map { row in
                    StoredToken(token: try self.token(row), sha256: row["token_sha256"])
                }
            }
            return StoreRecord(crs: crs, parcels: parcels, events: events, lineage: lineage, layers: layers, tokens: tokens)
        }
    }
}

extension GeoPackageStore {
    /// Rows a run holds: a few megabytes of geometry, many runs for each thread.
    static let rowsPerRun = 8192

    /// Every row of `table` (`SELECT *`, the columns in `unread` as NULL, in the table's own
    /// order, after `filter`), copied out of SQLite in runs and decoded by `decode` on the
    /// other threads while SQLite steps on,
    /// each straight into its place in the array (the table's row count, asked first in the
    /// same read transaction, sizes it: no second copy of a million parcels). A run's
    /// `RepeatedStrings` shares the texts its rows repeat. On an error nothing is kept: the
    /// first error in row order is thrown.
    static func decodeAll<T>(
        _ db: Database, table: String, filter: (sql: String, arguments: StatementArguments) = ("", []), unread: Set<String> = [],
        rowsPerRun: Int = rowsPerRun, decode: @escaping (RawRows.Row, inout RepeatedStrings) throws -> T
    ) throws -> [T] {
        // The table's rows, counted from its B-tree pages without reading a record: the rows read
        // when there is no filter, room enough for them when there is one (counting what a filter
        // keeps would read every row once more: a million events 0.2 s).
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
        // `SELECT *`'s columns, the unread ones as NULL in their places: SQLite does not even
        // take them out of the record (a snapshot without properties leaves out a hundred bytes
        // of JSON a parcel; the events' replaced geometries and attributes stay on disk).
        let tableColumns = try db.columns(in: table)
        let columns = tableColumns.map { (c) -> String in
            let name = c.name.replacingOccurrences(of: "\"", with: "\"\"")
            return unread.contains(c.name) ? "NULL AS \"\(name)\"" : "\"\(name)\""
        }.joined(separator: ", ")
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let target = DisjointRanges(buffer)
            /// (rows made, the error that stopped the run).
            let runs = OrderedPipeline<(start: Int, rows: RawRows), (made: Int, error: (any Error)?)> { run in
                var repeated = RepeatedStrings()
                var made = 0
                do {
                    guard run.start + run.rows.count <= count else {
                        throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "\(table) has more rows than it counted")
                    }
                    try run.rows.forEachRow { row in
                        (target.buffer.baseAddress! + run.start + made).initialize(to: try decode(row, &repeated))
                        made += 1
                    }
                    return (made, nil)
                } catch {
                    return (made, error)
                }
            }
            var starts: [Int] = []
            var scanned = 0
            var scanError: (any Error)?
            do {
                try RawRows.scan(db, sql: "SELECT \(columns) FROM \(table) \(filter.sql)", arguments: filter.arguments,
                                 alwaysNull: tableColumns.map { unread.contains($0.name) }, rowsPerRun: rowsPerRun) { rows in
                    starts.append(scanned)
                    runs.submit((scanned, rows))
                    scanned += rows.count
                }
            } catch {
                scanError = error
            }
            let results = runs.finish()
            // A run's error comes before SQLite's (which stopped the scan after the runs handed over).
            let failure = results.lazy.compactMap(\.error).first ?? scanError
                ?? (scanned == count || !filter.sql.isEmpty ? nil : DatabaseError(resultCode: .SQLITE_CORRUPT, message: "\(table) has fewer rows than it counted"))
            if let failure {
                for (start, result) in zip(starts, results) where result.made > 0 {
                    (buffer.baseAddress! + start).deinitialize(count: result.made)
                }
                initialized = 0
                throw failure
            }
            initialized = scanned
        }
    }
}

/// The events' rows that keep a geometry a re-import replaced, gathered while the events are
/// decoded on several threads (few rows have one: a lock each costs nothing).
final class ReplacedGeometryRows: @unchecked Sendable {
    private let lock = NSLock()
    private var rows: [(event: ParcelEvent, blob: Data)] = []

    func append(_ event: ParcelEvent, _ blob: Data) {
        lock.withLock { rows.append((event, blob)) }
    }

    /// Oldest first: by effective date, then event id.
    func sorted() -> [(event: ParcelEvent, blob: Data)] {
        lock.withLock { rows }.sorted { ($0.event.effectiveDate, $0.event.eventID) < ($1.event.effectiveDate, $1.event.eventID) }
    }
}
