import Foundation
import Geometry

extension ParcelReader {
    /// `read` with the file parsed and checked on a thread of its own (and one fewer threads than
    /// `parallelism` has), a few thousand parcels ahead, while the callbacks run on the calling
    /// thread in the file's order: a first import writes one part to the store while the next
    /// is read.
    ///
    /// A callback that throws stops the reading thread; nothing outlives the call.
    public func readAhead(
        _ input: any FeatureSource,
        start: (_ geographicCRS: CoordinateReferenceSystem) throws(LandtrackError) -> Void,
        parcel: (Parcel) throws(LandtrackError) -> Void,
        problem: (Diagnostic) throws(LandtrackError) -> Void
    ) throws(LandtrackError) -> ParcelFileInfo {
        let channel = ReadAheadChannel()
        let source = UncheckedSource(input)
        // The caller's thread works too (a store's writer): the file gets the other cores. On
        // two cores one parse thread beside the writer was as fast as two (1M into PostGIS
        // 20.7–22.5 s either way, 100k into a GeoPackage 4.6–4.9 s) and held 20 MB less.
        var beside = self
        beside.parallelism.threads = max(1, parallelism.threads - 1)
        let reader = beside
        let thread = Thread {
            var batch: [ReadAheadChannel.Item] = []
            func send() throws(LandtrackError) {
                // The batches the caller is done with come back with `put` and are let go of
                // here, outside the lock: their parcels were allocated on this thread, and glibc
                // frees a block in the arena that made it, under that arena's lock (frees on the
                // caller's thread fought this thread's mallocs for it).
                let (open, _) = channel.put(batch)
                guard open else { throw .invalidArgument("reading stopped: the store refused the import") }
                batch = []
            }
            let result: Result<ParcelFileInfo, LandtrackError>
            do throws(LandtrackError) {
                let info = try reader.read(source.input, start: { (crs) throws(LandtrackError) in
                    batch.append(.start(crs))
                    try send()
                }, parcel: { (p) throws(LandtrackError) in
                    batch.append(.parcel(p))
                    if batch.count >= ReadAheadChannel.batchSize { try send() }
                }, problem: { (d) throws(LandtrackError) in
                    batch.append(.problem(d))
                })
                if !batch.isEmpty { try send() }
                result = .success(info)
            } catch {
                result = .failure(error)
            }
            channel.finish(result)
        }
        // The JSON scanner recurses into nested arrays: a main thread's stack, not a worker's.
        thread.stackSize = 16 << 20
        thread.start()
        do throws(LandtrackError) {
            var spent: [ReadAheadChannel.Item] = []
            while let batch = channel.take(handingBack: &spent) {
                for item in batch {
                    switch item {
                    case let .start(crs): try start(crs)
                    case let .parcel(p): try parcel(p)
                    case let .problem(d): try problem(d)
                    }
                }
                spent = batch
            }
        } catch {
            channel.cancel()
            _ = channel.waitForResult()
            throw error
        }
        return try channel.waitForResult().get()
    }
}

/// The source, handed to the reading thread; only that thread uses it until the reading is
/// over (the caller waits for it before it returns).
private struct UncheckedSource: @unchecked Sendable {
    let input: any FeatureSource
    init(_ input: any FeatureSource) { self.input = input }
}

/// Batches of what the reading thread found, at most `capacity` waiting.
private final class ReadAheadChannel: @unchecked Sendable {
    enum Item: Sendable {
        case start(CoordinateReferenceSystem)
        case parcel(Parcel)
        case problem(Diagnostic)
    }

    static let batchSize = 512
    static let capacity = 8

    private let condition = NSCondition()
    private var queue: [[Item]] = []
    /// Batches the taker is done with, for the reading thread to let go of.
    private var spent: [[Item]] = []
    private var cancelled = false
    private var result: Result<ParcelFileInfo, LandtrackError>?

    /// Waits for room; false when the taker stopped. Also returns the batches the taker is
    /// done with, for the caller to let go of outside the lock.
    func put(_ batch: [Item]) -> (open: Bool, spent: [[Item]]) {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.capacity && !cancelled { condition.wait() }
        let done = spent
        spent = []
        guard !cancelled else { return (false, done) }
        queue.append(batch)
        condition.broadcast()
        return (true, done)
    }

    /// The next batch; nil once the reading is over and everything was taken. `done`, the
    /// batch the caller finished (emptied here), goes back to the reading thread while it reads.
    func take(handingBack done: inout [Item]) -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        if !done.isEmpty && result == nil && !cancelled {
            spent.append(done)
            done = []
        }
        while queue.isEmpty && result == nil { condition.wait() }
        guard !queue.isEmpty else { return nil }
        let batch = queue.removeFirst()
        condition.broadcast()
        return batch
    }

    func finish(_ outcome: Result<ParcelFileInfo, LandtrackError>) {
        condition.lock()
        result = outcome
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        queue = []
        condition.broadcast()
        condition.unlock()
    }

    func waitForResult() -> Result<ParcelFileInfo, LandtrackError> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
