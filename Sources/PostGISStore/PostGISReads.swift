import Foundation
import Geometry
import Parcels
import Store

// Rows are read by column position, in the order these column lists give.
extension PostGISStore {
    /// parcels: parcel_id, state, basic_farmland, village, landuse_code, area_m2, active, properties, WKB,
    /// deduction_ratio, deduction_code (`parcelColumnCount` columns; as-of columns follow them).
    /// What `content` leaves out is a NULL: the server neither converts nor sends it.
    static func parcelColumns(_ t: String = "", content: SnapshotContent = .all) -> String {
        let properties = content.contains(.properties) ? "\(t)properties" : "NULL::text"
        let geometry = content.contains(.geometry) ? "ST_AsBinary(\(t)geom)" : "NULL::bytea"
        return "\(t)parcel_id, \(t)state, \(t)basic_farmland, \(t)village, \(t)landuse_code, \(t)area_m2, \(t)active, \(properties), \(geometry), "
            + "\(t)deduction_ratio, \(t)deduction_code"
    }
    static let parcelColumnCount = 11
    static let parcelColumns = parcelColumns()

    /// What `content` leaves out of the recording columns (`SnapshotContent.eventDetails`) is a
    /// NULL, as for the parcels.
    static func eventColumns(details: Bool = true) -> String {
        "event_id, parcel_id, kind, from_state, to_state, pbf_before, pbf_after, effective_date::text, "
            + (details ? "recorded_at, recorded_by, ref, note, rule_id" : "NULL::text, NULL::text, ref, NULL::text, NULL::text")
    }
    static let eventColumns = eventColumns()

    func parcel(_ r: PGResult, _ i: Int) throws -> Parcel {
        let id = try r.text(i, 0)!
        let stateText = try r.text(i, 1)!
        guard let state = ParcelState(rawValue: stateText) else {
            throw LandtrackError.store(location: location, .corrupt("parcel \(quoted(id)): state \(quoted(stateText)) is not a state"))
        }
        let polygons: [Polygon]
        do {
            polygons = try r.withBytes(i, 8) { raw throws(LandtrackError) in try WKB.polygons(raw) } ?? []
        } catch {
            throw LandtrackError.store(location: location, .corrupt("parcel \(quoted(id)): its geometry cannot be read (\(error))"))
        }
        // The table's CHECK keeps the share in [0, 1).
        return Parcel(id: id, state: state, basicFarmland: try r.bool(i, 2)!, village: try r.text(i, 3), landuseCode: try r.text(i, 4),
                      polygons: polygons, areaSquareMetres: try r.double(i, 5)!,
                      properties: try r.text(i, 7).map { ParcelProperties(jsonText: $0) } ?? ParcelProperties(),
                      deduction: .stored(ratio: try r.double(i, 9)!, code: try r.text(i, 10)), active: try r.bool(i, 6)!)
    }

    func event(_ r: PGResult, _ i: Int) throws -> ParcelEvent {
        var repeated = RepeatedStrings()
        return try event(r, i, repeated: &repeated)
    }

    /// An event row; the texts most events repeat share one copy through `repeated`. Without
    /// `details` the recording columns (`SnapshotContent.eventDetails`) are not read.
    func event(_ r: PGResult, _ i: Int, repeated: inout RepeatedStrings, details: Bool = true) throws -> ParcelEvent {
        let id = try r.int64(i, 0)!
        func corrupt(_ what: String) -> LandtrackError { .store(location: location, .corrupt("event \(id): \(what)")) }
        let kindText = try r.text(i, 2)!
        guard let kind = ParcelEvent.Kind(rawValue: kindText) else { throw corrupt("kind \(quoted(kindText)) is not an event kind") }
        func state(_ column: Int, _ name: String) throws -> ParcelState? {
            guard let text = try r.text(i, column) else { return nil }
            guard let s = ParcelState(rawValue: text) else { throw corrupt("\(name) \(quoted(text)) is not a state") }
            return s
        }
        let dateText = try r.text(i, 7)!
        guard let date = CalendarDate(iso: dateText) else { throw corrupt("effective_date \(quoted(dateText)) is not a date") }
        return ParcelEvent(
            eventID: id, parcelID: try r.text(i, 1)!, kind: kind, fromState: try state(3, "from_state"), toState: try state(4, "to_state"),
            pbfBefore: try r.bool(i, 5), pbfAfter: try r.bool(i, 6), effectiveDate: date,
            recordedAt: details ? repeated.shared(try r.text(i, 8)!) : "", recordedBy: details ? repeated.shared(try r.text(i, 9)!) : "",
            ref: repeated.shared(try r.text(i, 10)), note: details ? repeated.shared(try r.text(i, 11)) : nil,
            ruleID: details ? try r.text(i, 12) : nil)
    }

