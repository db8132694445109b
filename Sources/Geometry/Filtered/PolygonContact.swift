import Foundation

/// How two valid polygonal geometries meet, decided on their coordinates alone where that can
/// be proved, as it can for neighbours in a clean coverage (a survey's parcels share their
/// boundaries vertex for vertex); everything else is left to GEOS. Validity is the caller's
/// premise, as it is GEOS's: the reader refuses invalid parcels, and `check` reports any that
/// an outside edit let in (for those neither this nor GEOS's relate is meaningful).
///
/// The proof: take both boundaries as edges directed with the interior on their left. If every
/// pair of edges, one from each, is either the same two positions in opposite directions (a
/// shared edge: the interiors lie on its two sides) or meets at most in a position both share,
/// and no edge of either that is not shared has a point inside the other, then the interiors are
/// disjoint: a point common to both interiors would make their intersection a non-empty bounded
/// open set, whose boundary (infinitely many points) could only lie on the edges, yet each edge
/// point is, nearby, outside one of the two, except at the finitely many shared vertices. Every
/// floating-point decision on the way is filtered (Shewchuk's error bound for orientations, with
/// margin; a test point kept well away from the other boundary), and a decision the filter does
/// not certify makes the pair `undecided`, never a wrong answer.
public enum PolygonContact: Sendable, Equatable {
    /// No point in common.
    case apart
    /// Boundaries meet (a shared vertex or edge), interiors disjoint: GEOS `intersects` holds and
    /// `relate` has no interior–interior intersection.
    case touching
    /// Not proved either way here (crossing edges, a vertex on the other's edge, an overlap,
    /// one inside the other, or a decision too close to call): ask GEOS.
    case undecided

