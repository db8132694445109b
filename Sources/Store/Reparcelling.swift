import Foundation
import Geometry
import Parcels

/// Split and merge (re-parcelling). The geometry is computed first, outside any transaction,
/// by the pure functions of `Reparcelling`; the write then checks that the parents are still
/// as they were read, and in one transaction retires them, adds the children (same state and
/// PBF flag: no state change to decide), and records `split`/`merge` events on both sides and
/// parent → child lineage. As-of reads before the date see the old parcels, after it the new ones.
public enum Reparcelling {
    /// Children's areas must add up to the parent's within this (m²).
    public static let areaTolerance = 0.01

    /// The merged parcel of `parents`: they must share one state and PBF flag, each be
    /// reachable from the first touching or within `gap` metres (measured in the CGCS2000 3°
    /// Gauss-Krüger plane of the data, as contiguity measures), and not overlap.
    public static func merge(_ parents: [Parcel], into newID: String, gap: Double, crs: CoordinateReferenceSystem) throws(LandtrackError) -> Parcel {
        func refuse(_ p: ReparcellingProblem) -> LandtrackError { .refused([Refusal(.reparcelling(p))]) }
        guard parents.count >= 2 else { throw refuse(.tooFewParcels) }
        guard Set(parents.map(\.state)).count == 1 else { throw refuse(.mixedStates(parents.map { "\($0.id): \($0.state.rawValue)" })) }
        guard Set(parents.map(\.basicFarmland)).count == 1 else { throw refuse(.mixedBasicFarmland) }
        let ctx = GEOSContext()
        let transform = try CoordinateTransform.gaussKrugerPlane(from: crs, near: parents[0].polygons[0].exterior.points[0].x)
        var planar: [GEOSGeometryHandle] = []
        for p in parents {
            var ps: [Polygon] = []
            for polygon in p.polygons { ps.append(try transform.transform(polygon)) }
            planar.append(try ctx.geometry(.multiPolygon(MultiPolygon(ps))))
        }
        // Contact graph: every part must be reachable from the first, touching or within the gap.
        var reached: Set<Int> = [0]
        var frontier = [0]
        while let i = frontier.popLast() {
            for j in planar.indices where !reached.contains(j) {
                if try ctx.distanceWithin(planar[i], planar[j], gap) {
                    reached.insert(j)
                    frontier.append(j)
                }
            }
        }
        let apart = parents.indices.filter { !reached.contains($0) }.map { parents[$0].id }
        guard apart.isEmpty else { throw refuse(.notTouching(parcels: apart, gapMetres: gap)) }
        var handles: [GEOSGeometryHandle] = []
        for p in parents { handles.append(try ctx.geometry(.multiPolygon(MultiPolygon(p.polygons)))) }
        let union = try ctx.value(ctx.unaryUnion(ctx.collection(handles)))
        guard let polygons = union.polygons else { throw refuse(.notPolygonal("the union of the parcels")) }
        let merged = try GeodesicAreaEngine(ellipsoid: crs.ellipsoid).area(of: polygons)
        let sum = parents.reduce(0) { $0 + $1.areaSquareMetres }
        guard abs(merged - sum) <= areaTolerance else {
            throw refuse(.areaMismatch(operation: "merge", result: merged, expected: sum, tolerance: areaTolerance))
        }
        let first = parents[0]
        // The merged parcel deducts what its parents did: their deducted areas over its area.
        let deducted = parents.reduce(0) { $0 + $1.deducted(from: $1.areaSquareMetres) }
        let codes = Set(parents.compactMap { $0.deduction?.code })
        return Parcel(id: newID, state: first.state, basicFarmland: first.basicFarmland, village: first.village,
                      landuseCode: first.landuseCode, polygons: polygons, areaSquareMetres: merged,
                      properties: try renamed(first, newID),
                      deduction: .stored(ratio: merged > 0 ? min(deducted / merged, 0.999_999) : 0, code: codes.count == 1 ? codes.first : nil))
    }

    /// The pieces of `parent` cut along a line (or by a polygon: inside and outside it), named
    /// `names` or ID-1, ID-2, … in order of their position from south-west.
    public static func split(_ parent: Parcel, by cutter: Geometry, names: [String]?, crs: CoordinateReferenceSystem) throws(LandtrackError) -> [Parcel] {
        func refuse(_ p: ReparcellingProblem) -> LandtrackError { .refused([Refusal(.reparcelling(p))]) }
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
            guard case let .geometryCollection(members) = faces else { throw refuse(.notPolygonal("the cut")) }
            let prepared = try GEOSPreparedGeometry(shape)
            for case let .polygon(face) in members where try prepared.covers(ctx.pointOnSurface(ctx.geometry(face))) {
                pieces.append([face])
            }
        }
        guard pieces.count >= 2 else { throw refuse(.doesNotCross(parcel: parent.id, cutter: cutter.typeName)) }
        pieces.sort { a, b in
            let ea = MultiPolygon(a).envelope!, eb = MultiPolygon(b).envelope!
            return (ea.minY, ea.minX) < (eb.minY, eb.minX)
        }
        let childNames = names ?? (1...pieces.count).map { "\(parent.id)-\($0)" }
        guard childNames.count == pieces.count else { throw refuse(.nameCount(pieces: pieces.count, names: childNames.count)) }
        var seen = Set<String>()
        for name in childNames where !seen.insert(name).inserted { throw refuse(.nameTwice(name)) }
        try ParcelID.check(childNames)
        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        var children: [Parcel] = []
        for (name, polygons) in zip(childNames, pieces) {
            children.append(Parcel(id: name, state: parent.state, basicFarmland: parent.basicFarmland, village: parent.village,
                                   landuseCode: parent.landuseCode, polygons: polygons, areaSquareMetres: try engine.area(of: polygons),
                                   properties: try renamed(parent, name), deduction: parent.deduction))
        }
        let sum = children.reduce(0) { $0 + $1.areaSquareMetres }
        guard abs(sum - parent.areaSquareMetres) <= areaTolerance else {
            throw refuse(.areaMismatch(operation: "split", result: sum, expected: parent.areaSquareMetres, tolerance: areaTolerance))
        }
        return children
    }

    /// The parcel's properties with an "id" member (if any) set to the new id.
    static func renamed(_ p: Parcel, _ id: String) throws(LandtrackError) -> ParcelProperties {
        let properties = try p.properties.object(owner: p.id)
        guard properties["id"] != nil else { return p.properties }
        var out = JSONObject()
        for (k, v) in properties.members { out.append(k, k == "id" ? .string(id) : v) }
        return ParcelProperties(out)
    }
}

