import Foundation
import Geometry
import Parcels

/// Contiguous blocks (集中连片): connected components of the graph in which two parcels are
/// joined when they touch or overlap (gap 0) or lie within `gap` metres of each other.
public enum ContiguityAnalysis {
    /// Components of `geometries` (planar, one GEOS context): joined when they intersect (gap 0)
    /// or lie within `gap` (GEOSPreparedDistanceWithin), found through an STRtree of envelopes
    /// and union-find. nil geometries are left out; empty ones are components of their own.
    /// Components are lists of indices, ascending, ordered by their first index.
    /// With `barriers`, two geometries that do not touch are not joined when the shortest segment
    /// between them crosses a barrier (a road or river between two fields).
    public static func components(_ ctx: GEOSContext, _ geometries: [GEOSGeometryHandle?], gap: Double,
                                  barriers: GEOSPreparedGeometry? = nil, perTile: Int = ParcelTiles.standardSize) throws(LandtrackError) -> [[Int]] {
        var envelopes: [Envelope?] = []
        for g in geometries { envelopes.append(try g.flatMap { (h) throws(LandtrackError) in try ctx.bounds(h) }) }
        let tiles = ParcelTiles(envelopes, marginX: gap, marginY: gap, perTile: perTile)
        // Geometries already made in one context: one worker, on this thread.
        let worker = TileWorker(ctx: ctx, barriers: barriers) { (i: Int) throws(LandtrackError) in geometries[i]! }
        return try components(included: geometries.map { $0 != nil }, tiles: tiles, gap: gap, workers: [worker])
    }

    /// What a positive gap's components start from: gap 0's, `group` numbering each item's
    /// gap-0 component (items of one group are joined under any gap), with the items' envelopes
    /// in the coordinates the tiles were cut in and the margins the tiles were grown by.
    public struct GapZeroGroups {
        public var group: [Int]
        public var envelopes: [Envelope?]
        public var marginX: Double, marginY: Double

        public init(group: [Int], envelopes: [Envelope?], marginX: Double, marginY: Double) {
            (self.group, self.envelopes, self.marginX, self.marginY) = (group, envelopes, marginX, marginY)
        }

        /// Each pair of a tile's `members` (positions in it, the smaller first) that a gap may
        /// join: their envelopes, grown by the margins, meet, and their groups differ.
        func forEachCandidate(_ members: [Int], _ body: (Int, Int) -> Void) {
            let grown = members.map { i -> Envelope in
                let e = envelopes[i]!
                return Envelope(minX: e.minX - marginX, minY: e.minY - marginY, maxX: e.maxX + marginX, maxY: e.maxY + marginY)
            }
            forEachEnvelopePair(grown) { k, m in
                if group[members[k]] != group[members[m]] { body(k, m) }
            }
        }

        /// Union-find over `members` (positions) with the items of each group joined.
        func joinedByGroup(_ members: [Int]) -> UnionFind {
            var joined = UnionFind(count: members.count)
            var first: [Int: Int] = [:]
            for k in members.indices {
                if let f = first[group[members[k]]] { joined.join(f, k) } else { first[group[members[k]]] = k }
            }
            return joined
        }
    }

