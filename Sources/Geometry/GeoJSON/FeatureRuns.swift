import Foundation

/// How many threads a read uses, and how long a run of features each takes at a time.
public struct ReadParallelism: Sendable, Equatable {
    public var threads: Int
    /// Bytes of GeoJSON per run (a run is cut only between two features).
    public var runBytes: Int

    public init(threads: Int, runBytes: Int = 1 << 20) {
        self.threads = max(1, threads)
        self.runBytes = max(1, runBytes)
    }

    public static let oneThread = ReadParallelism(threads: 1)

    /// One thread per core; `LANDTRACK_THREADS` overrides (1 reads on the calling thread).
    public static var automatic: ReadParallelism {
        if let text = ProcessInfo.processInfo.environment["LANDTRACK_THREADS"], let n = Int(text), n >= 1 {
            return ReadParallelism(threads: n)
        }
        return ReadParallelism(threads: ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// Turns each feature into what a reader's caller wants, on the thread that parsed it. A parallel
/// read gives each thread a worker of its own; the outputs reach the caller in the file's order.
public protocol FeatureWorker {
    associatedtype Output: Sendable
    mutating func process(_ feature: Result<GeoJSONFeature, Diagnostic>) -> Output
    /// A worker for another thread, with this one's settings and resources of its own (GEOS,
    /// PROJ); nil while this worker still decides something from the features it sees (the
    /// axis order from the first position, say): the read then stays on the calling thread.
    func fork() -> Self?
}

extension FeatureSource {
    /// On the calling thread, feature by feature.
    public func readFeatures<Worker: FeatureWorker>(
        idProperty: String?, parallelism: ReadParallelism,
        start: (GeoJSONHeader) throws(LandtrackError) -> Worker,
        deliver: (Worker.Output) throws(LandtrackError) -> Void
    ) throws(LandtrackError) {
        var worker: Worker?
        try readFeatures(idProperty: idProperty, header: { (head) throws(LandtrackError) in worker = try start(head) }) { (result) throws(LandtrackError) in
            try deliver(worker!.process(result))
        }
    }
}

/// A FeatureCollection's features array cut into runs that parse on their own: run k starts just
/// past a comma between two features (the first run just past the '['), and ends where the
/// next begins, or where the array closes.
struct FeatureRuns: @unchecked Sendable {
    // @unchecked: the bytes are read-only and outlive every thread that reads them (the
    // parallel read joins its threads before it returns).
    let reader: GeoJSONReader
    let bytes: UnsafeRawBufferPointer
    let start: Int
    let cuts: [JSONScanner.ElementCut]

    var count: Int { cuts.count + 1 }

    func offset(of run: Int) -> Int { run == 0 ? start : cuts[run - 1].offset }

    /// Parses run `k`, each feature to `body`. `releasing`: hand the pages before each feature
    /// back (on the one thread that reads in order only).
    func read(run k: Int, releasing input: InputBytes? = nil, _ body: (Result<GeoJSONFeature, Diagnostic>) throws -> Void) throws {
        var scanner = JSONScanner(bytes: bytes, start: offset(of: k))
        if k == 0, scanner.peek() == UInt8(ascii: "]") { return }
        var index = k == 0 ? 1 : cuts[k - 1].elementsBefore + 1
        let last = k < cuts.count ? cuts[k].elementsBefore : Int.max
        while true {
            input?.releasePages(before: scanner.index)
            try body(reader.readFeature(&scanner, index: index))
            let more = try scanner.commaOrClose(UInt8(ascii: "]"), "the features array")
            if index == last {
                // The first pass cut here: the parse went through the same brackets and strings.
                guard more, scanner.index == cuts[k].offset else {
                    throw scanner.error("the features array reads differently on a second pass")
                }
                return
            }
            guard more else { return }
            index += 1
        }
    }

    /// Runs on the calling thread with `first` while it cannot fork, then on `threads` threads of
    /// their own, the outputs delivered here in order. At most a few runs wait for delivery;
    /// a failure (a syntax error in a run, a `deliver` that throws) stops the other threads,
    /// and every thread has ended when this returns.
    static func readInParallel<Worker: FeatureWorker>(
        _ runs: FeatureRuns, input: InputBytes, threads: Int, first: Worker,
        deliver: (Worker.Output) throws(LandtrackError) -> Void
    ) throws {
        var caller = first
        var next = 0
        var workers: [Worker] = []
        while next < runs.count {
            if threads > 1, next < runs.count - 1 {
                workers = (0..<threads).compactMap { _ in caller.fork() }
                if workers.count == threads { break }
                workers = []
            }
            try runs.read(run: next, releasing: input) { feature in try deliver(caller.process(feature)) }
            next += 1
        }
        guard next < runs.count else { return }

        let queue = RunQueue<Worker.Output>(next: next, count: runs.count, window: 4 * threads)
        var started: [Thread] = []
        for worker in workers {
            let box = WorkerBox(worker)
            let thread = Thread {
                var worker = box.worker
                while let k = queue.take() {
                    var outputs: [Worker.Output] = []
                    var failure: (any Error)?
                    do {
                        try runs.read(run: k) { feature in outputs.append(worker.process(feature)) }
                    } catch {
                        failure = error
                    }
                    queue.put(k, RunResult(outputs: outputs, failure: failure))
                }
                queue.threadEnded()
            }
            // The JSON scanner recurses into nested values: a main thread's stack, not a worker's.
            thread.stackSize = 16 << 20
            started.append(thread)
        }
        for thread in started { thread.start() }
        defer {
            queue.cancel()
            queue.waitForThreads(started.count)
        }
        for k in next..<runs.count {
            let result = queue.result(of: k)
            input.releasePages(before: runs.offset(of: k))
            for output in result.outputs { try deliver(output) }
            if let failure = result.failure { throw failure }
        }
    }
}

/// A worker handed to the thread that alone uses it from then on.
private struct WorkerBox<Worker>: @unchecked Sendable {
    let worker: Worker
    init(_ worker: Worker) { self.worker = worker }
}

/// What a thread made of one run: the outputs of its features up to a failure, if any.
private struct RunResult<Output: Sendable>: Sendable {
    var outputs: [Output]
    var failure: (any Error)?
}

/// The runs still to read, and those read and not yet delivered.
private final class RunQueue<Output: Sendable>: @unchecked Sendable {
    // @unchecked: every field is touched only with `condition` held.
    private let condition = NSCondition()
    private var next: Int
    private let count: Int
    private let window: Int
    private var delivered: Int
    private var done: [Int: RunResult<Output>] = [:]
    private var cancelled = false
    private var ended = 0

    init(next: Int, count: Int, window: Int) {
        self.next = next
        self.count = count
        self.window = window
        delivered = next
    }

    /// The next run to read; nil when all are taken or the read stopped. Waits while `window`
    /// runs are ahead of delivery, so memory stays bounded however fast the threads are.
    func take() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled, next < count, next >= delivered + window { condition.wait() }
        guard !cancelled, next < count else { return nil }
        next += 1
        return next - 1
    }

    func put(_ run: Int, _ result: RunResult<Output>) {
        condition.lock()
        done[run] = result
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for run `k` and takes it.
    func result(of k: Int) -> RunResult<Output> {
        condition.lock()
        defer { condition.unlock() }
        while done[k] == nil { condition.wait() }
        delivered = k + 1
        condition.broadcast()
        return done.removeValue(forKey: k)!
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