    func date(_ text: String?) throws(LandtrackError) -> CalendarDate? {
        guard let text else { return nil }
        guard let d = CalendarDate(iso: text) else { throw .store(location: location, .corrupt("effective date \(quoted(text)) is not a date")) }
        return d
    }

    /// A text[] literal: every element double-quoted, quotes and backslashes escaped.
    static func arrayLiteral(_ items: [String]) -> String {
        var out = "{"
        for (i, s) in items.enumerated() {
            if i > 0 { out += "," }
            out += "\""
            for ch in s.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }

    func layer(_ c: PGConnection, _ layer: ConstraintLayer) throws -> [LayerGeometry] {
        let r = try c.execute("""
            SELECT fid, name, properties, ST_AsBinary(geom), ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)
            FROM \(layer.rawValue) ORDER BY fid
            """)
        return try (0..<r.rowCount).map { i in try layerGeometry(r, i) }
    }

    func layerGeometry(_ r: PGResult, _ i: Int) throws -> LayerGeometry {
        LayerGeometry(featureID: try r.int64(i, 0), name: try r.text(i, 1), wkb: try r.bytes(i, 3) ?? [],
                      envelope: Envelope(minX: try r.double(i, 4) ?? 0, minY: try r.double(i, 5) ?? 0,
                                         maxX: try r.double(i, 6) ?? 0, maxY: try r.double(i, 7) ?? 0),
                      propertiesJSON: try r.text(i, 2)!)
    }

    /// Runs a query through a server-side cursor, `batchSize` rows per round trip, so memory
    /// holds at most two batches of rows at a time (inside a `read`). The next batch is asked
    /// for before this one is read: the server produces it while the client decodes, instead
    /// of the two taking turns.
    func forEachRow(_ c: PGConnection, _ sql: String, _ parameters: [PGValue] = [], _ body: (PGResult, Int) throws -> Void) throws {
        try c.executeOnce("DECLARE landtrack_rows NO SCROLL CURSOR FOR \(sql)", parameters)
        let fetch = "FETCH FORWARD \(Self.batchSize) FROM landtrack_rows"
        try c.send(fetch)
        while true {
            let r = try c.receive()
            let more = r.rowCount == Self.batchSize
            if more { try c.send(fetch) }
            for i in 0..<r.rowCount { try body(r, i) }
            if !more { break }
        }
        try c.run("CLOSE landtrack_rows")
    }
}

extension PostGISStore {
    public func parcel(_ id: String) throws(LandtrackError) -> Parcel? {
        try read { c in
            let r = try c.execute("SELECT \(Self.parcelColumns) FROM parcels WHERE parcel_id = $1::text", [.text(id)])
            return r.rowCount == 0 ? nil : try self.parcel(r, 0)
        }
    }

    public func history(_ id: String) throws(LandtrackError) -> [ParcelEvent] {
        try read { c in
            let r = try c.execute("SELECT \(Self.eventColumns) FROM parcel_events WHERE parcel_id = $1::text ORDER BY effective_date, event_id", [.text(id)])
            return try (0..<r.rowCount).map { try self.event(r, $0) }
        }
    }