    /// Components over `tiles`, the tiles shared out between the workers' threads: GEOS holds
    /// the geometries of one tile per thread at a time (each worker makes them in its own
    /// context, in the plane where `gap` is measured). Within a tile union-find joins the pairs
    /// that touch or lie within the gap; every such pair meets in some tile (the tiles' margin),
    /// and the tiles' joins are merged here, in tile order, by union-find over all items.
    /// Indices not `included` are left out; included ones in no tile (empty geometries) are
    /// components of their own. The components do not depend on the tiling or the threads.
    /// Starting from gap 0's components (`from`), a pair of one group is never tested, and a
    /// parcel is made in GEOS only when its envelope, grown by the margins, meets that of a
    /// parcel of another group in the tile (any pair within the gap does: the tiles' argument).
    public static func components(included: [Bool], tiles: ParcelTiles, gap: Double, workers: [TileWorker],
                                  from start: GapZeroGroups? = nil) throws(LandtrackError) -> [[Int]] {
        var all = UnionFind(count: included.count)
        if let start {
            // Each group's first item, by group number (an array: a dictionary's hashing was a
            // tenth of the one-thread start at a million parcels).
            var first = [Int](repeating: -1, count: (start.group.max() ?? -1) + 1)
            for i in included.indices where included[i] {
                let g = start.group[i]
                if first[g] >= 0 { all.join(first[g], i) } else { first[g] = i }
            }
        }
        try tiles.forEach(workers: workers, { (worker, tileMembers) throws(LandtrackError) -> [Int] in
            let ctx = worker.ctx
            if let start, let decide = worker.gapDecision, worker.barriers == nil {
                return try joinsDecidedFirst(tileMembers, start: start, gap: gap, worker: worker, decide: decide)
            }
            var members = tileMembers
            if let start {
                var needed = [Bool](repeating: false, count: tileMembers.count)
                start.forEachCandidate(tileMembers) { k, m in needed[k] = true; needed[m] = true }
                members = tileMembers.indices.filter { needed[$0] }.map { tileMembers[$0] }
            }
            var handles: [GEOSGeometryHandle] = []
            handles.reserveCapacity(members.count)
            for i in members { handles.append(try worker.geometry(i)) }
            let index = try GEOSSpatialIndex(context: ctx, geometries: handles)
            var local = start?.joinedByGroup(members) ?? UnionFind(count: members.count)
            for k in members.indices {
                let g = handles[k]
                guard let envelope = try ctx.bounds(g) else { continue }
                let search = Envelope(minX: envelope.minX - gap, minY: envelope.minY - gap, maxX: envelope.maxX + gap, maxY: envelope.maxY + gap)
                // Prepared only when a candidate is not joined already.
                var prepared: GEOSPreparedGeometry?
                for m in try index.query(search) where m > k {
                    if local.find(k) == local.find(m) { continue }
                    let p: GEOSPreparedGeometry
                    if let prepared { p = prepared } else { p = try GEOSPreparedGeometry(g); prepared = p }
                    let other = handles[m]
                    var joined = gap > 0 ? try p.distanceWithin(other, gap) : try p.intersects(other)
                    if joined, let barriers = worker.barriers, !(try p.intersects(other)) {
                        joined = !(try barriers.intersects(ctx.shortestLine(g, other)))
                    }
                    if joined { local.join(k, m) }
                }
            }
            return local.joins(members)
        }, deliver: { (joins: [Int]) in all.join(pairs: joins) })
        return all.groups(included)
    }

    /// A tile's joins for a positive gap from gap 0's groups, the candidate pairs (envelopes
    /// grown by the margins meet, groups differ) decided by the worker's `gapDecision` where it
    /// can, and by GEOS (`GEOSPreparedDistanceWithin` in the plane) only for those left
    /// undecided: most pairs are far from the gap either way, and neither PROJ nor GEOS sees
    /// their parcels. The joins are those of the path through GEOS alone: every pair within the
    /// gap is a candidate (the tiles' argument), and a candidate whose items are joined already
    /// is not tested in either.
    private static func joinsDecidedFirst(_ members: [Int], start: GapZeroGroups, gap: Double, worker: TileWorker,
                                          decide: (Int, Int) -> GaussKrugerGap.Decision) throws(LandtrackError) -> [Int] {
        var pairs: [UInt64] = []
        start.forEachCandidate(members) { k, m in pairs.append(UInt64(k) << 32 | UInt64(m)) }
        // By first item: GEOS prepares a geometry once for all its undecided partners.
        pairs.sort()
        var local = start.joinedByGroup(members)
        var geos = MadeOnDemand(worker, members)
        var prepared: (k: Int, geometry: GEOSPreparedGeometry)?
        for pair in pairs {
            let (k, m) = (Int(pair >> 32), Int(pair & 0xFFFF_FFFF))
            if local.find(k) == local.find(m) { continue }
            switch decide(members[k], members[m]) {
            case .within: local.join(k, m)
            case .beyond: continue
            case .undecided:
                if prepared?.k != k { prepared = (k, try GEOSPreparedGeometry(geos.handle(k))) }
                if try prepared!.geometry.distanceWithin(geos.handle(m), gap) { local.join(k, m) }
            }
        }
        return local.joins(members)
    }

