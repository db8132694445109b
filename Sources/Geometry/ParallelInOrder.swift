import Foundation
import CGEOS

/// How many threads landtrack's parallel work uses: one per core, or `LANDTRACK_THREADS`
/// (1 keeps everything on the calling thread; benchmarks compare the two).
public enum Cores {
    public static var available: Int {
        if let text = ProcessInfo.processInfo.environment["LANDTRACK_THREADS"], let n = Int(text), n >= 1 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Has the calling thread scheduled only on a core that would otherwise idle (Linux's
    /// SCHED_IDLE, 5 in sched.h, not imported): for work wanted only at the end (an import's
    /// file hash, its early flushes), which at full weight took cores from the work everything
    /// waits for. Ignored where the call fails.
    public static func runCallingThreadOnlyWhenIdle() {
        var param = sched_param(sched_priority: 0)
        _ = pthread_setschedparam(pthread_self(), 5, &param)
    }
}

/// Work items computed on several threads and delivered on the calling thread in their order:
/// the parallel read of a GeoJSON file (runs of features) and the tiles of a contiguity or
/// overlap analysis. Each thread has a worker of its own (a GEOS context, a PROJ
/// transformation: never shared between threads); what the threads compute is handed over in
/// order, so a result never depends on which thread was faster.
public enum ParallelInOrder {
    /// `body(&worker, k)` for every `k` in `items`, one thread per worker (a single worker
    /// works on the calling thread), each result handed to `deliver` on the calling thread in
    /// the order of `k`. At most `window` results wait for delivery, so memory stays bounded
    /// however fast the threads are. A `deliver` that throws stops the threads; every thread
    /// has ended when this returns.
    public static func forEach<Worker, Output, Failure: Error>(
        _ items: Range<Int>, workers: [Worker], window: Int? = nil,
        body: (inout Worker, Int) -> Output,
        deliver: (Output) throws(Failure) -> Void
    ) throws(Failure) {
        guard !items.isEmpty, !workers.isEmpty else { return }
        if workers.count == 1 {
            var worker = workers[0]
            for k in items { try deliver(body(&worker, k)) }
            return
        }
        let queue = OrderedQueue<Output>(items: items, window: window ?? 4 * workers.count)
        var failure: Failure?
        withoutActuallyEscaping(body) { body in
            // The threads reach `body` through a holder emptied once they have ended: a Thread
            // may keep its block (and what it captured) a little after that, and `body` must
            // not outlive this call.
            let holder = BodyHolder(body)
            var threads: [Thread] = []
            for worker in workers {
                let box = Unchecked(worker)
                let thread = Thread {
                    var worker = box.value
                    while let k = queue.take() { queue.put(k, holder.body!(&worker, k)) }
                    queue.threadEnded()
                }
                // GeoJSON parsing recurses into nested values: a main thread's stack.
                thread.stackSize = 16 << 20
                threads.append(thread)
            }
            for thread in threads { thread.start() }
            do throws(Failure) {
                for k in items { try deliver(queue.result(of: k)) }
            } catch {
                failure = error
            }
            queue.cancel()
            queue.waitForThreads(threads.count)
            holder.body = nil
        }
        #if canImport(Glibc)
        // What the threads freed stays in their malloc arenas, where this thread's allocations
        // cannot reuse it: handed back, so that what follows here does not add to it (a
        // million-parcel `check` with its rule groups run one after another peaked 75 MB lower).
        malloc_trim(0)
        #endif
        if let failure { throw failure }
    }
}

extension ParallelInOrder {
    /// `[transform(0), …, transform(count - 1)]`, worked out in chunks of `chunk` on `threads`
    /// threads (for a pass over a million parcels that would otherwise hold up the others).
    public static func map<T>(_ count: Int, threads: Int = Cores.available, chunk: Int = 16_384, _ transform: (Int) -> T) -> [T] {
        guard threads > 1, count > chunk else { return (0..<count).map(transform) }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let target = DisjointRanges(buffer)
            forEach(0..<((count + chunk - 1) / chunk), workers: Array(repeating: (), count: threads),
                    body: { (_: inout Void, k: Int) in
                for i in (k * chunk)..<min(count, (k + 1) * chunk) { (target.buffer.baseAddress! + i).initialize(to: transform(i)) }
            }, deliver: { _ in })
            initialized = count
        }
    }
}

/// A buffer handed to the threads of a parallel loop, each writing a range of its own (the
/// caller reads it only once they have ended): a store's rows decoded into their places, a
/// snapshot's parcels folded in parts.
public struct DisjointRanges<Element>: @unchecked Sendable {
    // @unchecked: the ranges the threads write do not overlap, and nothing reads them meanwhile.
    public let buffer: UnsafeMutableBufferPointer<Element>
    public init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}

/// A value handed to a thread that alone uses it from then on (a worker).
private struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// `forEach`'s body for its threads, until they have ended.
private final class BodyHolder<Worker, Output>: @unchecked Sendable {
    // @unchecked: written before the threads start and after they have ended, read by them between.
    var body: ((inout Worker, Int) -> Output)?
    init(_ body: @escaping (inout Worker, Int) -> Output) { self.body = body }
}

/// Items still to compute, and results computed and not yet delivered.
private final class OrderedQueue<Output>: @unchecked Sendable {
    // @unchecked: every field is touched only with `condition` held.
    private let condition = NSCondition()
    private var next: Int
    private let end: Int
    private let window: Int
    private var delivered: Int
    /// Wrapped: an optional `Output` stored as nil would read as not done.
    private struct Slot { var output: Output }
    private var done: [Int: Slot] = [:]
    private var cancelled = false
    private var ended = 0

    init(items: Range<Int>, window: Int) {
        next = items.lowerBound
        end = items.upperBound
        self.window = max(1, window)
        delivered = items.lowerBound
    }

    /// The next item to compute; nil when all are taken or the work stopped. Waits while
    /// `window` items are ahead of delivery.
    func take() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled, next < end, next >= delivered + window { condition.wait() }
        guard !cancelled, next < end else { return nil }
        next += 1
        return next - 1
    }

    func put(_ k: Int, _ output: Output) {
        condition.lock()
        if !cancelled { done[k] = Slot(output: output) }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for item `k` and takes its result.
    func result(of k: Int) -> Output {
        condition.lock()
        defer { condition.unlock() }
        while done[k] == nil { condition.wait() }
        delivered = k + 1
        condition.broadcast()
        return done.removeValue(forKey: k)!.output
    }

    func cancel() {
        condition.lock()
        cancelled = true
        done = [:]
        condition.broadcast()
        condition.unlock()
    }

    func threadEnded() {
        condition.lock()
        ended += 1
        condition.broadcast()
        condition.unlock()
    }

    func waitForThreads(_ n: Int) {
        condition.lock()
        while ended < n { condition.wait() }
        condition.unlock()
    }
}
