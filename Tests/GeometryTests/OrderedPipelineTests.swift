import Foundation
import Testing
@testable import Geometry

/// Inputs made on the calling thread come back transformed in their order, however long each
/// takes; the caller never gets more than a window ahead of the threads; a pipeline given up
/// without `finish` lets its threads go.
@Suite("Ordered pipeline")
struct OrderedPipelineTests {
    @Test(arguments: [0, 1, 2, 3]) func outputsComeInInputOrder(threads: Int) {
        let waiting = InFlight()  // inputs submitted and not yet taken by a thread
        let pipeline = OrderedPipeline<Int, Int>(threads: threads, window: 3) { k in
            waiting.end()
            // Later inputs are quicker: without the ordering they would overtake.
            usleep(UInt32(200 - k) * 5)
            return k * k
        }
        for k in 0..<200 {
            waiting.began()
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
        let done = InFlight()
        do {
            let pipeline = OrderedPipeline<Int, Int>(threads: 2, window: 2) { k in
                usleep(20_000)
                done.end()
                return k
            }
            for k in 0..<5 { done.began(); pipeline.submit(k) }
        }
        #expect(done.ended == 5)
    }
}