    /// Gap 0 (parcels that touch or overlap are joined) over `tiles` on the workers' threads,
    /// contacts decided on the parcels' own coordinates (`PolygonContact`: the neighbours of a
    /// clean coverage share vertices and edges, and that is proved without GEOS); GEOS, in the
    /// worker's context and only for the parcels of pairs left undecided there, settles the
    /// rest with `relate` (interiors that intersect) and `intersects`. `marked` are the parcels
    /// of pairs whose interiors intersect (their blocks have overlaps), in tile order, possibly
    /// repeated. Candidate pairs are those whose envelopes meet; the components are the same
    /// as the all-GEOS `components` gives, whatever the tiling or the threads.
    static func contactComponents(included: [Bool], tiles: ParcelTiles, polygons: (Int) -> [Polygon],
                                  workers: [TileWorker]) throws(LandtrackError) -> (components: [[Int]], marked: [Int]) {
        var all = UnionFind(count: included.count)
        var marked: [Int] = []
        try tiles.forEach(workers: workers, { (worker, members) throws(LandtrackError) -> (joins: [Int], marked: [Int]) in
            var local = UnionFind(count: members.count)
            let undecided = contacts(members, polygons: polygons) { k, m in local.join(k, m) }
            var geos = MadeOnDemand(worker, members)
            var marked: [Int] = []
            for (k, m) in undecided {
                let a = try geos.handle(k), b = try geos.handle(m)
                if try worker.ctx.relate(a, b, pattern: "T********") {
                    marked.append(members[k])
                    marked.append(members[m])
                    local.join(k, m)
                } else if local.find(k) != local.find(m), try worker.ctx.intersects(a, b) {
                    local.join(k, m)
                }
            }
            return (local.joins(members), marked)
        }, deliver: { (tile: (joins: [Int], marked: [Int])) in
            all.join(pairs: tile.joins)
            marked += tile.marked
        })
        return (all.groups(included), marked)
    }

    /// The pairs of `members` whose envelopes meet, by their contact on their coordinates
    /// (`PolygonContact`): each touching pair handed to `touching`, the pairs left undecided
    /// returned (positions in `members`, the smaller first); pairs apart are dropped. A pair with
    /// an item `decidable` refuses (one that may be invalid) is left undecided.
    static func contacts(_ members: [Int], polygons: (Int) -> [Polygon], decidable: (Int) -> Bool = { _ in true },
                         touching: (Int, Int) -> Void) -> [(Int, Int)] {
        var undecided: [(Int, Int)] = []
        forEachContact(members, polygons: polygons, decidable: decidable) { k, m, contact in
            switch contact {
            case .touching: touching(k, m)
            case .apart: break
            case .undecided: undecided.append((k, m))
            }
        }
        return undecided
    }

    /// Each pair of `members` whose envelopes meet with its contact on their coordinates
    /// (`PolygonContact`; positions in `members`, the smaller first). A pair with an item
    /// `decidable` refuses is `.undecided` without being looked at.
    static func forEachContact(_ members: [Int], polygons: (Int) -> [Polygon], decidable: (Int) -> Bool = { _ in true },
                               _ body: (Int, Int, PolygonContact) -> Void) {
        var filling = DirectedEdges(reservingEdges: members.reduce(0) { $0 + polygons($1).reduce(0) { $0 + $1.vertexCount } })
        for i in members { filling.append(polygons(i)) }
        // A constant from here: a variable captured by the closure was retained (its three
        // arrays) for every pair handed to `between`, a twentieth of gap 0's time.
        let table = filling
        let trusted = members.map(decidable)
        forEachEnvelopePair(table.envelopes) { k, m in
            body(k, m, trusted[k] && trusted[m] ? PolygonContact.between(k, m, in: table) : .undecided)
        }
    }

    /// Gap 0's joins among a selection of parcels, found in a pass over the tiles of all of
    /// them that another rule makes anyway (`check`'s overlap rule finds every pair's contact):
    /// `joined` over the positions of all the parcels, two selected parcels in one set when they
    /// are joined as `contactComponents` joins them (touching on their coordinates, else by
    /// GEOS), unselected ones alone; `marked` the selected parcels of pairs whose interiors
    /// intersect (`contactComponents`' marked, possibly repeated).
    struct GapZeroContacts {
        var joined: UnionFind
        var marked: [Int]
    }
}

/// Sets of items 0..<count joined pair by pair (path halving; a set's root is its smallest
/// item), for a tile's members and for all parcels alike.
struct UnionFind {
    private var parent: [Int]

    init(count: Int) { parent = Array(0..<count) }

    mutating func find(_ i: Int) -> Int {
        var i = i
        while parent[i] != i {
            parent[i] = parent[parent[i]]
            i = parent[i]
        }
        return i
    }

    mutating func join(_ a: Int, _ b: Int) {
        let (ra, rb) = (find(a), find(b))
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }

    /// Each set of a tile's members (by position) as pairs of items, flat: each member with its
    /// set's root.
    mutating func joins(_ members: [Int]) -> [Int] {
        var joins: [Int] = []
        for k in members.indices {
            let r = find(k)
            if r != k { joins.append(members[k]); joins.append(members[r]) }
        }
        return joins
    }

    /// Joins the pairs of a flat list.
    mutating func join(pairs: [Int]) {
        for e in stride(from: 0, to: pairs.count, by: 2) { join(pairs[e], pairs[e + 1]) }
    }

