import Foundation
import Geometry

/// Items cut into the tiles of a grid over their envelopes, so that GEOS holds the geometries
/// of one tile at a time instead of a million. An item is in every tile its envelope, grown
/// by the margin, meets: two items that share a point are both in the tile of that point, and
/// two within the margin of each other are both in the tile of the middle of their shortest
/// segment, so every such pair meets in some tile.
public struct ParcelTiles: Sendable {
    /// Items in GEOS at once aimed at, one tile of this size on one thread or a share of it on
    /// each of several: about 45 MB of GEOS geometries for the generated parcels. Smaller tiles
    /// hold less but cost more: a block cut by tiles is checked piece by piece, and memory freed
    /// and reused is slower to allocate than fresh (at 1M parcels on one thread, 16k a tile took
    /// 40 % longer; on two threads, 32k a tile each was as fast as 64k and held 80 MB less).
    public static let standardSize = 65_536

    /// Each tile's items, ascending; tiles without items are left out.
    public private(set) var tiles: [[Int]] = []

    /// `envelopes` in one coordinate system (nil: an item without a position, in no tile);
    /// `marginX`/`marginY` in its units.
    public init(_ envelopes: [Envelope?], marginX: Double = 0, marginY: Double = 0, perTile: Int = ParcelTiles.standardSize) {
        var extent: Envelope?
        var count = 0
        for e in envelopes {
            guard let e else { continue }
            extent = extent.map { $0.union(e) } ?? e
            count += 1
        }
        guard let extent else { return }
        let width = extent.maxX - extent.minX, height = extent.maxY - extent.minY
        let wanted = max(1, (count + perTile - 1) / max(1, perTile))
        // Cells about square in the data's units: columns by the extent's aspect.
        var columns = 1, rows = 1
        if width > 0 && height > 0 {
            columns = max(1, min(wanted, Int((Double(wanted) * width / height).squareRoot().rounded())))
            rows = max(1, (wanted + columns - 1) / columns)
        } else if width > 0 {
            columns = wanted
        } else if height > 0 {
            rows = wanted
        }
        // The same monotone function for every coordinate: a point between two envelopes'
        // minimum and maximum falls in a cell between theirs.
        func cell(_ v: Double, _ origin: Double, _ size: Double, _ n: Int) -> Int {
            guard n > 1, size > 0 else { return 0 }
            let t = (v - origin) / size
            guard t >= 0 else { return 0 }
            return t >= Double(n - 1) ? n - 1 : Int(t)
        }
        let cellWidth = width / Double(columns), cellHeight = height / Double(rows)
        var cells = [[Int]](repeating: [], count: columns * rows)
        for (i, e) in envelopes.enumerated() {
            guard let e else { continue }
            let c0 = cell(e.minX - marginX, extent.minX, cellWidth, columns), c1 = cell(e.maxX + marginX, extent.minX, cellWidth, columns)
            let r0 = cell(e.minY - marginY, extent.minY, cellHeight, rows), r1 = cell(e.maxY + marginY, extent.minY, cellHeight, rows)
            for r in r0...r1 {
                for c in c0...c1 { cells[r * columns + c].append(i) }
            }
        }
        tiles = cells.filter { !$0.isEmpty }
    }

    /// Each tile's items with their GEOS geometries, made by `geometry` for the tile and freed
    /// after `body` returns.
    public func forEach(_ geometry: (Int) throws(LandtrackError) -> GEOSGeometryHandle,
                        _ body: ([Int], [GEOSGeometryHandle]) throws(LandtrackError) -> Void) throws(LandtrackError) {
        for members in tiles {
            var handles: [GEOSGeometryHandle] = []
            handles.reserveCapacity(members.count)
            for i in members { handles.append(try geometry(i)) }
            try body(members, handles)
        }
    }

    /// Each tile on one of the workers' threads (`ParallelInOrder`), `body` making whatever GEOS
    /// geometries it needs with the worker, `deliver` receiving what it gives on the calling
    /// thread in tile order.
    public func forEach<Output>(workers: [TileWorker],
                                _ body: (TileWorker, [Int]) throws(LandtrackError) -> Output,
                                deliver: (Output) throws(LandtrackError) -> Void) throws(LandtrackError) {
        try ParallelInOrder.forEach(tiles.indices, workers: workers, body: { (worker: inout TileWorker, t: Int) -> Result<Output, LandtrackError> in
            do throws(LandtrackError) { return .success(try body(worker, tiles[t])) } catch { return .failure(error) }
        }, deliver: { (outcome: Result<Output, LandtrackError>) throws(LandtrackError) in try deliver(outcome.get()) })
    }

    /// Each tile on one of the workers' threads (`ParallelInOrder`): its items' geometries made
    /// by the worker, `body` computing what the tile gives there, `deliver` receiving it on the
    /// calling thread in tile order. Each thread's GEOS copies are freed before it takes the
    /// next tile, so GEOS holds a tile per thread.
    public func forEach<Output>(workers: [TileWorker],
                                _ body: (TileWorker, [Int], [GEOSGeometryHandle]) throws(LandtrackError) -> Output,
                                deliver: (Output) throws(LandtrackError) -> Void) throws(LandtrackError) {
        try ParallelInOrder.forEach(tiles.indices, workers: workers, body: { (worker: inout TileWorker, t: Int) -> Result<Output, LandtrackError> in
            do throws(LandtrackError) {
                let members = tiles[t]
                var handles: [GEOSGeometryHandle] = []
                handles.reserveCapacity(members.count)
                for i in members { handles.append(try worker.geometry(i)) }
                return .success(try body(worker, members, handles))
            } catch {
                return .failure(error)
            }
        }, deliver: { (outcome: Result<Output, LandtrackError>) throws(LandtrackError) in try deliver(outcome.get()) })
    }
}

/// The GEOS copies of a tile's members that are asked for, each made once by the worker (in
/// its context) on first use and freed with the tile: the pairs GEOS must settle are few.
struct MadeOnDemand {
    private let worker: TileWorker
    private let members: [Int]
    private var made: [Int: GEOSGeometryHandle] = [:]

    init(_ worker: TileWorker, _ members: [Int]) {
        self.worker = worker
        self.members = members
    }

    /// The geometry of the member at position `k`.
    mutating func handle(_ k: Int) throws(LandtrackError) -> GEOSGeometryHandle {
        if let h = made[k] { return h }
        let h = try worker.geometry(members[k])
        made[k] = h
        return h
    }
}

/// What one thread of a tiled analysis has of its own: a GEOS context, the maker of an item's
/// geometry in that context (in the plane the analysis measures in), and barriers prepared in
/// it. Nothing of it is shared with another thread.
public struct TileWorker {
    public let ctx: GEOSContext
    public let geometry: (Int) throws(LandtrackError) -> GEOSGeometryHandle
    public let barriers: GEOSPreparedGeometry?
    /// For a positive gap without barriers: whether items i and j are within the gap, decided
    /// without GEOS where that is proved (`GaussKrugerGap`); `.undecided` pairs go to GEOS.
    public let gapDecision: ((Int, Int) -> GaussKrugerGap.Decision)?

    public init(ctx: GEOSContext, barriers: GEOSPreparedGeometry? = nil, gapDecision: ((Int, Int) -> GaussKrugerGap.Decision)? = nil,
                geometry: @escaping (Int) throws(LandtrackError) -> GEOSGeometryHandle) {
        self.ctx = ctx
        self.barriers = barriers
        self.gapDecision = gapDecision
        self.geometry = geometry
    }
}
