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

    /// One thread per core (`Cores.available`).
    public static var automatic: ReadParallelism { ReadParallelism(threads: Cores.available) }
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
    /// Whether `process` uses `GeoJSONFeature.propertiesText` (the reader then makes it).
    var wantsPropertiesText: Bool { get }
}

extension FeatureWorker {
    public var wantsPropertiesText: Bool { false }
}

/// A FeatureCollection's features array cut into runs that parse on their own: run k starts just
/// past a comma between two features (the first run just past the '['), and ends where the
/// next begins, or where the array closes.
struct FeatureRuns: @unchecked Sendable {
    // @unchecked: the bytes are read-only and outlive every thread that reads them (the
    // parallel read joins its threads before it returns).
    var reader: GeoJSONReader
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
    /// their own (`ParallelInOrder`), the outputs delivered here in order; a syntax error in a
    /// run is thrown after the outputs of the features before it.
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
        try ParallelInOrder.forEach(next..<runs.count, workers: workers, body: { (worker: inout Worker, k: Int) -> RunResult<Worker.Output> in
            var outputs: [Worker.Output] = []
            do {
                try runs.read(run: k) { feature in outputs.append(worker.process(feature)) }
                return RunResult(run: k, outputs: outputs, failure: nil)
            } catch {
                return RunResult(run: k, outputs: outputs, failure: error)
            }
        }, deliver: { (result: RunResult<Worker.Output>) throws in
            input.releasePages(before: runs.offset(of: result.run))
            for output in result.outputs { try deliver(output) }
            if let failure = result.failure { throw failure }
        })
    }
}

/// What a thread made of one run: the outputs of its features up to a failure, if any.
private struct RunResult<Output: Sendable>: Sendable {
    var run: Int
    var outputs: [Output]
    var failure: (any Error)?
}