extension ParcelStore {
    /// Merges `ids` into one new parcel `newID` (see `Reparcelling.merge`).
    @discardableResult
    public func merge(_ ids: [String], into newID: String, date: CalendarDate, gap: Double = 0.5, ref: String? = nil,
                      note: String? = nil, by: String = StoreDefaults.user) throws(LandtrackError) -> Parcel {
        guard ids.count >= 2 else { throw .refused([Refusal(.reparcelling(.tooFewParcels))]) }
        var seen = Set<String>()
        for id in ids where !seen.insert(id).inserted { throw .refused([Refusal(.reparcelling(.parcelNamedTwice(id)))]) }
        try ParcelID.check(ids + [newID])
        let parents = try currentParents(ids)
        let child = try Reparcelling.merge(parents, into: newID, gap: gap, crs: crs())
        try reparcel(parents: parents, children: [child], kind: .merge, date: date, ref: ref, note: note, by: by)
        return child
    }

    /// Splits parcel `id` (see `Reparcelling.split`).
    @discardableResult
    public func split(_ id: String, by cutter: Geometry, names: [String]? = nil, date: CalendarDate, ref: String? = nil,
                      note: String? = nil, by who: String = StoreDefaults.user) throws(LandtrackError) -> [Parcel] {
        try ParcelID.check([id])
        let parent = try currentParents([id])[0]
        let children = try Reparcelling.split(parent, by: cutter, names: names, crs: crs())
        try reparcel(parents: [parent], children: children, kind: .split, date: date, ref: ref, note: note, by: who)
        return children
    }

    /// The parcels as they are now; each must exist and be active.
    private func currentParents(_ ids: [String]) throws(LandtrackError) -> [Parcel] {
        var parents: [Parcel] = []
        var refusals: [Refusal] = []
        for id in ids {
            guard let p = try parcel(id) else { refusals.append(Refusal(.unknownParcel(id))); continue }
            guard p.active else { refusals.append(Refusal(.retiredParcel(id))); continue }
            parents.append(p)
        }
        guard refusals.isEmpty else { throw .refused(refusals) }
        return parents
    }

    /// Retires the parents, adds the children, and records events and lineage, in one
    /// transaction; refused when a parent changed since it was read or a child's id is taken.
    private func reparcel(parents: [Parcel], children: [Parcel], kind: ParcelEvent.Kind, date: CalendarDate, ref: String?,
                          note: String?, by: String) throws(LandtrackError) {
        try write { (tx) throws(LandtrackError) in
            let writer = RecordWriter(tx, by: by)
            var refusals: [Refusal] = []
            for p in parents {
                if try tx.parcel(p.id) != p { refusals.append(Refusal(.changedMeanwhile(p.id))); continue }
                if let refusal = try writer.datedBeforeHistory(p.id, date, origin: nil) { refusals.append(refusal) }
            }
            for c in children where try tx.parcel(c.id) != nil { refusals.append(Refusal(.parcelExists(c.id))) }
            guard refusals.isEmpty else { throw .refused(refusals) }
            let parentNames = parents.map(\.id).joined(separator: ", "), childNames = children.map(\.id).joined(separator: ", ")
            for p in parents {
                var retired = p
                retired.active = false
                try tx.update(retired)
                _ = try tx.append(NewEvent(parcelID: p.id, kind: kind, fromState: p.state, date: date, recordedAt: writer.recordedAt,
                                           recordedBy: by, ref: ref, note: note ?? "retired by \(kind.rawValue) into \(childNames)"))
            }
            for c in children {
                try tx.insert(c)
                let childEvent = try tx.append(NewEvent(parcelID: c.id, kind: kind, toState: c.state, pbfAfter: c.basicFarmland, date: date,
                                                        recordedAt: writer.recordedAt, recordedBy: by, ref: ref,
                                                        note: note ?? "created by \(kind.rawValue) of \(parentNames)"))
                for p in parents { try tx.appendLineage(parent: p.id, child: c.id, eventID: childEvent, kind: kind) }
            }
        }
    }
}
