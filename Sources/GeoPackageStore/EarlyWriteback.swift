import Foundation
import Geometry
#if canImport(Glibc)
import Glibc
#endif

/// Has the kernel write a store file's dirty pages to disk while a long transaction goes on
/// (`fdatasync` on a thread of its own, when asked), so that the commit's sync waits only for
/// the last of them. A million-parcel first import left 0.5 GB dirty in the page cache, below
/// the kernel's own writeback threshold, and its commit then waited 0.35 s for the disk with
/// the cores idle. Only a flush: what SQLite writes and when it syncs are unchanged. The thread
/// ends at `stop` or when this is let go of (a transaction that fails never reaches `finish`).
final class EarlyWriteback: Sendable {
    /// What the thread shares with its owner (the thread does not hold the owner).
    private final class Requests: @unchecked Sendable {
        let condition = NSCondition()
        // Guarded by `condition`.
        var requested = false
        var stopping = false
    }
    private let requests = Requests()

    /// nil when the file cannot be opened (the commit's sync does it all, as without this).
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        let requests = requests
        let thread = Thread {
            // The thread mostly waits for the disk; its own work must not slow the import's.
            Cores.runCallingThreadOnlyWhenIdle()
            requests.condition.lock()
            while true {
                while !requests.requested && !requests.stopping { requests.condition.wait() }
                if requests.stopping { break }
                requests.requested = false
                requests.condition.unlock()
                _ = fdatasync(fd)
                requests.condition.lock()
            }
            requests.condition.unlock()
            close(fd)
        }
        thread.start()
    }

    /// Starts a flush of what was written so far (one more at most waits behind a running one).
    func request() {
        requests.condition.lock()
        requests.requested = true
        requests.condition.signal()
        requests.condition.unlock()
    }

    /// Lets the thread end (after a flush it is running, without one asked for since).
    func stop() {
        requests.condition.lock()
        requests.stopping = true
        requests.condition.signal()
        requests.condition.unlock()
    }

    deinit { stop() }
}