    public func lineage(_ id: String) throws(LandtrackError) -> (parents: [String], children: [String]) {
        try read { c in
            let p = try c.execute("SELECT parent_id FROM parcel_lineage WHERE child_id = $1::text ORDER BY lineage_id", [.text(id)])
            let ch = try c.execute("SELECT child_id FROM parcel_lineage WHERE parent_id = $1::text ORDER BY lineage_id", [.text(id)])
            return (try (0..<p.rowCount).map { try p.text($0, 0)! }, try (0..<ch.rowCount).map { try ch.text($0, 0)! })
        }
    }

    public func firstEventDate(ref: String?) throws(LandtrackError) -> CalendarDate? {
        let text = try read { c in
            try ref.map { try c.execute("SELECT min(effective_date)::text FROM parcel_events WHERE ref = $1::text", [.text($0)]).text(0, 0) }
                ?? c.execute("SELECT min(effective_date)::text FROM parcel_events").text(0, 0)
        }
        return try date(text)
    }

    /// The database server keeps its own pages whole; this reads every table's row count (a
    /// missing or unreadable table is found before a server starts).
    public func verify() throws(LandtrackError) {
        _ = try counts()
    }

    public func lastImportFingerprint() throws(LandtrackError) -> ImportFingerprint? {
        try read { c in
            // A database from before migration 3 opened read-only has no such table: no fingerprint.
            guard try c.execute("SELECT to_regclass('landtrack_import_fingerprint') IS NOT NULL").bool(0, 0) == true else { return nil }
            let r = try c.execute("""
                SELECT source, file_sha256, file_bytes, read_options, parcels, official_area_field, official_areas_checked, recorded_at
                FROM landtrack_import_fingerprint
                """)
            guard r.rowCount == 1 else { return nil }
            return ImportFingerprint(source: try r.text(0, 0)!, fileSHA256: try r.text(0, 1)!, fileBytes: Int(try r.int64(0, 2)!),
                                     readOptions: try r.text(0, 3)!, parcels: Int(try r.int64(0, 4)!), officialAreaField: try r.text(0, 5),
                                     officialAreasChecked: Int(try r.int64(0, 6)!), recordedAt: try r.text(0, 7)!)
        }
    }

    public func counts() throws(LandtrackError) -> [String: Int] {
        try read { c in
            var out: [String: Int] = [:]
            for table in ["parcels", "parcel_events", "parcel_lineage"] + ConstraintLayer.allCases.map(\.rawValue) {
                out[table] = Int(try c.execute("SELECT count(*) FROM \(table)").int64(0, 0) ?? 0)
            }
            return out
        }
    }

    public func extent(of layer: StoreLayer) throws(LandtrackError) -> Envelope? {
        try read { c in
            let r = try c.execute("SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom)) FROM \(layer.table)")
            guard let a = try r.double(0, 0), let b = try r.double(0, 1), let x = try r.double(0, 2), let y = try r.double(0, 3) else { return nil }
            return Envelope(minX: a, minY: b, maxX: x, maxY: y)
        }
    }

    public func historySpan() throws(LandtrackError) -> (first: CalendarDate, last: CalendarDate)? {
        let (a, b) = try read { c in
            let r = try c.execute("SELECT min(effective_date)::text, max(effective_date)::text FROM parcel_events")
            return (try r.text(0, 0), try r.text(0, 1))
        }
        guard let first = try date(a), let last = try date(b) else { return nil }
        return (first, last)
    }

    // MARK: Snapshots

