import PropertyBased
import Testing
import Geometry
@testable import Planner
import TestSupport

/// `ContiguityAnalysis.forEachEnvelopePair` against the definition, every pair compared: the
/// pairs whose closed envelopes meet, each once, the smaller position first.
@Suite struct EnvelopePairsTests {
    /// The pairs by comparing every two envelopes.
    static func everyPairCompared(_ envelopes: [Envelope]) -> [Pair] {
        var pairs: [Pair] = []
        for a in envelopes.indices {
            for b in (a + 1)..<envelopes.count {
                let (p, q) = (envelopes[a], envelopes[b])
                if p.minX <= q.maxX && q.minX <= p.maxX && p.minY <= q.maxY && q.minY <= p.maxY { pairs.append(Pair(a: a, b: b)) }
            }
        }
        return pairs
    }

    struct Pair: Hashable, Comparable {
        var a, b: Int
        static func < (l: Pair, r: Pair) -> Bool { (l.a, l.b) < (r.a, r.b) }
    }

    static func found(_ envelopes: [Envelope]) -> [Pair] {
        var pairs: [Pair] = []
        ContiguityAnalysis.forEachEnvelopePair(envelopes) { pairs.append(Pair(a: $0, b: $1)) }
        return pairs
    }

    /// Parcel-like boxes on a jittered lattice whose neighbours share sides exactly, with points,
    /// lines, copies of others and a few boxes across much of the extent among them.
    static func parcelLike(count: Int, large: Int, using rng: inout SplitMix) -> [Envelope] {
        let side = 0.0001 * Double.random(in: 0.5...2, using: &rng)
        let across = Int(Double(count).squareRoot()) + 1
        var envelopes: [Envelope] = []
        for i in 0..<count {
            let (x, y) = (113.0 + Double(i % across) * side, 22.9 + Double(i / across) * side)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: envelopes.append(Envelope(minX: x, minY: y, maxX: x, maxY: y)) // a point, on a corner
            case 1: envelopes.append(Envelope(minX: x, minY: y, maxX: x + side, maxY: y)) // a line, on a side
            case 2 where !envelopes.isEmpty: envelopes.append(envelopes.randomElement(using: &rng)!) // a copy
            case 3: // Off the lattice, up to three cells across.
                let w = side * Double.random(in: 0...3, using: &rng), h = side * Double.random(in: 0...3, using: &rng)
                envelopes.append(Envelope(minX: x - w / 2, minY: y - h / 2, maxX: x + w / 2, maxY: y + h / 2))
            default: envelopes.append(Envelope(minX: x, minY: y, maxX: x + side, maxY: y + side))
            }
        }
        for _ in 0..<large {
            let k = Int.random(in: 0..<count, using: &rng)
            let e = envelopes[k]
            envelopes[k] = Envelope(minX: e.minX, minY: e.minY, maxX: e.minX + side * Double(across) * Double.random(in: 0.3...1.2, using: &rng),
                                    maxY: e.minY + side * Double.random(in: 1...20, using: &rng))
        }
        return envelopes
    }

    @Test func theGridFindsEveryMeetingPairOnce() async {
        await checkProperty(count: 40, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let count = Int.random(in: 32...1500, using: &rng)
            let envelopes = Self.parcelLike(count: count, large: Int.random(in: 0...4, using: &rng), using: &rng)
            // The grid is what is tested here, not the sweep it falls back to.
            let gridMade = EnvelopeGrid(envelopes) != nil
            #expect(gridMade)
            let found = Self.found(envelopes)
            #expect(found.allSatisfy { $0.a < $0.b })
            #expect(Set(found).count == found.count, "a pair reported twice")
            #expect(found.sorted() == Self.everyPairCompared(envelopes))
        }
    }

    /// Where the grid does not pay (few envelopes, many across much of the extent) or cannot be
    /// made (an infinite coordinate) the sweep answers, and the same; a few across the extent are
    /// compared with every other; envelopes all at one point make a grid of one cell.
    @Test(arguments: ["few", "many across", "some across", "infinite", "all one point"]) func degenerateSetsGiveTheSamePairs(_ shape: String) {
        var rng = SplitMix(seed: 20261203)
        var envelopes: [Envelope]
        /// Unit boxes on a lattice, and `big` boxes 100 across among them.
        func boxes(big: Int) -> [Envelope] {
            var e: [Envelope] = []
            for i in 0..<1500 {
                let (x, y): (Double, Double) = (Double(i % 40) * 1.5, Double(i / 40) * 1.5)
                e.append(Envelope(minX: x, minY: y, maxX: x + 1, maxY: y + 1))
            }
            for _ in 0..<big {
                let (x, y) = (Double.random(in: 0...60, using: &rng), Double.random(in: 0...60, using: &rng))
                e.append(Envelope(minX: x - 50, minY: y - 50, maxX: x + 50, maxY: y + 50))
            }
            return e
        }
        switch shape {
        case "few": envelopes = Self.parcelLike(count: 31, large: 2, using: &rng)
        case "many across": envelopes = boxes(big: 150)
        case "some across": envelopes = boxes(big: 20)
        case "infinite":
            envelopes = Self.parcelLike(count: 400, large: 0, using: &rng)
            envelopes[7].maxX = .infinity
        default: envelopes = Array(repeating: Envelope(minX: 113, minY: 23, maxX: 113, maxY: 23), count: 50)
        }
        let grid = EnvelopeGrid(envelopes)
        switch shape {
        case "many across", "infinite": #expect(grid == nil)
        case "some across": #expect(grid?.large.count == 20)
        case "all one point": #expect(grid?.large.isEmpty == true)
        default: break
        }
        let found = Self.found(envelopes)
        #expect(Set(found).count == found.count, "a pair reported twice")
        #expect(found.sorted() == Self.everyPairCompared(envelopes))
        #expect(!found.isEmpty)
    }
}
