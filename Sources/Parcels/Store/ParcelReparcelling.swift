import Foundation
import Geometry
import GRDB

/// Split and merge (re-parcelling). Each creates new parcels and retires the old ones in one
/// transaction, with `split`/`merge` events on both sides and parent → child rows in
/// `parcel_lineage`. As-of queries before the date see the old parcels, after it the new ones.
extension ParcelStore {
    /// Children's areas must add up to the parent's within this (m²).
    public static let areaTolerance = 0.01

    /// Merges `ids` into one new parcel `newID`. The parts must touch (or lie within
    /// `gap` metres of each other), share one state and one PBF flag, and not overlap.
    @discardableResult
    public func merge(_ ids: [String], into newID: String, date: CalendarDate, gap: Double = 0.5, ref: String? = nil,
                      note: String? = nil, by: String = ParcelStore.defaultUser) throws(LandtrackError) -> StoredParcel {
        func refuse(_ code: String, _ message: String) -> LandtrackError {
            .invalidInput(source: "merge", problems: [Diagnostic(code, message)])
        }
        guard ids.count >= 2 else { throw refuse("too-few-parcels", "a merge needs at least two parcels") }
        guard Set(ids).count == ids.count else { throw refuse("duplicate-parcel", "a parcel is named twice in the merge") }
        let srs = try srsID()
        let engine = GeodesicAreaEngine(ellipsoid: try ellipsoid().ellipsoid)
        return try write { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM parcels WHERE parcel_id = ?", arguments: [newID]) == nil else {
                throw refuse("duplicate-id", "parcel \"\(newID)\" already exists; choose another id for the merged parcel")
            }
            var parents: [StoredParcel] = []
            for id in ids {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM parcels WHERE parcel_id = ?", arguments: [id]) else {
                    throw refuse("unknown-parcel", "no parcel \"\(id)\" in the store")
                }
                let p = try Self.storedParcel(row)
                guard p.active else { throw refuse("retired-parcel", "parcel \"\(id)\" was already retired by a split or merge") }
                try Self.checkDate(db, id, date)
                parents.append(p)
            }
            let states = Set(parents.map(\.state)), flags = Set(parents.map(\.basicFarmland))
            guard states.count == 1 else {
                throw refuse("mixed-states", "the parcels are in different states (\(parents.map { "\($0.id): \($0.state.rawValue)" }.joined(separator: ", "))); move them to one state first")
            }
            guard flags.count == 1 else {
                throw refuse("mixed-pbf", "some of the parcels are permanent basic farmland and some are not; designate or release first")
            }