    /// One consistent read for every date: the parcels once, the events up to the latest date
    /// once in (parcel, date, event) order (the order of `parcel_events_parcel_idx`), the
    /// geometries re-imports replaced once; each through a cursor, then folded per date by
    /// `SnapshotAssembly`, as the GeoPackage backend does.
    public func snapshots(at dates: [CalendarDate?], history: Bool, content: SnapshotContent) throws(LandtrackError) -> [Snapshot] {
        let crs = try self.crs()
        let (needEvents, through) = SnapshotAssembly.eventRange(for: dates, history: history)
        let (layers, base, events, replaced) = try read { c in
            var layers: [ConstraintLayer: [LayerGeometry]] = [:]
            for layer in ConstraintLayer.allCases { layers[layer] = try self.layer(c, layer) }
            var base: [Parcel] = []
            try forEachRow(c, "SELECT \(Self.parcelColumns(content: content)) FROM parcels ORDER BY parcel_id") { r, i in base.append(try self.parcel(r, i)) }
            var events = ParcelHistory()
            var repeated = RepeatedStrings()
            if needEvents {
                try forEachRow(c, """
                    SELECT \(Self.eventColumns(details: content.contains(.eventDetails))) FROM parcel_events
                    WHERE $1::date IS NULL OR effective_date <= $1::date ORDER BY parcel_id, effective_date, event_id
                    """, [PGValue(through?.description)]) { r, i in
                    events.append(try self.event(r, i, repeated: &repeated, details: content.contains(.eventDetails)))
                }
                events.finish()
            }
            var replaced: [String: [(CalendarDate, [UInt8])]] = [:]
            if SnapshotAssembly.needsReplacedGeometries(dates) {
                try forEachRow(c, """
                    SELECT parcel_id, effective_date::text, ST_AsBinary(previous_geom) FROM parcel_events WHERE previous_geom IS NOT NULL
                    ORDER BY parcel_id, effective_date, event_id
                    """) { r, i in
                    replaced[try r.text(i, 0)!, default: []].append((try self.date(r.text(i, 1))!, try r.bytes(i, 2)!))
                }
            }
            return (layers, base, events, replaced)
        }
        return try SnapshotAssembly.snapshots(
            at: dates, crs: crs, layers: layers, base: consume base, events: events, replaced: replaced, history: history,
            content: content, decode: { (wkb: [UInt8]) throws(LandtrackError) -> [Polygon] in try WKB.polygons(wkb) })
    }

    public func record() throws(LandtrackError) -> StoreRecord {
        let crs = try self.crs()
        return try read { c in
            var parcels: [Parcel] = []
            try forEachRow(c, "SELECT \(Self.parcelColumns) FROM parcels ORDER BY parcel_id") { r, i in parcels.append(try self.parcel(r, i)) }
            var events: [RecordedEvent] = []
            try forEachRow(c, "SELECT \(Self.eventColumns), ST_AsBinary(previous_geom), previous_attributes FROM parcel_events ORDER BY event_id") { r, i in
                let previous = try r.withBytes(i, 13) { raw throws(LandtrackError) in try WKB.polygons(raw) }
                events.append(RecordedEvent(event: try self.event(r, i), previousPolygons: previous, previousAttributes: try r.text(i, 14)))
            }
            let l = try c.execute("SELECT parent_id, child_id, event_id, kind FROM parcel_lineage ORDER BY lineage_id")
            let lineage = try (0..<l.rowCount).map { i in
                let kindText = try l.text(i, 3)!
                guard let kind = ParcelEvent.Kind(rawValue: kindText) else {
                    throw LandtrackError.store(location: location, .corrupt("lineage kind \(quoted(kindText)) is not an event kind"))
                }
                return LineageLink(parent: try l.text(i, 0)!, child: try l.text(i, 1)!, eventID: try l.int64(i, 2)!, kind: kind)
            }
            var layers: [ConstraintLayer: [LayerGeometry]] = [:]
            for layer in ConstraintLayer.allCases { layers[layer] = try self.layer(c, layer) }
            let t = try c.execute("\(Self.tokenColumns) ORDER BY token_id")
            let tokens = try zip(self.tokens(t), 0..<t.rowCount).map { StoredToken(token: $0, sha256: try t.text($1, 5)!) }
            return StoreRecord(crs: crs, parcels: parcels, events: events, lineage: lineage, layers: layers, tokens: tokens)
        }
    }

    // MARK: OGC API pages

