import Geometry
import Parcels

/// Gap 0's contact graph of a list of parcels: every pair that intersects (touches or
/// overlaps), and which of those overlap (their interiors intersect), by position in the list,
/// decided as contiguity decides them (`PolygonContact` on the coordinates, GEOS `relate` and
/// `intersects` for the pairs left undecided there).
///
/// It depends on the parcels' geometry alone, not on their states or a selection, so one graph
/// serves every selection and every gap: the parcel cache keeps it beside the parcels
/// (`ParcelCache.Entry`), and the next contiguity command on the file (another gap, PBF only,
/// other states) skips gap 0's pass over the tiles. A gap's components start from gap 0's.
public struct ParcelContacts: Sendable {
    /// The length of the list the positions refer to.
    public let parcelCount: Int
    /// Pairs (i < j) that intersect, packed `i << 32 | j`, in tile order; a pair two tiles share
    /// is listed by both.
    let intersecting: [UInt64]
    /// The pairs of `intersecting` whose interiors intersect.
    let overlapping: [UInt64]

    init(parcelCount: Int, intersecting: [UInt64], overlapping: [UInt64]) {
        (self.parcelCount, self.intersecting, self.overlapping) = (parcelCount, intersecting, overlapping)
    }

    static func pack(_ i: Int, _ j: Int) -> UInt64 { UInt64(i) << 32 | UInt64(j) }
    static func unpack(_ p: UInt64) -> (Int, Int) { (Int(p >> 32), Int(p & 0xFFFF_FFFF)) }

    /// The pairs that intersect, each once, ascending (for tests and comparisons).
    public var intersectingPairs: [(Int, Int)] { Array(Set(intersecting)).sorted().map(Self.unpack) }
    /// The pairs whose interiors intersect, each once, ascending.
    public var overlappingPairs: [(Int, Int)] { Array(Set(overlapping)).sorted().map(Self.unpack) }

    /// The contact graph of `parcels`, over the tiles on `threads` threads (each with a GEOS
    /// context of its own, GEOS copies made only for the pairs left undecided).
    public static func of(_ parcels: [Parcel], threads: Int = Cores.available, parcelsPerTile: Int? = nil) throws(LandtrackError) -> ParcelContacts {
        precondition(parcels.count <= Int(UInt32.max), "positions are packed in 32 bits")
        let envelopes = parcels.withUnsafeBufferPointer { buffer in
            ParallelInOrder.map(buffer.count, threads: threads) { ContiguityReport.envelope(of: buffer[$0].polygons) }
        }
        let threads = max(1, threads)
        let tiles = ParcelTiles(envelopes, perTile: parcelsPerTile ?? max(1, ParcelTiles.standardSize / threads))
        let workers = (0..<threads).map { _ in
            let own = GEOSContext()
            return TileWorker(ctx: own) { (i: Int) throws(LandtrackError) in try own.geometry(.multiPolygon(MultiPolygon(parcels[i].polygons))) }
        }
        var intersecting: [UInt64] = [], overlapping: [UInt64] = []
        try tiles.forEach(workers: workers, { (worker, members) throws(LandtrackError) -> (intersecting: [UInt64], overlapping: [UInt64]) in
            var tile: (intersecting: [UInt64], overlapping: [UInt64]) = ([], [])
            // Members ascend, and a pair comes smaller position first: i < j.
            let undecided = ContiguityAnalysis.contacts(members, polygons: { parcels[$0].polygons }) { k, m in
                tile.intersecting.append(pack(members[k], members[m]))
            }
            var geos = MadeOnDemand(worker, members)
            for (k, m) in undecided {
                let a = try geos.handle(k), b = try geos.handle(m)
                if try worker.ctx.relate(a, b, pattern: "T********") {
                    tile.intersecting.append(pack(members[k], members[m]))
                    tile.overlapping.append(pack(members[k], members[m]))
                } else if try worker.ctx.intersects(a, b) {
                    tile.intersecting.append(pack(members[k], members[m]))
                }
            }
            return tile
        }, deliver: { (tile: (intersecting: [UInt64], overlapping: [UInt64])) in
            intersecting += tile.intersecting
            overlapping += tile.overlapping
        })
        return ParcelContacts(parcelCount: parcels.count, intersecting: intersecting, overlapping: overlapping)
    }

    /// Gap 0's components among the parcels at `positions`, as `contactComponents` finds them:
    /// lists of indices into `positions` (two joined when a pair of the graph has both), each
    /// ascending, ordered by their first; `marked` the indices of parcels of overlapping pairs.
    func components(of positions: [Int]) -> (components: [[Int]], marked: [Int]) {
        var index = [Int32](repeating: -1, count: parcelCount)
        for (k, i) in positions.enumerated() { index[i] = Int32(k) }
        var joined = UnionFind(count: positions.count)
        var marked: [Int] = []
        index.withUnsafeBufferPointer { index in
            for p in intersecting {
                let (i, j) = Self.unpack(p)
                let (a, b) = (index[i], index[j])
                if a >= 0 && b >= 0 { joined.join(Int(a), Int(b)) }
            }
            for p in overlapping {
                let (i, j) = Self.unpack(p)
                let (a, b) = (index[i], index[j])
                if a >= 0 && b >= 0 { marked += [Int(a), Int(b)] }
            }
        }
        return (joined.groups([Bool](repeating: true, count: positions.count)), marked)
    }
}
