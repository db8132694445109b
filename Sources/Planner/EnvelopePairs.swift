import Geometry

extension ContiguityAnalysis {
    /// Each pair of positions whose envelopes meet (closed boxes: a shared side or corner
    /// counts), the smaller position first, each pair once, in no particular order.
    ///
    /// Through a grid of cells about the envelopes' mean size: each envelope is listed in the
    /// cells it covers, and a pair is reported by one cell only, the one holding the lower-left
    /// corner of the two envelopes' intersection (a point of both, so a cell both are listed in;
    /// its column is the larger of their first columns, since a column is a monotone function
    /// of x, and likewise its row). A sweep along x compared each envelope with every other in a
    /// strip as tall as the tile: at 32,768 parcels a tile, some 180 comparisons per neighbour
    /// found (a tenth of a contiguity command's time). Envelopes that cover many cells (a
    /// road's, a large forest's) are compared with all others directly; when there are many of
    /// them, or the coordinates are not all finite, the sweep is used.
    static func forEachEnvelopePair(_ envelopes: [Envelope], _ body: (Int, Int) -> Void) {
        guard envelopes.count >= 32, let grid = EnvelopeGrid(envelopes) else {
            sweepEnvelopePairs(envelopes, body)
            return
        }
        grid.forEachPair(body)
    }

    /// `forEachEnvelopePair` by a sweep over the envelopes sorted by their west edge (quadratic
    /// in a tall strip; for few envelopes, and whatever the grid does not take).
    static func sweepEnvelopePairs(_ envelopes: [Envelope], _ body: (Int, Int) -> Void) {
        let order = envelopes.indices.sorted { envelopes[$0].minX < envelopes[$1].minX }
        let sorted = order.map { envelopes[$0] }
        for n in sorted.indices {
            let e = sorted[n]
            var o = n + 1
            while o < sorted.count, sorted[o].minX <= e.maxX {
                if sorted[o].minY <= e.maxY && sorted[o].maxY >= e.minY { body(min(order[n], order[o]), max(order[n], order[o])) }
                o += 1
            }
        }
    }
}

/// Envelopes listed by the cells of a regular grid they cover (`ContiguityAnalysis.forEachEnvelopePair`).
struct EnvelopeGrid {
    let envelopes: [Envelope]
    let columns: Int
    /// Each envelope's first column and row (of the cell holding its lower-left corner).
    var firstColumn: [Int32] = [], firstRow: [Int32] = []
    /// The envelopes of cell c (row-major): `items[cellStart[c]..<cellStart[c + 1]]`, ascending.
    var cellStart: [Int32] = [], items: [Int32] = []
    /// The envelopes that cover more than `largeCells` cells, ascending.
    var large: [Int] = []
    var isLarge: [Bool] = []

    static let largeCells = 64