    /// The as-of columns of a parcel row: state, PBF flag and (when a later re-import replaced
    /// it) the geometry on `$1`, each one lookup on `parcel_events_parcel_idx`.
    private static let asOfColumns = """
        (SELECT e.to_state FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date <= $1::date
           AND e.to_state IS NOT NULL ORDER BY e.effective_date DESC, e.event_id DESC LIMIT 1),
        (SELECT e.pbf_after FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date <= $1::date
           AND e.pbf_after IS NOT NULL ORDER BY e.effective_date DESC, e.event_id DESC LIMIT 1),
        ST_AsBinary(\(replacedGeometry))
        """

    /// `asOfColumns` named, for a query that filters on them.
    private static let namedAsOfColumns = """
        (SELECT e.to_state FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date <= $1::date
           AND e.to_state IS NOT NULL ORDER BY e.effective_date DESC, e.event_id DESC LIMIT 1) AS state_then,
        (SELECT e.pbf_after FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date <= $1::date
           AND e.pbf_after IS NOT NULL ORDER BY e.effective_date DESC, e.event_id DESC LIMIT 1) AS pbf_then,
        \(replacedGeometry) AS geom_then
        """

    private static let replacedGeometry = """
        (SELECT e.previous_geom FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date > $1::date
           AND e.previous_geom IS NOT NULL ORDER BY e.effective_date, e.event_id LIMIT 1)
        """

    private static let existedThen = """
        coalesce((SELECT e.to_state IS NOT NULL FROM parcel_events e WHERE e.parcel_id = p.parcel_id AND e.effective_date <= $1::date
           AND e.kind IN ('import', 'split', 'merge') ORDER BY e.effective_date DESC, e.event_id DESC LIMIT 1), false)
        """

    private func parcelThen(_ r: PGResult, _ i: Int, _ engine: GeodesicAreaEngine) throws -> Parcel {
        var p = try parcel(r, i)
        p.active = true
        let then = Self.parcelColumnCount
        if let s = try r.text(i, then) {
            guard let state = ParcelState(rawValue: s) else {
                throw LandtrackError.store(location: location, .corrupt("parcel \(quoted(p.id)): a state \(quoted(s)) in its history is not a state"))
            }
            p.state = state
        }
        if let pbf = try r.bool(i, then + 1) { p.basicFarmland = pbf }
        if let old = try r.withBytes(i, then + 2, { raw throws(LandtrackError) in try WKB.polygons(raw) }) {
            p.polygons = old
            p.areaSquareMetres = try engine.area(of: old)
        }
        return p
    }

