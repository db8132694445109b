import Testing
@testable import Parcels
import TestSupport

/// The duplicate-id register answers as a dictionary of first uses would, whatever the hashes:
/// ids whose hashes collide (given here on purpose) stay apart, and entries survive its growth.
@Suite("First feature by id")
struct FirstFeatureByIDTests {
    /// `hashOf` maps an id to the hash handed in: the real one, or one that makes collisions.
    func expectSameAsADictionary(_ ids: [String], expected: Int = 0, hashOf: (String) -> Int, sourceLocation: SourceLocation = #_sourceLocation) {
        var register = FirstFeatureByID(expected: expected)
        var truth: [String: Int] = [:]
        for (n, id) in ids.enumerated() {
            let index = n + 1
            let answer = register.firstIndex(of: id, hash: hashOf(id), featureIndex: index)
            #expect(answer == truth[id], "id \(id) at feature \(index)", sourceLocation: sourceLocation)
            if truth[id] == nil { truth[id] = index }
        }
    }

    /// 5,000 ids (past several doublings of the 1,024 slots), each used a second and third time
    /// later, in a shuffled order.
    static func ids(seed: UInt64) -> [String] {
        var generator = SplitMix(seed: seed)
        let distinct = (0..<5_000).map { "NH-\($0)" }
        return (distinct + distinct.prefix(700) + distinct.suffix(300)).shuffled(using: &generator)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func answersAsADictionaryWithRealHashes(seed: UInt64) {
        expectSameAsADictionary(Self.ids(seed: seed), hashOf: { $0.hashValue })
    }

    /// Made room for the ids a read expects (as many, fewer: it still grows, more), and with the
    /// colliding hashes: the same answers.
    @Test(arguments: [1, 3_000, 6_000, 50_000])
    func answersAsADictionaryWhenMadeRoomFor(expected: Int) {
        expectSameAsADictionary(Self.ids(seed: 4), expected: expected, hashOf: { $0.hashValue })
        expectSameAsADictionary(Self.ids(seed: 5), expected: expected, hashOf: { $0.utf8.reduce(0) { $0 &+ Int($1) } % 7 })
    }

    /// Every id's hash one of 7 values: the same high bits in every slot, long probes, ids told
    /// apart only by their text.
    @Test(arguments: [1, 2] as [UInt64])
    func collidingHashesStayApart(seed: UInt64) {
        expectSameAsADictionary(Self.ids(seed: seed), hashOf: { $0.utf8.reduce(0) { $0 &+ Int($1) } % 7 })
    }

    /// Hashes equal in their high 32 bits and different below: the slot's tag agrees, the
    /// full hash does not.
    @Test func equalTagsDifferentHashes() {
        expectSameAsADictionary(Self.ids(seed: 9), hashOf: { Int(bitPattern: 0xABCD_0000_0000_0000) | ($0.hashValue & 0xFFFF) })
    }

    /// Ids in ascending order are only listed; the first that is not (a repeat, an earlier id,
    /// one that is not ASCII) builds the table, after which every earlier id is found: repeats
    /// of the very last id, of the first, and ids that are prefixes of others.
    @Test(arguments: [0, 100, 5_000])
    func ascendingIdsThenRepeats(expected: Int) {
        let sorted = (0..<3_000).map { "NH-" + String(repeating: "0", count: 6 - String($0).count) + String($0) }
        expectSameAsADictionary(sorted + ["NH-000000", "NH-002999", "NH-001500", "NH-003000", "NH-001500"], expected: expected, hashOf: { $0.hashValue })
        expectSameAsADictionary(sorted + ["NH-002999"], expected: expected, hashOf: { $0.hashValue })
        expectSameAsADictionary(["A", "AB", "ABC", "AB", "B", "A"], expected: expected, hashOf: { $0.hashValue })
        expectSameAsADictionary(["A", "AB", "ABC", "AB", "B", "A"], expected: expected, hashOf: { $0.utf8.reduce(0) { $0 &+ Int($1) } % 7 })
    }

    /// Unicode's equality, not the bytes': the Kelvin sign (U+212A, bytes after "K") is "K" to
    /// `String`, and so a repeat; and an id in decomposed form repeats its composed spelling.
    @Test func idsEqualAsTextButNotAsBytes() {
        expectSameAsADictionary(["A", "K", "\u{212A}", "L"], hashOf: { $0.hashValue })
        expectSameAsADictionary(["caf\u{E9}", "cafe\u{301}", "cafz"], hashOf: { $0.hashValue })
        #expect("K" == "\u{212A}", "the premise: String equality is canonical equivalence")
    }
}
