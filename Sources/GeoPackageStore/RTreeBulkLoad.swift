import Foundation
import GRDB

/// A GeoPackage spatial index (SQLite's rtree module, `rtree(id, minx, maxx, miny, maxy)`) built
/// in one pass from all its envelopes and written straight into the rtree's three shadow tables,
/// as GDAL does since 3.8 for the same reason: SQLite has no bulk load, and inserting a hundred
/// thousand envelopes one by one through the module (ChooseSubtree, R* splits and forced
/// reinsertion, a node blob rewritten each time) took a quarter of a first import.
///
/// The tree is packed by Sort-Tile-Recursive (Leutenegger et al. 1997): envelopes sorted by the
/// x of their centres, cut into vertical slices, each slice sorted by y and cut into full nodes;
/// the same again one level up until one node, the root, is left. The shadow tables are the
/// module's own format (documented at the top of SQLite's `ext/rtree/rtree.c`):
/// - `%_node(nodeno INTEGER PRIMARY KEY, data BLOB)`: the root is node 1; a node's blob has
///   the module's node size (read from the empty root: the module fixed it at CREATE), its
///   first two bytes the tree's depth (root only), the next two its cell count, then cells of
///   a big-endian 64-bit id (a row id in a leaf, a child node number above) and four big-endian
///   32-bit floats, minx maxx miny maxy;
/// - `%_rowid(rowid INTEGER PRIMARY KEY, nodeno)`: each row id's leaf;
/// - `%_parent(nodeno INTEGER PRIMARY KEY, parentnode)`: each non-root node's parent.
/// Coordinates are rounded outwards to 32-bit floats exactly as the module rounds what is
/// inserted through it, so a query finds what it would have found (tests compare both).
struct RTreeBulkLoad {
    /// One envelope, rounded to the floats the module stores.
    struct Box: Equatable {
        var minX, maxX, minY, maxY: Float

        /// The module's rounding (`rtreeValueDown` / `rtreeValueUp`): the nearest float, moved
        /// outwards by a relative 2⁻²³ when the nearest lies inside the double.
        init(minX: Double, maxX: Double, minY: Double, maxY: Double) {
            self.minX = Self.down(minX)
            self.maxX = Self.up(maxX)
            self.minY = Self.down(minY)
            self.maxY = Self.up(maxY)
        }

        init(floats minX: Float, _ maxX: Float, _ minY: Float, _ maxY: Float) {
            (self.minX, self.maxX, self.minY, self.maxY) = (minX, maxX, minY, maxY)
        }

        static let towardsZero = 1.0 - 1.0 / 8_388_608.0
        static let awayFromZero = 1.0 + 1.0 / 8_388_608.0

        static func down(_ d: Double) -> Float {
            let f = Float(d)
            return Double(f) > d ? Float(d * (d < 0 ? awayFromZero : towardsZero)) : f
        }

        static func up(_ d: Double) -> Float {
            let f = Float(d)
            return Double(f) < d ? Float(d * (d < 0 ? towardsZero : awayFromZero)) : f
        }

        func union(_ o: Box) -> Box {
            Box(floats: Swift.min(minX, o.minX), Swift.max(maxX, o.maxX), Swift.min(minY, o.minY), Swift.max(maxY, o.maxY))
        }

        var centreX: Float { minX / 2 + maxX / 2 }
        var centreY: Float { minY / 2 + maxY / 2 }
    }

    /// A cell: a row id and its envelope in a leaf, a child's position in the level below and
    /// the union of its cells above.
    struct Cell {
        var id: Int64
        var box: Box
    }

    /// The tree's nodes, level by level from the leaves up (the last level is the root alone);
    /// an upper level's cell ids are positions in the level below.
    let levels: [[[Cell]]]
    /// Bytes of a node blob.
    let nodeBytes: Int

    static let bytesPerCell = 8 + 4 * 4

    /// Packs `entries` (row ids with their envelopes) into nodes of `nodeBytes`.
    init(_ entries: [Cell], nodeBytes: Int) {
        self.nodeBytes = nodeBytes
        let capacity = (nodeBytes - 4) / Self.bytesPerCell
        var levels = [Self.pack(entries, capacity: capacity)]
        while levels[levels.count - 1].count > 1 {
            let below = levels[levels.count - 1]
            let cells = below.indices.map { Cell(id: Int64($0), box: below[$0].dropFirst().reduce(below[$0][0].box) { $0.union($1.box) }) }
            levels.append(Self.pack(cells, capacity: capacity))
        }
        self.levels = levels
    }

    /// Sort-Tile-Recursive: ⌈√(nodes)⌉ vertical slices of whole nodes, each sorted by y.
    static func pack(_ cells: [Cell], capacity: Int) -> [[Cell]] {
        guard cells.count > capacity else { return [cells] }
        let nodes = (cells.count + capacity - 1) / capacity
        let slices = Int(Double(nodes).squareRoot().rounded(.up))
        let perSlice = slices * capacity
        // Cells whose ids are their positions from the first's (a first import's rows, every
        // level above) are sorted as integers: the key's bits made to order as the floats do,
        // the position (so the id) below them. Comparing floats and ids in a closure took a
        // million-parcel import's writer 0.2 s, with the other core idle.
        let consecutive = cells.count < 1 << 32 && cells.indices.allSatisfy { cells[$0].id &- cells[0].id == Int64($0) && cells[$0].id >= cells[0].id }
        func sorted(_ positions: ArraySlice<Int>, by key: (Box) -> Float) -> [Int] {
            guard consecutive else {
                return positions.sorted { a, b in
                    let (ka, kb) = (key(cells[a].box), key(cells[b].box))
                    return ka != kb ? ka < kb : cells[a].id < cells[b].id
                }
            }
            var keys = positions.map { UInt64(orderedBits(key(cells[$0].box))) << 32 | UInt64($0) }
            keys.sort()
            return keys.map { Int($0 & 0xFFFF_FFFF) }
        }
        let byX = sorted(Array(cells.indices)[...], by: \.centreX)
        var out: [[Cell]] = []
        out.reserveCapacity(nodes)
        for start in stride(from: 0, to: byX.count, by: perSlice) {
            let slice = sorted(byX[start..<min(start + perSlice, byX.count)], by: \.centreY)
            for s in stride(from: 0, to: slice.count, by: capacity) {
                out.append(slice[s..<min(s + capacity, slice.count)].map { cells[$0] })
            }
        }
        return out
    }

