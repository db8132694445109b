import CGEOS

/// The process's malloc settings for work spread over threads.
public enum Allocator {
    /// glibc's malloc grows a thread's arena one page at a time, each page with an `mprotect`
    /// call (the main heap grows by `M_TOP_PAD` and more at once): a command decoding a million
    /// cached parcels on two threads made 84,000 of them. With a pad of 64 MB each arena heap is
    /// made writable whole when it is created (85 calls in that command); `contiguity` on a
    /// million cached parcels took 10–15 % less, its peak 5–12 MB more (Benchmarks/RESULTS.md).
    /// Pages are still touched only as they are used. Called once, first thing, by the CLI.
    public static func configureForThreads() {
        #if os(Linux)
        _ = mallopt(M_TOP_PAD, 64 << 20)
        #endif
    }
}