    /// The sets of the included items, each ascending, ordered by their first item.
    mutating func groups(_ included: [Bool]) -> [[Int]] {
        groups(included.indices.lazy.filter { included[$0] }, item: { $0 })
    }

    /// `keys` (ascending) grouped by the set of each one's item: lists of keys, each ascending,
    /// ordered by their first. Each root's group by number (an array: a dictionary's hashing was
    /// a tenth of a contiguity command's one-thread start at a million parcels).
    mutating func groups(_ keys: some Sequence<Int>, item: (Int) -> Int) -> [[Int]] {
        var slot = [Int32](repeating: -1, count: parent.count)
        var groups: [[Int]] = []
        for k in keys {
            let r = find(item(k))
            if slot[r] < 0 {
                slot[r] = Int32(groups.count)
                groups.append([k])
            } else {
                groups[Int(slot[r])].append(k)
            }
        }
        return groups
    }
}

/// How the interiors of two geometries overlap: the one measure of an overlap the planner
/// uses (`check`'s overlap and layer rules, a block's overlaps).
enum InteriorOverlap: Equatable {
    /// They do not (apart, or only touching).
    case none
    /// The geodesic area of their overlap (m²).
    case area(Double)
    /// Their interiors meet, but GEOS finds one of them invalid and refuses their intersection
    /// (a store's parcel edited behind landtrack's back: files are refused such parcels;
    /// `check`'s invalid-geometry rule names it).
    case unmeasurable

    /// Of `a` and `b`, made in `ctx`: GEOS `relate` (interiors meet), then, only for those
    /// that do, validity and the intersection's area.
    static func of(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle, ctx: GEOSContext,
                   engine: GeodesicAreaEngine) throws(LandtrackError) -> InteriorOverlap {
        guard try ctx.relate(a, b, pattern: "T********") else { return .none }
        guard try ctx.validity(a).isValid, try ctx.validity(b).isValid else { return .unmeasurable }
        return .area(try engine.area(of: ctx.value(ctx.intersection(a, b)).polygonalParts))
    }
}

/// One contiguous block.
public struct Block: Sendable, Hashable {
    public var id: Int
    public var parcels: [String]
    /// Sum of the members' geodesic areas minus the areas where members overlap (real registers
    /// have sliver overlaps; they are counted once).
    public var area: AreaMeasure
    public var memberAreaSum: AreaMeasure
    public var overlap: AreaMeasure
    /// The block's outline (longitude/latitude), when asked for.
    public var outline: [Polygon]?
    /// 千亩方 / 万亩方.
    public var sizeClass: String? {
        area.mu >= 10_000 ? "10,000-mu block (万亩方)" : area.mu >= 1_000 ? "1,000-mu block (千亩方)" : nil
    }
}

/// `landtrack contiguity`: blocks of the selected parcels.
public struct ContiguityReport: Sendable, RenderableReport {
    public var gapMetres: Double
    /// How distances were measured.
    public var distanceMethod: String
    public var selection: String
    public var blocks: [Block]
    public var parcelCount: Int

    public struct Options: Sendable {
        /// States taken into blocks; nil means every state.
        public var states: Set<ParcelState>? = [.farmland, .reclaimedFarmland]
        public var basicFarmlandOnly = false
        public var gapMetres = 0.0
        /// Blocks smaller than this are left out of the report (not of the analysis).
        public var minimumMu = 0.0
        /// Roads, rivers: parcels on either side are not joined across them (longitude/latitude).
        public var barriers: [Geometry] = []
        /// Compute each block's outline (for GeoJSON output).
        public var outlines = false
        /// Parcels a tile, each thread holding one tile in GEOS at a time (the blocks do not depend
        /// on it); nil: `ParcelTiles.standardSize` shared among the threads, so GEOS holds about as
        /// many parcels on two cores as on one.
        public var parcelsPerTile: Int?
        /// Threads the tiles are shared out between (the blocks do not depend on it either).
        public var threads = Cores.available
        public init() {}

        /// Is `parcel` one of the parcels taken into blocks (its state, its PBF flag)?
        public func selects(_ parcel: Parcel) -> Bool {
            selects(state: parcel.state, basicFarmland: parcel.basicFarmland)
        }

        /// How many of `parcels` are taken into blocks (each read in place, none copied).
        public func selectedCount(_ parcels: [Parcel]) -> Int {
            let selects = selection()
            return parcels.withUnsafeBufferPointer { buffer in
                buffer.indices.reduce(0) { $0 + (selects(buffer[$1].state, buffer[$1].basicFarmland) ? 1 : 0) }
            }
        }