            let ctx = GEOSContext()
            var handles: [GEOSGeometryHandle] = []
            for p in parents { handles.append(try ctx.geometry(.multiPolygon(MultiPolygon(p.polygons)))) }
            // Contact graph: every part must be reachable from the first, touching or within the gap.
            let gapDegrees = gap / 111_320
            var reached: Set<Int> = [0]
            var frontier = [0]
            while let i = frontier.popLast() {
                for j in handles.indices where !reached.contains(j) {
                    if try ctx.distanceWithin(handles[i], handles[j], gapDegrees) {
                        reached.insert(j)
                        frontier.append(j)
                    }
                }
            }
            let apart = handles.indices.filter { !reached.contains($0) }.map { parents[$0].id }
            guard apart.isEmpty else {
                throw refuse("not-touching", "\(apart.joined(separator: ", ")) do not touch the other parcels (nor lie within \(gap) m of them)")
            }
            let union = try ctx.value(ctx.unaryUnion(ctx.collection(handles)))
            guard let polygons = union.polygons else { throw refuse("geometry", "the union of the parcels is not polygonal") }
            let merged = try engine.area(of: polygons)
            let sum = parents.reduce(0) { $0 + $1.areaSquareMetres }
            guard abs(merged - sum) <= Self.areaTolerance else {
                throw refuse("area-mismatch", "the merged parcel's area \(fixed(merged, 4)) m² differs from the parts' sum \(fixed(sum, 4)) m² by \(fixed(merged - sum, 4)) m² (the parts overlap; more than \(Self.areaTolerance) m² is refused)")
            }
            let first = parents[0]
            var properties = first.properties
            if properties["id"] != nil {
                var replaced = JSONObject()
                for (k, v) in properties.members { replaced.append(k, k == "id" ? .string(newID) : v) }
                properties = replaced
            }
            let child = StoredParcel(id: newID, state: first.state, basicFarmland: first.basicFarmland, village: first.village,
                                     landuseCode: first.landuseCode, areaSquareMetres: merged, active: true, polygons: polygons,
                                     properties: properties)
            try Self.reparcel(db, parents: parents, children: [child], kind: .merge, date: date, srs: srs, ref: ref, note: note, by: by)
            return child
        }
    }

    /// Splits parcel `id` along a line (or by a polygon: inside and outside it) into children
    /// named `names` (default ID-1, ID-2, … in order of their position from south-west).
    @discardableResult
    public func split(_ id: String, by cutter: Geometry, names: [String]? = nil, date: CalendarDate, ref: String? = nil,
                      note: String? = nil, by who: String = ParcelStore.defaultUser) throws(LandtrackError) -> [StoredParcel] {
        func refuse(_ code: String, _ message: String) -> LandtrackError {
            .invalidInput(source: "split", problems: [Diagnostic(code, message)])
        }
        let srs = try srsID()
        let engine = GeodesicAreaEngine(ellipsoid: try ellipsoid().ellipsoid)
        return try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM parcels WHERE parcel_id = ?", arguments: [id]) else {
                throw refuse("unknown-parcel", "no parcel \"\(id)\" in the store")
            }
            let parent = try Self.storedParcel(row)
            guard parent.active else { throw refuse("retired-parcel", "parcel \"\(id)\" was already retired by a split or merge") }
            try Self.checkDate(db, id, date)

            let ctx = GEOSContext()
            let shape = try ctx.geometry(.multiPolygon(MultiPolygon(parent.polygons)))
            let blade = try ctx.geometry(cutter)
            var pieces: [[Polygon]] = []
            if cutter.polygons != nil {
                for part in [try ctx.intersection(shape, blade), try ctx.difference(shape, blade)] {
                    if let ps = try ctx.value(part).polygons, !ps.isEmpty { pieces.append(ps) }
                }
            } else {
                // Node the parcel's rings with the line and keep the faces inside the parcel.
                let faces = try ctx.value(ctx.polygonize(ctx.union(ctx.boundary(shape), blade)))
                guard case let .geometryCollection(members) = faces else { throw refuse("geometry", "polygonize gave no faces") }
                let prepared = try GEOSPreparedGeometry(shape)
                for case let .polygon(face) in members where try prepared.covers(ctx.pointOnSurface(ctx.geometry(face))) {
                    pieces.append([face])
                }
            }
            guard pieces.count >= 2 else {
                throw refuse("does-not-cross", "the split \(cutter.typeName) does not cross parcel \"\(id)\": it would leave one piece")
            }
            pieces.sort { a, b in
                let ea = MultiPolygon(a).envelope!, eb = MultiPolygon(b).envelope!
                return (ea.minY, ea.minX) < (eb.minY, eb.minX)
            }
            let childNames = names ?? (1...pieces.count).map { "\(id)-\($0)" }
            guard childNames.count == pieces.count else {
                throw refuse("names", "the split gives \(pieces.count) pieces but \(childNames.count) names were given")
            }
            var children: [StoredParcel] = []
            for (name, polygons) in zip(childNames, pieces) {
                guard try Row.fetchOne(db, sql: "SELECT 1 FROM parcels WHERE parcel_id = ?", arguments: [name]) == nil else {
                    throw refuse("duplicate-id", "parcel \"\(name)\" already exists; give other --names")
                }
                var properties = JSONObject()
                for (k, v) in parent.properties.members { properties.append(k, k == "id" ? .string(name) : v) }
                children.append(StoredParcel(id: name, state: parent.state, basicFarmland: parent.basicFarmland, village: parent.village,
                                             landuseCode: parent.landuseCode, areaSquareMetres: try engine.area(of: polygons), active: true,
                                             polygons: polygons, properties: properties))
            }
            let sum = children.reduce(0) { $0 + $1.areaSquareMetres }
            guard abs(sum - parent.areaSquareMetres) <= Self.areaTolerance else {
                throw refuse("area-mismatch", "the pieces add up to \(fixed(sum, 4)) m², the parcel has \(fixed(parent.areaSquareMetres, 4)) m²: off by \(fixed(sum - parent.areaSquareMetres, 4)) m² (more than \(Self.areaTolerance) m² is refused)")
            }
            try Self.reparcel(db, parents: [parent], children: children, kind: .split, date: date, srs: srs, ref: ref, note: note, by: who)
            return children
        }
    }

    static func checkDate(_ db: Database, _ id: String, _ date: CalendarDate) throws {
        if let last = try String.fetchOne(db, sql: "SELECT max(effective_date) FROM parcel_events WHERE parcel_id = ?", arguments: [id]),
           last > date.description {
            throw LandtrackError.invalidInput(source: "re-parcelling", problems: [Diagnostic(
                "dated-before-history", "parcel \"\(id)\": the change is dated \(date), before the parcel's last event (\(last))")])
        }
    }

    /// Retires the parents, adds the children, and records events and lineage.
    static func reparcel(_ db: Database, parents: [StoredParcel], children: [StoredParcel], kind: ParcelEvent.Kind,
                         date: CalendarDate, srs: Int32, ref: String?, note: String?, by: String) throws {
        let recordedAt = ISO8601DateFormatter().string(from: Date())
        let parentNames = parents.map(\.id).joined(separator: ", "), childNames = children.map(\.id).joined(separator: ", ")
        var eventIDs: [String: Int64] = [:]
        for p in parents {
            try db.execute(sql: "UPDATE parcels SET active = 0 WHERE parcel_id = ?", arguments: [p.id])
            try db.execute(sql: """
                INSERT INTO parcel_events (parcel_id, kind, from_state, to_state, effective_date, recorded_at, recorded_by, ref, note)
                VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)
                """, arguments: [p.id, kind.rawValue, p.state.rawValue, date.description, recordedAt, by, ref,
                                 note ?? "retired by \(kind.rawValue) into \(childNames)"])
            eventIDs[p.id] = db.lastInsertedRowID
        }
        for c in children {
            try db.execute(sql: """
                INSERT INTO parcels (geom, parcel_id, state, basic_farmland, village, landuse_code, area_m2, active, properties)
                VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
                """, arguments: [GeoPackage.blob(c.polygons, srsID: srs), c.id, c.state.rawValue, c.basicFarmland, c.village,
                                 c.landuseCode, c.areaSquareMetres, JSONValue.object(c.properties).jsonText])
            try db.execute(sql: """
                INSERT INTO parcel_events (parcel_id, kind, from_state, to_state, pbf_after, effective_date, recorded_at, recorded_by, ref, note)
                VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [c.id, kind.rawValue, c.state.rawValue, c.basicFarmland, date.description, recordedAt, by, ref,
                                 note ?? "created by \(kind.rawValue) of \(parentNames)"])
            let childEvent = db.lastInsertedRowID
            for p in parents {
                try db.execute(sql: "INSERT INTO parcel_lineage (parent_id, child_id, event_id, kind) VALUES (?, ?, ?, ?)",
                               arguments: [p.id, c.id, childEvent, kind.rawValue])
            }
        }
        try GeoPackage.updateExtent(db, table: "parcels")
    }

    /// Parents and children of a parcel.
    public func lineage(_ id: String) throws(LandtrackError) -> (parents: [String], children: [String]) {
        try read { db in
            (try String.fetchAll(db, sql: "SELECT parent_id FROM parcel_lineage WHERE child_id = ? ORDER BY lineage_id", arguments: [id]),
             try String.fetchAll(db, sql: "SELECT child_id FROM parcel_lineage WHERE parent_id = ? ORDER BY lineage_id", arguments: [id]))
        }
    }
}
