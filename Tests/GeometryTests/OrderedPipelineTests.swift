import Foundation
import Testing
@testable import Geometry

/// Inputs made on the calling thread come back transformed in their order, however long each
/// takes; the caller never gets more than a window ahead of the threads; a pipeline given up
/// without `finish` lets its threads go.
@Suite("Ordered pipeline")
struct OrderedPipelineTests {
    /// Counts inputs submitted and not yet taken by a thread.
    final class Waiting: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        private(set) var most = 0
        private(set) var threads = Set<UInt>()
        func submitted() { lock.lock(); count += 1; most = max(most, count); lock.unlock() }
        private(set) var takenCount = 0
        func taken() { lock.lock(); count -= 1; takenCount += 1; threads.insert(UInt(pthread_self())); lock.unlock() }
    }

    @Test(arguments: [0, 1, 2, 3]) func outputsComeInInputOrder(threads: Int) {
        let waiting = Waiting()
        let pipeline = OrderedPipeline<Int, Int>(threads: threads, window: 3) { k in
            waiting.taken()
            // Later inputs are quicker: without the ordering they would overtake.
            usleep(UInt32(200 - k) * 5)
            return k * k
        }
        for k in 0..<200 {
            waiting.submitted()
            pipeline.submit(k)
        }
        #expect(pipeline.finish() == (0..<200).map { $0 * $0 })
        if threads > 1 {
            #expect(waiting.most <= 3 + 1 + threads, "a window of 3 (and one being handed over, one being taken by each thread)")
            #expect(!waiting.threads.contains(UInt(pthread_self())) && waiting.threads.count == threads)
        } else {
            #expect(waiting.threads == [UInt(pthread_self())], "no threads: on the calling thread")
        }
    }

    @Test func nothingSubmittedIsNothingOut() {
        #expect(OrderedPipeline<Int, Int>(threads: 2) { $0 }.finish().isEmpty)
    }

    /// A caller that throws between submits drops the pipeline without `finish`: what its
    /// threads were given is still transformed, and they have ended, by the time it is gone.
    @Test func aPipelineGivenUpLetsItsThreadsGo() {
        let done = Waiting()
        do {
            let pipeline = OrderedPipeline<Int, Int>(threads: 2, window: 2) { k in
                usleep(20_000)
                done.taken()
                return k
            }
            for k in 0..<5 { done.submitted(); pipeline.submit(k) }
        }
        #expect(done.takenCount == 5)
    }
}