        /// `selects` on the two fields it reads (a caller reading them in place copies no parcel).
        func selects(state: ParcelState, basicFarmland: Bool) -> Bool {
            (states?.contains(state) ?? true) && (!basicFarmlandOnly || basicFarmland)
        }

        /// `selects(state:basicFarmland:)` as a table by PBF flag and state ordinal, made once:
        /// for a million parcels, hashing each one's state in the set was 40 ms a pass.
        func selection() -> (ParcelState, Bool) -> Bool {
            let table = [false, true].map { pbf in ParcelState.allCases.map { selects(state: $0, basicFarmland: pbf) } }
            return { state, basicFarmland in table[basicFarmland ? 1 : 0][state.ordinal] }
        }
    }

    /// Analyses `parcels` (longitude/latitude on `crs`). Gap 0 joins parcels that intersect, tested
    /// on their own coordinates; a positive gap is measured in the CGCS2000 3° Gauss-Krüger plane of
    /// the data (PROJ tmerc, the metric the benchmark peers use).
    ///
    /// GEOS holds one tile of parcels at a time (`ParcelTiles`), and a block's members again only
    /// when its overlaps or outline need them, so memory grows with the parcels' own values,
    /// not with GEOS copies of them; the selection is a list of positions in `parcels`, never a
    /// copy of them.
    ///
    /// `contacts`, when given, is the contact graph of these very parcels (`ParcelContacts.of`,
    /// or the parcel cache's copy of it): gap 0's components and overlaps are taken from it, and
    /// gap 0's pass over the tiles is skipped.
    public static func analyse(_ parcels: consuming [Parcel], crs: CoordinateReferenceSystem, options: Options,
                               contacts: ParcelContacts? = nil) throws(LandtrackError) -> ContiguityReport {
        try analyse(consume parcels, crs: crs, options: options, gapZero: nil, contacts: contacts)
    }