    /// `bbox` is exact: `ST_Intersects` with the envelope, on the GiST index.
    public func features(of layer: StoreLayer, bbox: Envelope?, filter: FeatureFilter?, limit: Int, offset: Int,
                         asOf: CalendarDate?) throws(LandtrackError) -> LayerPage {
        if filter != nil, layer != .parcels { throw .invalidArgument("filters apply to the parcels collection only") }
        let srid = Int(try withConnection { try Self.srid($0) })
        func envelope(_ first: Int) -> String {
            "ST_MakeEnvelope($\(first)::float8, $\(first + 1)::float8, $\(first + 2)::float8, $\(first + 3)::float8, \(srid))"
        }
        let box: [PGValue] = bbox.map { [PGValue($0.minX), PGValue($0.minY), PGValue($0.maxX), PGValue($0.maxY)] } ?? []
        if layer == .parcels, let asOf {
            if filter?.queryables.contains(.areaSquareMetres) == true {
                throw .invalidArgument("area_m2 cannot be filtered with datetime: the areas of replaced geometries are computed, not stored")
            }
            let engine = GeodesicAreaEngine(ellipsoid: try crs().ellipsoid)
            // The parcels that existed on the date ($1), with the state, PBF flag and geometry of
            // that date (an older geometry when a later re-import replaced it).
            let then = """
                SELECT p.parcel_id, p.state, p.basic_farmland, p.village, p.landuse_code, p.area_m2, p.active, p.properties, p.geom,
                  p.deduction_ratio, p.deduction_code, \(Self.namedAsOfColumns) FROM parcels p WHERE \(Self.existedThen)
                """
            var conditions: [String] = []
            var sqlFilter = PostGISFilter(asOf: true, first: 2 + box.count, srid: srid)
            if bbox != nil { conditions.append("ST_Intersects(\(sqlFilter.geometry), \(envelope(2)))") }
            if let filter { conditions.append(sqlFilter.sql(filter)) }
            let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let parameters = [PGValue.text(asOf.description)] + box + sqlFilter.values
            let n = parameters.count + 1
            return try read { c in
                let matched = try c.execute("SELECT count(*) FROM (\(then)) q \(condition)", parameters).int64(0, 0) ?? 0
                let r = try c.execute("""
                    SELECT \(Self.parcelColumns("q.")), q.state_then, q.pbf_then, ST_AsBinary(q.geom_then)
                    FROM (\(then)) q \(condition) ORDER BY q.parcel_id LIMIT $\(n)::int8 OFFSET $\(n + 1)::int8
                    """, parameters + [PGValue(limit), PGValue(offset)])
                return LayerPage(features: try (0..<r.rowCount).map { LayerFeature(try self.parcelThen(r, $0, engine)) }, numberMatched: Int(matched))
            }
        }
        var conditions = [layer == .parcels ? "t.active" : "true"]
        var sqlFilter = PostGISFilter(asOf: false, first: 1 + box.count, srid: srid)
        if bbox != nil { conditions.append("ST_Intersects(\(sqlFilter.geometry), \(envelope(1)))") }
        if let filter { conditions.append(sqlFilter.sql(filter)) }
        let condition = conditions.joined(separator: " AND ")
        let parameters = box + sqlFilter.values
        let n = parameters.count + 1
        return try read { c in
            let matched = try c.execute("SELECT count(*) FROM \(layer.table) t WHERE \(condition)", parameters).int64(0, 0) ?? 0
            if layer == .parcels {
                let r = try c.execute("""
                    SELECT \(Self.parcelColumns("t.")) FROM parcels t WHERE \(condition) ORDER BY t.parcel_id LIMIT $\(n)::int8 OFFSET $\(n + 1)::int8
                    """, parameters + [PGValue(limit), PGValue(offset)])
                return LayerPage(features: try (0..<r.rowCount).map { LayerFeature(try self.parcel(r, $0)) }, numberMatched: Int(matched))
            }
            let r = try c.execute("""
                SELECT t.fid, t.name, t.properties, ST_AsBinary(t.geom), ST_XMin(t.geom), ST_YMin(t.geom), ST_XMax(t.geom), ST_YMax(t.geom)
                FROM \(layer.table) t WHERE \(condition) ORDER BY t.fid LIMIT $\(n)::int8 OFFSET $\(n + 1)::int8
                """, parameters + [PGValue(limit), PGValue(offset)])
            let ctx = GEOSContext()
            return LayerPage(features: try (0..<r.rowCount).map { try LayerFeature(try self.layerGeometry(r, $0), ctx) }, numberMatched: Int(matched))
        }
    }

    public func feature(of layer: StoreLayer, id: String, asOf: CalendarDate?) throws(LandtrackError) -> LayerFeature? {
        if layer == .parcels {
            guard let asOf else { return try parcel(id).map(LayerFeature.init) }
            let engine = GeodesicAreaEngine(ellipsoid: try crs().ellipsoid)
            return try read { c in
                let r = try c.execute("SELECT \(Self.parcelColumns("p.")), \(Self.asOfColumns) FROM parcels p WHERE p.parcel_id = $2::text AND \(Self.existedThen)",
                                      [.text(asOf.description), .text(id)])
                return r.rowCount == 0 ? nil : LayerFeature(try self.parcelThen(r, 0, engine))
            }
        }
        guard let fid = Int64(id) else { return nil }
        return try read { c in
            let r = try c.execute("""
                SELECT fid, name, properties, ST_AsBinary(geom), ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)
                FROM \(layer.table) WHERE fid = $1::int8
                """, [PGValue(fid)])
            return r.rowCount == 0 ? nil : try LayerFeature(try self.layerGeometry(r, 0), GEOSContext())
        }
    }
}
