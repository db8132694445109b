import Foundation

/// Items begun and not yet ended, counted from any thread: the most at once, how many ended,
/// and the threads that ended them (the parallel loops' tests: windows, threads used).
final class InFlight: @unchecked Sendable {
    // @unchecked: every field is touched only with `lock` held.
    private let lock = NSLock()
    private var count = 0
    private(set) var most = 0
    private(set) var ended = 0
    private(set) var threads = Set<UInt>()

    func began() { lock.lock(); count += 1; most = max(most, count); lock.unlock() }
    func end() { lock.lock(); count -= 1; ended += 1; threads.insert(UInt(pthread_self())); lock.unlock() }
}