    /// `analyse`, gap 0's joins of the selection taken from `gapZero` when given (found in a
    /// pass over all of `parcels`, for the parcels `options.selects`) instead of a pass of its own.
    static func analyse(_ parcels: consuming [Parcel], crs: CoordinateReferenceSystem, options: Options,
                        gapZero: consuming ContiguityAnalysis.GapZeroContacts?,
                        contacts: ParcelContacts? = nil) throws(LandtrackError) -> ContiguityReport {
        // The selection is a list of positions, not a copy of the parcels (a million parcels
        // are not held twice). Snapshots come in id order: sorted only when not.
        let all = parcels
        // Through the buffer: each parcel is read in place (through the array, the filter and
        // the order check copied every parcel, a retain and a release for each of its parts).
        var positions: [Int] = []
        var inIDOrder = true
        var envelopes: [Envelope?] = []
        // Only where they are used: tiles for a gap, or for gap 0's pass without a contact graph.
        let needsEnvelopes = options.gapMetres > 0 || (contacts == nil && gapZero == nil)
        let selects = options.selection()
        all.withUnsafeBufferPointer { buffer in
            positions.reserveCapacity(buffer.count)
            for i in buffer.indices where selects(buffer[i].state, buffer[i].basicFarmland) {
                positions.append(i)
            }
            for k in positions.indices.dropFirst() where buffer[positions[k - 1]].id > buffer[positions[k]].id {
                inIDOrder = false
                break
            }
            if !inIDOrder { positions.sort { buffer[$0].id < buffer[$1].id } }
            if needsEnvelopes {
                envelopes = ParallelInOrder.map(positions.count) { Self.envelope(of: buffer[positions[$0]].polygons) }
            }
        }
        precondition(contacts == nil || contacts?.parcelCount == all.count, "contacts of another list of parcels")
        let selected = Selection(parcels: all, positions: positions)
        let ctx = GEOSContext()
        // Every parcel has polygons, except those read without them for gap 0 from a kept contact
        // graph (`PlannerInput.loadForKeptContacts`), which no geometry operation may then reach.
        func polygons(_ i: Int) -> [Polygon] {
            precondition(!selected[i].polygons.isEmpty, "parcel \(selected[i].id) was read without its polygons")
            return selected[i].polygons
        }
        func lonlat(_ i: Int) throws(LandtrackError) -> GEOSGeometryHandle {
            try ctx.geometry(.multiPolygon(MultiPolygon(polygons(i))))
        }
        // The tiles' threads: each makes the parcels' GEOS copies in a context of its own.
        let threads = max(1, options.threads)
        let perTile = options.parcelsPerTile ?? max(1, ParcelTiles.standardSize / threads)
        let lonlatWorkers = (0..<threads).map { _ in
            let own = GEOSContext()
            return TileWorker(ctx: own) { (i: Int) throws(LandtrackError) in try own.geometry(.multiPolygon(MultiPolygon(polygons(i)))) }
        }
        let included = [Bool](repeating: true, count: selected.count)
        // Gap 0's components and overlapping pairs, from the contact graph when there is one,
        // else by a pass over the selection's tiles.
        func gapZeroComponents(_ workers: [TileWorker]) throws(LandtrackError) -> (components: [[Int]], marked: [Int]) {
            if let contacts { return contacts.components(of: positions) }
            return try ContiguityAnalysis.contactComponents(included: included, tiles: ParcelTiles(envelopes, perTile: perTile),
                                                            polygons: { polygons($0) }, workers: workers)
        }
        var mayOverlap = [Bool](repeating: false, count: selected.count)
        var method = "gap 0: parcels that touch or overlap, on their coordinates (shared vertices and edges proved exactly, GEOS for the rest)"
        let components: [[Int]]
        if options.gapMetres > 0, let first = envelopes.lazy.compactMap({ $0 }).first,
           let longitude = selected.indices.lazy.compactMap({ selected[$0].polygons.first?.exterior.points.first?.x }).first {
            let planeTransform = try CoordinateTransform.gaussKrugerPlane(from: crs, near: longitude)
            let plane = "\(planeTransform.target)"
            // Pairs far from the gap either way decided on their coordinates (no barriers: with
            // them a pair within the gap is joined only when no barrier lies between).
            let gapFilter = options.barriers.isEmpty
                ? GaussKrugerGap.measuring(options.gapMetres, from: crs, near: longitude) : nil
            var planeWorkers: [TileWorker] = []
            for thread in 0..<threads {
                // PROJ transformations are not shared between threads either: each its own copy.
                let transform = thread == 0 ? planeTransform : try planeTransform.copy()
                let own = GEOSContext()
                var barriers: GEOSPreparedGeometry?
                if !options.barriers.isEmpty {
                    var hs: [GEOSGeometryHandle] = []
                    for b in options.barriers { hs.append(try own.geometry(try transform.transform(b))) }
                    barriers = try GEOSPreparedGeometry(try own.collection(hs))
                }
                planeWorkers.append(TileWorker(ctx: own, barriers: barriers, gapDecision: gapFilter.map { filter in { filter.decide(polygons($0), polygons($1)) } }) { (i: Int) throws(LandtrackError) in
                    var ps: [Polygon] = []
                    for polygon in polygons(i) { ps.append(try transform.transform(polygon)) }
                    return try own.geometry(.multiPolygon(MultiPolygon(ps)))
                })
            }
            // Tiles in longitude/latitude with the gap as a margin in degrees, generously: a degree
            // of latitude is at least 110.5 km, one of longitude at least 111.3 km × cos(latitude),
            // and Gauss-Krüger distances differ from the ellipsoid's by under 0.2 % in a 3° zone.
            var extent = first
            for case let e? in envelopes { extent = extent.union(e) }
            let maxLatitude = min(89.0, max(abs(extent.minY), abs(extent.maxY)))
            let marginY = 1.25 * options.gapMetres / 110_500
            let marginX = 1.25 * options.gapMetres / (111_300 * cos(maxLatitude * .pi / 180))
            // Gap 0 first, on the parcels' own coordinates: its overlaps are the blocks' overlaps,
            // and its components are joined under any positive gap, so their pairs need no
            // distance test (parcels that touch are within any gap of each other in the plane: a
            // shared vertex is projected to one point, a vertex on an edge stays within rounding
            // of it). With barriers every pair is tested in the plane as before (a barrier may
            // pass between parcels that do not share a position).
            let touching = try gapZeroComponents(lonlatWorkers)
            for i in touching.marked { mayOverlap[i] = true }
            var group = [Int](repeating: 0, count: selected.count)
            for (g, members) in touching.components.enumerated() { for i in members { group[i] = g } }
            components = try ContiguityAnalysis.components(
                included: included, tiles: ParcelTiles(envelopes, marginX: marginX, marginY: marginY, perTile: perTile),
                gap: options.gapMetres, workers: planeWorkers,
                from: options.barriers.isEmpty ? ContiguityAnalysis.GapZeroGroups(group: group, envelopes: envelopes, marginX: marginX, marginY: marginY) : nil)
            method = "within \(JSONValue.numberText(options.gapMetres)) m, distances in the plane of \(plane) (PROJ transverse Mercator)"
                + (options.barriers.isEmpty ? "" : "; not across the \(options.barriers.count) barrier features")
        } else if var gapZero {
            // The sets of the pass over all parcels, each listed by the selected positions in it
            // (ascending, ordered by their first: as `UnionFind.groups` lists them).
            components = gapZero.joined.groups(selected.indices, item: { positions[$0] })
            let marked = Set(gapZero.marked)
            for k in selected.indices where marked.contains(positions[k]) { mayOverlap[k] = true }
        } else {
            let found = try gapZeroComponents(lonlatWorkers)
            components = found.components
            for i in found.marked { mayOverlap[i] = true }
        }

        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        var blocks: [Block] = []
        for members in components {
            let sum = members.reduce(0.0) { $0 + selected[$1].areaSquareMetres }
            var overlap = 0.0
            // The members' GEOS copies, made once for the overlaps and the outline alike.
            var made: [GEOSGeometryHandle]?
            func handles() throws(LandtrackError) -> [GEOSGeometryHandle] {
                if let made { return made }
                var hs: [GEOSGeometryHandle] = []
                for i in members { hs.append(try lonlat(i)) }
                made = hs
                return hs
            }
            if members.count > 1, members.contains(where: { mayOverlap[$0] }) {
                let hs = try handles()
                if try !Self.isCleanCoverage(ctx, hs) {
                    // Only a block whose members overlap pays for pairwise DE-9IM tests.
                    let index = try GEOSSpatialIndex(context: ctx, geometries: hs)
                    for a in members.indices {
                        for b in index.query(hs[a]) where b > a {
                            if case let .area(area) = try InteriorOverlap.of(hs[a], hs[b], ctx: ctx, engine: engine) { overlap += area }
                        }
                    }
                }
            }
            let outline = options.outlines ? try Self.outline(ctx, handles()) : nil
            blocks.append(Block(id: 0, parcels: members.map { selected[$0].id }.sorted(),
                                area: AreaMeasure(squareMetres: sum - overlap), memberAreaSum: AreaMeasure(squareMetres: sum),
                                overlap: AreaMeasure(squareMetres: overlap), outline: outline))
        }
        blocks.sort { $0.area.squareMetres != $1.area.squareMetres ? $0.area.squareMetres > $1.area.squareMetres : $0.parcels[0] < $1.parcels[0] }
        for i in blocks.indices { blocks[i].id = i + 1 }
        if options.minimumMu > 0 { blocks = blocks.filter { $0.area.mu >= options.minimumMu } }

        var selection = options.states.map { $0.map(\.rawValue).sorted().joined(separator: ", ") } ?? "all states"
        if options.basicFarmlandOnly { selection += ", permanent basic farmland only" }
        return ContiguityReport(gapMetres: options.gapMetres, distanceMethod: method, selection: selection, blocks: blocks,
                                parcelCount: selected.count)
    }

