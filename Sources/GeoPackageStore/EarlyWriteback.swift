import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Has the kernel write a store file's dirty pages to disk while a long transaction goes on
/// (`fdatasync` on a thread of its own, when asked), so that the commit's sync waits only for
/// the last of them. A million-parcel first import left 0.5 GB dirty in the page cache, below
/// the kernel's own writeback threshold, and its commit then waited 0.35 s for the disk with
/// the cores idle. Only a flush: what SQLite writes and when it syncs are unchanged.
final class EarlyWriteback: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var requested = false
    private var stopping = false

    /// nil when the file cannot be opened (the commit's sync does it all, as without this).
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        let thread = Thread { [self] in
            // Scheduled only on a core that would idle (SCHED_IDLE, 5 in Linux's sched.h): the
            // thread mostly waits for the disk, and its own work must not slow the import's.
            var param = sched_param(sched_priority: 0)
            _ = pthread_setschedparam(pthread_self(), 5, &param)
            condition.lock()
            while true {
                while !requested && !stopping { condition.wait() }
                if stopping { break }
                requested = false
                condition.unlock()
                _ = fdatasync(fd)
                condition.lock()
            }
            condition.unlock()
            close(fd)
        }
        thread.start()
    }

    /// Starts a flush of what was written so far (one more at most waits behind a running one).
    func request() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end (after a flush it is running, without one asked for since).
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    deinit { stop() }
}