    /// The contact of geometries `a` and `b` of `table`.
    public static func between(_ a: Int, _ b: Int, in table: DirectedEdges) -> PolygonContact {
        let (envA, envB) = (table.envelopes[a], table.envelopes[b])
        guard envA.intersects(envB) else { return .apart }
        let (ra, rb) = (table.ranges[a], table.ranges[b])
        return table.edges.withUnsafeBufferPointer { edges in
            // Only edges that meet the other's envelope can meet its edges or lie inside it: their
            // positions, then whether each is shared (the other's edge reversed).
            withUnsafeTemporaryAllocation(of: Int.self, capacity: ra.count + rb.count) { near in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ra.count + rb.count) { flags in
                    var n = 0
                    for i in ra where edges[i].meets(envB) { near[n] = i; flags[n] = 0; n += 1 }
                    let na = n
                    for j in rb where edges[j].meets(envA) { near[n] = j; flags[n] = 0; n += 1 }
                    var touching = false
                    for s in 0..<na {
                        let e = edges[near[s]]
                        for t in na..<n {
                            let f = edges[near[t]]
                            guard e.boxMeets(f) else { continue }
                            switch meeting(e, f) {
                            case .none: continue
                            case .sharedPosition: touching = true
                            case .sharedEdge: touching = true; flags[s] |= Flag.shared; flags[t] |= Flag.shared
                            case .undecided: return .undecided
                            }
                            // Which ends the other touches.
                            if e.from == f.from || e.from == f.to { flags[s] |= Flag.fromTouches }
                            if e.to == f.from || e.to == f.to { flags[s] |= Flag.toTouches }
                            if f.from == e.from || f.from == e.to { flags[t] |= Flag.fromTouches }
                            if f.to == e.from || f.to == e.to { flags[t] |= Flag.toTouches }
                        }
                    }
                    // Edges not shared: none may lie inside the other (one inside the other, or an
                    // overlap entered through shared vertices only). Every edge met the other's
                    // boundary at most in shared positions, so an edge joined to an edge found
                    // outside, at a position the other does not have, is outside as well (the
                    // two together never reach the other's boundary): one test a chain.
                    for s in 0..<n where flags[s] & Flag.shared == 0 {
                        let f = edges[near[s]]
                        if s != 0 && s != na && flags[s - 1] & Flag.outside != 0 {
                            let previous = edges[near[s - 1]]
                            let joinedFreely = previous.to == f.from
                                ? (flags[s - 1] & Flag.toTouches) | (flags[s] & Flag.fromTouches) == 0
                                : previous.from == f.to && (flags[s - 1] & Flag.fromTouches) | (flags[s] & Flag.toTouches) == 0
                            if joinedFreely {
                                flags[s] |= Flag.outside
                                continue
                            }
                        }
                        let middle = DirectedEdges.XY(x: f.from.x / 2 + f.to.x / 2, y: f.from.y / 2 + f.to.y / 2)
                        let other = s < na ? b : a
                        guard DirectedEdges.isCertainlyOutside(middle, edges, table.ranges[other], table.envelopes[other]) else { return .undecided }
                        flags[s] |= Flag.outside
                    }
                    return touching ? .touching : .apart
                }
            }
        }
    }

    /// What `between` knows of each edge near the other geometry.
    private enum Flag {
        /// The other has this edge reversed.
        static let shared: UInt8 = 1
        /// The other has a position equal to this edge's start, or end.
        static let fromTouches: UInt8 = 2, toTouches: UInt8 = 4
        /// Certainly outside the other (its middle tested, or joined to such an edge freely).
        static let outside: UInt8 = 8
    }

    private enum Meeting { case none, sharedPosition, sharedEdge, undecided }

    /// Two edges whose boxes meet: apart, meeting only in a position both have (or the same
    /// edge reversed), or anything else.
    private static func meeting(_ e: DirectedEdges.Edge, _ f: DirectedEdges.Edge) -> Meeting {
        let (p, q, r, s) = (e.from, e.to, f.from, f.to)
        if p == s && q == r { return .sharedEdge }
        if p == r && q == s { return .undecided } // the same edge, the interiors on one side
        // One shared end: they meet only there unless they go on along one line, one way.
        var end: (shared: DirectedEdges.XY, e: DirectedEdges.XY, f: DirectedEdges.XY)?
        if p == r { end = (p, q, s) } else if p == s { end = (p, q, r) } else if q == r { end = (q, p, s) } else if q == s { end = (q, p, r) }
        if let end {
            if FilteredPredicates.orientation(end.shared, end.e, end.f) != 0 { return .sharedPosition }
            return FilteredPredicates.oppositeRays(end.shared, end.e, end.f) ? .sharedPosition : .undecided
        }
        let o1 = FilteredPredicates.orientation(p, q, r), o2 = FilteredPredicates.orientation(p, q, s)
        if o1 != 0 && o1 == o2 { return .none }
        let o3 = FilteredPredicates.orientation(r, s, p), o4 = FilteredPredicates.orientation(r, s, q)
        if o3 != 0 && o3 == o4 { return .none }
        return .undecided
    }
}

/// The boundaries of polygonal geometries (a tile's parcels) as edges directed with each one's
/// interior on their left (exterior rings counter-clockwise, holes clockwise, whatever the
/// input's winding), all in one array, for `PolygonContact`; zero-length edges (a repeated
/// position) are left out.
public struct DirectedEdges: Sendable {
    typealias XY = FilteredPredicates.XY

    struct Edge {
        let from, to: XY
        // The edge's box, worked out where it is used: a tile's table is tens of megabytes, and
        // a neighbour's edges are read from memory; 32 bytes an edge instead of 64 is half the
        // traffic (contacts were 40 % of gap 0's time).
        @inline(__always) var minX: Double { min(from.x, to.x) }
        @inline(__always) var maxX: Double { max(from.x, to.x) }
        @inline(__always) var minY: Double { min(from.y, to.y) }
        @inline(__always) var maxY: Double { max(from.y, to.y) }

        init(from: XY, to: XY) {
            self.from = from
            self.to = to
        }