    /// The envelope of a parcel's polygons (their exteriors), nil for none; read in place.
    static func envelope(of polygons: [Polygon]) -> Envelope? {
        polygons.withUnsafeBufferPointer { buffer in
            var found: Envelope?
            for k in buffer.indices {
                let e = buffer[k].exterior.envelope
                found = found.map { $0.union(e) } ?? e
            }
            return found
        }
    }

    /// The selected parcels, by position in the list handed over.
    private struct Selection {
        let parcels: [Parcel]
        let positions: [Int]
        var count: Int { positions.count }
        var indices: Range<Int> { positions.indices }
        /// Lent, not copied: a parcel returned by value was retained and released part by part at
        /// every use (a sixth of the analysis' one-thread start at a million parcels).
        subscript(_ k: Int) -> Parcel { _read { yield parcels[positions[k]] } }
    }

    /// Do the members overlap nowhere? Their coverage union (GEOSCoverageUnion_r, linear in the
    /// edges) then has exactly the area of their sum; for overlapping members the union is
    /// smaller or invalid.
    static func isCleanCoverage(_ ctx: GEOSContext, _ members: [GEOSGeometryHandle]) throws(LandtrackError) -> Bool {
        var sum = 0.0
        for m in members { sum += try ctx.planarArea(m) }
        guard let union = try? ctx.coverageUnion(ctx.collection(members, multiPolygon: true)),
              (try? ctx.validity(union).isValid) == true else { return false }
        return abs(try ctx.planarArea(union) - sum) <= 1e-9 * sum
    }

    /// A block's outline: the coverage union where the members form a clean coverage (the union's
    /// area equals the members' sum), else a union snapped to a 1e-9° grid (≈ 0.1 mm).
    static func outline(_ ctx: GEOSContext, _ members: [GEOSGeometryHandle]) throws(LandtrackError) -> [Polygon] {
        let collection = try ctx.collection(members, multiPolygon: true)
        var sum = 0.0
        for m in members { sum += try ctx.planarArea(m) }
        if let union = try? ctx.coverageUnion(collection), try ctx.validity(union).isValid,
           abs(try ctx.planarArea(union) - sum) <= 1e-9 * sum {
            return try ctx.value(union).polygonalParts
        }
        return try ctx.value(ctx.unaryUnion(ctx.collection(members), gridSize: 1e-9)).polygonalParts
    }

