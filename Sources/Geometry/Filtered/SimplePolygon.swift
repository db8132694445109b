import Foundation

/// GEOS's validity for the commonest parcel, proved without GEOS: one polygon without holes
/// whose ring is simple (no two edges meet except consecutive ones at their common vertex) is
/// valid (IsValidOp has nothing else to find in a single ring: it is closed, its coordinates
/// finite and, after repeated positions, it has at least three). Everything else (holes, several
/// parts, rings of more than `maximumEdges` edges, anything the filtered predicates do not
/// certify) is left to GEOS, which also names what is wrong.
public enum SimplePolygon {
    private struct Box { var minX, maxX, minY, maxY: Double }

    /// Beyond this many edges the pairwise test costs more than GEOS's sweep.
    static let maximumEdges = 64

    /// True only when `polygons` is certainly valid as GEOS decides validity; false means "ask
    /// GEOS", not "invalid".
    public static func isCertainlyValid(_ polygons: [Polygon]) -> Bool {
        guard polygons.count == 1, polygons[0].holes.isEmpty else { return false }
        let points = polygons[0].exterior.points
        guard points.count <= maximumEdges + 1 else { return false }
        return withUnsafeTemporaryAllocation(of: FilteredPredicates.XY.self, capacity: points.count) { ring in
            // Repeated consecutive positions dropped (GEOS ignores them too); the ring closed.
            var n = 0
            for p in points where n == 0 || ring[n - 1] != FilteredPredicates.XY(x: p.x, y: p.y) {
                guard p.x.isFinite, p.y.isFinite else { return false }
                ring[n] = FilteredPredicates.XY(x: p.x, y: p.y)
                n += 1
            }
            // n counts the closing position again: at least three distinct positions.
            guard n >= 4, ring[0] == ring[n - 1] else { return false }
            let edges = n - 1
            // Each edge's box, worked out once (in the pairs' loop, four of the eight bounds
            // were made again for every pair: the loop was a tenth of a parsing thread's time).
            return withUnsafeTemporaryAllocation(of: Box.self, capacity: edges) { boxes in
                for i in 0..<edges {
                    let (a, b) = (ring[i], ring[i + 1])
                    boxes[i] = Box(minX: min(a.x, b.x), maxX: max(a.x, b.x), minY: min(a.y, b.y), maxY: max(a.y, b.y))
                }
                for i in 0..<edges {
                    let (a, b) = (ring[i], ring[i + 1])
                    // The next edge shares b: it must leave b in another direction, or straight on.
                    let c = i + 2 <= n - 1 ? ring[i + 2] : ring[1]
                    if FilteredPredicates.orientation(a, b, c) == 0 && !FilteredPredicates.oppositeRays(b, a, c) { return false }
                    // Edges that are not neighbours must be certainly apart (the last edge and the
                    // first are neighbours: they share the closing position).
                    let e = boxes[i]
                    let last = i == 0 ? edges - 1 : edges
                    guard i + 2 < last else { continue }
                    for j in (i + 2)..<last {
                        let f = boxes[j]
                        if e.maxX < f.minX || f.maxX < e.minX || e.maxY < f.minY || f.maxY < e.minY { continue }
                        let (p, q) = (ring[j], ring[j + 1])
                        let o1 = FilteredPredicates.orientation(a, b, p), o2 = FilteredPredicates.orientation(a, b, q)
                        if o1 != 0 && o1 == o2 { continue }
                        let o3 = FilteredPredicates.orientation(p, q, a), o4 = FilteredPredicates.orientation(p, q, b)
                        if o3 != 0 && o3 == o4 { continue }
                        return false
                    }
                }
                return true
            }
        }
    }
}