        @inline(__always) func meets(_ e: Envelope) -> Bool {
            minX <= e.maxX && maxX >= e.minX && minY <= e.maxY && maxY >= e.minY
        }

        @inline(__always) func boxMeets(_ o: Edge) -> Bool {
            minX <= o.maxX && maxX >= o.minX && minY <= o.maxY && maxY >= o.minY
        }
    }

    private(set) var edges: [Edge] = []
    /// Each geometry's edges in `edges`.
    private(set) var ranges: [Range<Int>] = []
    /// Each geometry's envelope.
    public private(set) var envelopes: [Envelope] = []

    /// An empty table with room for `edges` edges (the geometries' positions, counted).
    public init(reservingEdges edges: Int = 0) {
        self.edges.reserveCapacity(edges)
    }

    /// The table of `geometries`, numbered in their order; none may be empty.
    public init(_ geometries: [[Polygon]]) {
        for g in geometries { append(g) }
    }

    public var count: Int { ranges.count }

    /// Adds a geometry (at least one polygon) as the next number.
    public mutating func append(_ polygons: [Polygon]) {
        let start = edges.count
        var envelope = polygons[0].envelope
        // The interior on the left: an exterior counter-clockwise, a hole clockwise.
        func add(_ ring: LinearRing, exterior: Bool) {
            let forwards = (ring.signedArea > 0) == exterior
            ring.points.withUnsafeBufferPointer { points in
                for i in 0..<(points.count - 1) {
                    let (a, b) = forwards ? (points[i], points[i + 1]) : (points[i + 1], points[i])
                    guard a != b else { continue }
                    edges.append(Edge(from: XY(x: a.x, y: a.y), to: XY(x: b.x, y: b.y)))
                }
            }
        }
        for polygon in polygons {
            // The exterior, then the holes (not `rings`: an array made for each polygon).
            add(polygon.exterior, exterior: true)
            for hole in polygon.holes { add(hole, exterior: false) }
            envelope = envelope.union(polygon.envelope)
        }
        ranges.append(start..<edges.count)
        envelopes.append(envelope)
    }

    /// Is `m` outside the geometry whose edges are `range`, and far enough from every edge (1e-11
    /// of the coordinates' magnitude) that rounding cannot put it on the other side? Crossings of
    /// the ray to +x, half-open in y; false when not certain.
    static func isCertainlyOutside(_ m: XY, _ edges: UnsafeBufferPointer<Edge>, _ range: Range<Int>, _ envelope: Envelope) -> Bool {
        let scale = max(abs(m.x), abs(m.y), envelope.maxX - envelope.minX, envelope.maxY - envelope.minY)
        let margin = 1e-11 * scale
        if m.x < envelope.minX - margin || m.x > envelope.maxX + margin || m.y < envelope.minY - margin || m.y > envelope.maxY + margin {
            return true
        }
        var inside = false
        for i in range {
            let e = edges[i]
            if e.minX - margin <= m.x && e.maxX + margin >= m.x && e.minY - margin <= m.y && e.maxY + margin >= m.y
                && squaredDistance(m, e) <= margin * margin {
                return false
            }
            guard (e.from.y > m.y) != (e.to.y > m.y) else { continue }
            let o = FilteredPredicates.orientation(e.from, e.to, m)
            if o == 0 { return false }
            if (e.to.y > e.from.y) == (o > 0) { inside.toggle() }
        }
        return !inside
    }

    private static func squaredDistance(_ m: XY, _ e: Edge) -> Double {
        let dx = e.to.x - e.from.x, dy = e.to.y - e.from.y
        let t = max(0, min(1, ((m.x - e.from.x) * dx + (m.y - e.from.y) * dy) / (dx * dx + dy * dy)))
        let cx = e.from.x + t * dx - m.x, cy = e.from.y + t * dy - m.y
        return cx * cx + cy * cy
    }
}