    /// GeoJSON of the blocks' outlines with their figures.
    public func geojson() -> String {
        var out = "{\"type\":\"FeatureCollection\",\"name\":\"contiguous blocks\",\"features\":["
        var first = true
        for b in blocks {
            guard let outline = b.outline, !outline.isEmpty else { continue }
            if !first { out += "," }
            first = false
            var props = JSONObject()
            props.append("block", .number(Double(b.id)))
            props.append("parcel_count", .number(Double(b.parcels.count)))
            props.append("area_m2", .number((b.area.squareMetres * 10_000).rounded() / 10_000))
            props.append("area_mu", .number((b.area.mu * 1_000_000).rounded() / 1_000_000))
            props.append("class", b.sizeClass.map { .string($0) } ?? .null)
            props.append("parcels", .array(b.parcels.map { .string($0) }))
            out += "\n" + GeoJSONWriter.feature(id: "block-\(b.id)", properties: props, polygons: outline, precision: 9)
        }
        return out + "]}\n"
    }

    // MARK: Rendering

    public func json() -> String {
        // Built as UTF-8 bytes, room for every member's id at once, each written straight out (a
        // String took a million small appends at a fifth of a second; through an array of values
        // per block the text grew a doubling at a time).
        var out: [UInt8] = []
        out.reserveCapacity(1024 + blocks.reduce(0) { $0 + 256 + $1.parcels.reduce(0) { $0 + $1.utf8.count + 3 } })
        func text(_ s: String) { out.append(contentsOf: s.utf8) }
        text("{\"gap_m\":\(JSONValue.numberText(gapMetres)),\"distance_method\":")
        JSONValue.writeString(distanceMethod, to: &out)
        text(",\"selection\":")
        JSONValue.writeString(selection, to: &out)
        text(",\"parcel_count\":\(parcelCount),\"block_count\":\(blocks.count),\"area_method\":\"geodesic\",\"blocks\":[")
        for (i, b) in blocks.enumerated() {
            text(i > 0 ? ",\n{\"id\":\(b.id),\"parcels\":[" : "\n{\"id\":\(b.id),\"parcels\":[")
            for (m, id) in b.parcels.enumerated() {
                if m > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(id, to: &out)
            }
            text("],\"parcel_count\":\(b.parcels.count),\"area_m2\":\(fixed(b.area.squareMetres, 4)),\"area_mu\":\(fixed(b.area.mu, 6))")
            text(",\"area_ha\":\(fixed(b.area.hectares, 8)),\"overlap_m2\":\(fixed(b.overlap.squareMetres, 4))")
            text(",\"class\":" + (b.sizeClass.map { "\"\($0)\"" } ?? "null") + "}")
        }
        text("]}\n")
        return String(decoding: out, as: UTF8.self)
    }

    public func csv() -> String {
        var out = CSV.line(["block", "parcel_count", "area_m2", "area_mu", "area_ha", "overlap_m2", "class", "parcels"])
        for b in blocks {
            out += CSV.line([String(b.id), String(b.parcels.count), fixed(b.area.squareMetres, 4), fixed(b.area.mu, 6),
                             fixed(b.area.hectares, 8), fixed(b.overlap.squareMetres, 4), b.sizeClass ?? "", b.parcels.joined(separator: " ")])
        }
        return out
    }

    public func table() -> String {
        var t = TextTable(headers: ["block", "parcels", "area (m²)", "area (mu)", "area (ha)", "overlap (m²)", "class"], rightAligned: [1, 2, 3, 4, 5])
        for b in blocks {
            t.append([String(b.id), grouped(b.parcels.count), fixed(b.area.squareMetres, 2), fixed(b.area.mu, 2),
                      fixed(b.area.hectares, 4), fixed(b.overlap.squareMetres, 2), b.sizeClass ?? ""])
        }
        let big = blocks.filter { $0.area.mu >= 1000 }.count, huge = blocks.filter { $0.area.mu >= 10_000 }.count
        return """
            contiguous blocks of \(selection): \(grouped(parcelCount)) parcels in \(grouped(blocks.count)) blocks
            joined when: \(distanceMethod)
            areas: geodesic, sum of members less overlaps; 1 mu = 2000/3 m²
            blocks ≥ 1,000 mu: \(big); ≥ 10,000 mu: \(huge)


            """ + t.render()
    }
}
