import Foundation
import Testing
@testable import Geometry

/// Work shared out between threads comes back in order, never more than a window ahead, and
/// a caller that stops stops the threads.
@Suite("Parallel in order")
struct ParallelInOrderTests {
    @Test(arguments: [1, 2, 3]) func resultsArriveInOrderFromEveryThread(threads: Int) {
        let outstanding = InFlight()  // results computed and not yet delivered
        var got: [Int] = []
        var seenThreads = Set<UInt>()
        ParallelInOrder.forEach(0..<300, workers: Array(repeating: 0, count: threads), window: 5, body: { (calls: inout Int, k: Int) -> (Int, UInt) in
            calls += 1
            // Later items are quicker: without the ordering they would overtake.
            usleep(UInt32(300 - k) * 3)
            outstanding.began()
            return (k * k, UInt(pthread_self()))
        }, deliver: { (value: (Int, UInt)) in
            outstanding.end()
            got.append(value.0)
            seenThreads.insert(value.1)
        })
        #expect(got == (0..<300).map { $0 * $0 })
        #expect(outstanding.most <= 5 + 1, "a window of 5 (and one being handed over)")
        #expect(seenThreads.count == threads)
        #expect(seenThreads.contains(UInt(pthread_self())) == (threads == 1), "a single worker works on the calling thread")
    }

    struct Stop: Error, Equatable {}

    @Test func aDeliverThatThrowsStopsTheThreads() {
        let computed = InFlight()
        var delivered = 0
        #expect(throws: Stop.self) {
            try ParallelInOrder.forEach(0..<10_000, workers: [0, 0], window: 4, body: { (_: inout Int, k: Int) -> Int in
                computed.began()
                return k
            }, deliver: { (k: Int) throws(Stop) in
                delivered += 1
                if k == 20 { throw Stop() }
            })
        }
        #expect(delivered == 21)
        // The threads stopped within a window of where delivery stopped, not at the end.
        #expect(computed.most < 40)
    }

    /// `map` is the plain map, whatever the threads and wherever the chunks end (class
    /// instances: an element left unwritten would crash, not pass).
    @Test(arguments: [1, 2, 3]) func mapIsThePlainMap(threads: Int) {
        final class Box: Sendable { let value: Int; init(_ value: Int) { self.value = value } }
        for count in [0, 1, 15, 16, 17, 48, 100] {
            let mapped = ParallelInOrder.map(count, threads: threads, chunk: 16) { Box($0 * 7) }
            #expect(mapped.map(\.value) == (0..<count).map { $0 * 7 }, "\(count) items")
        }
    }
}