    /// nil when the grid would not pay or cannot be made: a coordinate not finite, more than
    /// 2^31 entries, or more than a sixteenth of the envelopes (and over 64) covering many cells.
    init?(_ envelopes: [Envelope]) {
        self.envelopes = envelopes
        let n = envelopes.count
        var extent = envelopes[0]
        var widths = 0.0, heights = 0.0
        for e in envelopes {
            guard e.minX.isFinite, e.minY.isFinite, e.maxX.isFinite, e.maxY.isFinite, e.minX <= e.maxX, e.minY <= e.maxY else { return nil }
            extent = extent.union(e)
            widths += e.maxX - e.minX
            heights += e.maxY - e.minY
        }
        let (spanX, spanY) = (extent.maxX - extent.minX, extent.maxY - extent.minY)
        guard spanX.isFinite, spanY.isFinite else { return nil }
        // Cells the envelopes' mean size (a point's or a line's extent gives one cell across),
        // grown so that there are at most four per envelope.
        var cellW = widths > 0 ? widths / Double(n) : max(spanX, 1)
        var cellH = heights > 0 ? heights / Double(n) : max(spanY, 1)
        while (spanX / cellW + 1) * (spanY / cellH + 1) > 4 * Double(n) {
            cellW *= 2
            cellH *= 2
        }
        let columns = Int(spanX / cellW) + 1, rows = Int(spanY / cellH) + 1
        self.columns = columns
        let (originX, originY) = (extent.minX, extent.minY)
        // Monotone in the coordinate, and clamped: a cell's edges need not be exact, only the same
        // function used for every envelope.
        func column(_ x: Double) -> Int { min(columns - 1, max(0, Int((x - originX) / cellW))) }
        func row(_ y: Double) -> Int { min(rows - 1, max(0, Int((y - originY) / cellH))) }

        var counts = [Int32](repeating: 0, count: columns * rows + 1)
        var spans: [(c0: Int, c1: Int, r0: Int, r1: Int)] = []
        spans.reserveCapacity(n)
        isLarge = [Bool](repeating: false, count: n)
        firstColumn.reserveCapacity(n)
        firstRow.reserveCapacity(n)
        var entries = 0
        for (i, e) in envelopes.enumerated() {
            let s = (c0: column(e.minX), c1: column(e.maxX), r0: row(e.minY), r1: row(e.maxY))
            spans.append(s)
            firstColumn.append(Int32(s.c0))
            firstRow.append(Int32(s.r0))
            let covered = (s.c1 - s.c0 + 1) * (s.r1 - s.r0 + 1)
            if covered > Self.largeCells {
                isLarge[i] = true
                large.append(i)
                continue
            }
            entries += covered
            for r in s.r0...s.r1 { for c in s.c0...s.c1 { counts[r * columns + c] += 1 } }
        }
        guard large.count <= max(64, n / 16), entries < Int(Int32.max) else { return nil }
        // Counting sort into the cells: starts, then each envelope into its cells in order.
        cellStart = [Int32](repeating: 0, count: columns * rows + 1)
        var total: Int32 = 0
        for c in 0..<(columns * rows) { cellStart[c] = total; total += counts[c] }
        cellStart[columns * rows] = total
        var next = cellStart
        items = [Int32](repeating: 0, count: Int(total))
        for (i, s) in spans.enumerated() where !isLarge[i] {
            for r in s.r0...s.r1 {
                for c in s.c0...s.c1 {
                    let cell = r * columns + c
                    items[Int(next[cell])] = Int32(i)
                    next[cell] += 1
                }
            }
        }
    }

    func forEachPair(_ body: (Int, Int) -> Void) {
        envelopes.withUnsafeBufferPointer { env in
            items.withUnsafeBufferPointer { items in
                firstColumn.withUnsafeBufferPointer { firstColumn in
                    firstRow.withUnsafeBufferPointer { firstRow in
                        for cell in 0..<(cellStart.count - 1) {
                            let (start, end) = (Int(cellStart[cell]), Int(cellStart[cell + 1]))
                            guard end - start > 1 else { continue }
                            let (column, row) = (Int32(cell % columns), Int32(cell / columns))
                            for s in start..<(end - 1) {
                                let a = Int(items[s]), ea = env[a]
                                for t in (s + 1)..<end {
                                    let b = Int(items[t]), eb = env[b]
                                    guard eb.minX <= ea.maxX, eb.maxX >= ea.minX, eb.minY <= ea.maxY, eb.maxY >= ea.minY,
                                          max(firstColumn[a], firstColumn[b]) == column, max(firstRow[a], firstRow[b]) == row else { continue }
                                    body(a, b) // a < b: a cell lists its envelopes ascending
                                }
                            }
                        }
                        // The large ones against every other, a pair of two large ones once.
                        for l in large {
                            let el = env[l]
                            for j in env.indices where j != l && !(isLarge[j] && j < l) {
                                let ej = env[j]
                                if ej.minX <= el.maxX && ej.maxX >= el.minX && ej.minY <= el.maxY && ej.maxY >= el.minY {
                                    body(min(l, j), max(l, j))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