    /// The bits of `f` as an integer that orders as the floats do (-0 as 0; no NaN in a box).
    static func orderedBits(_ f: Float) -> UInt32 {
        let bits = (f + 0).bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    /// The union of every box in the tree (the root's cells'); nil for no cells.
    var extent: Box? {
        guard let root = levels.last?.first, let first = root.first else { return nil }
        return root.dropFirst().reduce(first.box) { $0.union($1.box) }
    }

    /// The tree's depth: 0 when the root is a leaf.
    var depth: Int { levels.count - 1 }

    /// A node's number: the root is 1, then each level from the top down.
    func nodeNumber(level: Int, position: Int) -> Int64 {
        var base: Int64 = 1
        for l in stride(from: levels.count - 1, to: level, by: -1) { base += Int64(levels[l].count) }
        return base + Int64(position)
    }

    /// A node's blob, in the module's format.
    func blob(level: Int, position: Int, childBase: Int64) -> [UInt8] {
        let cells = levels[level][position]
        var bytes = [UInt8](repeating: 0, count: nodeBytes)
        if level == levels.count - 1 { Self.put(UInt16(depth), at: 0, in: &bytes) }
        Self.put(UInt16(cells.count), at: 2, in: &bytes)
        var at = 4
        for cell in cells {
            Self.put(UInt64(bitPattern: level == 0 ? cell.id : childBase + cell.id), at: at, in: &bytes)
            Self.put(cell.box.minX.bitPattern, at: at + 8, in: &bytes)
            Self.put(cell.box.maxX.bitPattern, at: at + 12, in: &bytes)
            Self.put(cell.box.minY.bitPattern, at: at + 16, in: &bytes)
            Self.put(cell.box.maxY.bitPattern, at: at + 20, in: &bytes)
            at += Self.bytesPerCell
        }
        return bytes
    }

    private static func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
        var v = value.bigEndian
        withUnsafeBytes(of: &v) { for (k, b) in $0.enumerated() { bytes[offset + k] = b } }
    }

    /// Leaf rows (one per parcel) inserted at once.
    static let rowsPerInsert = 64

    /// Writes the tree into the shadow tables of `rtree` (which must be empty: its root has no
    /// cells), in the caller's transaction.
    func write(_ db: Database, rtree: String) throws {
        guard levels[0].contains(where: { !$0.isEmpty }) else { return }
        let node = try BoundStatement(db, sql: "INSERT OR REPLACE INTO \"\(rtree)_node\" (nodeno, data) VALUES (?, ?)")
        let parent = try BoundStatement(db, sql: "INSERT INTO \"\(rtree)_parent\" (nodeno, parentnode) VALUES (?, ?)")
        var rowids = RowsInsert(db, into: "\(rtree)_rowid", columns: ["rowid", "nodeno"])
        // Row ids with their leaves in id order (the tables' B-trees grow at their ends).
        var leafOf: [(rowid: Int64, node: Int64)] = []
        for level in stride(from: levels.count - 1, through: 0, by: -1) {
            let childBase = level > 0 ? nodeNumber(level: level - 1, position: 0) : 0
            for position in levels[level].indices {
                let number = nodeNumber(level: level, position: position)
                try node.bind(1, number)
                try node.bind(2, blob: blob(level: level, position: position, childBase: childBase))
                _ = try node.run()
                if level == 0 {
                    for cell in levels[0][position] { leafOf.append((cell.id, number)) }
                } else {
                    for cell in levels[level][position] {
                        try parent.bind(1, childBase + cell.id)
                        try parent.bind(2, number)
                        _ = try parent.run()
                    }
                }
            }
        }
        // In row id order: placed by id when the ids are consecutive (a first import's), else
        // sorted (a closure sort of a million pairs was 0.1 s of a first import's end).
        if let first = leafOf.lazy.map(\.rowid).min(), let last = leafOf.lazy.map(\.rowid).max(),
           case let (span, overflow) = last.subtractingReportingOverflow(first), !overflow, span == Int64(leafOf.count - 1) {
            var byID = [(rowid: Int64, node: Int64)](repeating: (0, 0), count: leafOf.count)
            for leaf in leafOf { byID[Int(leaf.rowid - first)] = leaf }
            leafOf = byID
        } else {
            leafOf.sort { $0.rowid < $1.rowid }
        }
        // A row for each parcel: `rowsPerInsert` to a statement (a statement's own work was most
        // of a row's).
        for start in stride(from: 0, to: leafOf.count, by: Self.rowsPerInsert) {
            try rowids.run(leafOf[start..<min(start + Self.rowsPerInsert, leafOf.count)]) { leaf, row in
                try row.bind(1, leaf.rowid)
                try row.bind(2, leaf.node)
            }
        }
    }
}
