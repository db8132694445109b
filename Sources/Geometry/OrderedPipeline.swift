import Foundation

/// Inputs made one after another on the calling thread and transformed on other threads while
/// the next ones are made; the outputs come back in input order. A store's read is the case:
/// SQLite steps one statement on one connection (the rows of one read transaction cannot be
/// shared out), while decoding the rows it copied out (geometry, texts) is work for every core.
///
/// `submit` waits while `window` inputs wait for a thread, so what has been read and not yet
/// decoded stays bounded; `finish` waits for the threads and returns every output in order.
/// A pipeline dropped without `finish` (its caller threw) still transforms what it was given
/// and lets its threads end before it is gone. With one thread (`Cores.available` 1) every
/// input is transformed on the calling thread.
public final class OrderedPipeline<Input, Output>: @unchecked Sendable {
    // @unchecked: used from the calling thread only; the threads reach nothing but `queue`.
    private let queue: Queue?
    private var inline: [Output] = []
    private let transform: (Input) -> Output
    private var finished = false

    /// `threads` threads besides the caller (default: one per core; 0 or 1: none).
    public init(threads: Int = Cores.available, window: Int? = nil, transform: @escaping (Input) -> Output) {
        self.transform = transform
        guard threads > 1 else {
            queue = nil
            return
        }
        let queue = Queue(window: max(1, window ?? 2 * threads), transform: transform)
        self.queue = queue
        for _ in 0..<threads {
            // The threads hold the queue, never the pipeline: dropping it reaches `deinit`.
            let thread = Thread { queue.work() }
            thread.start()
        }
        queue.threads = threads
    }

    deinit {
        if !finished { _ = queue?.finish() }
    }

    /// Hands over the next input; waits while `window` inputs wait for a thread.
    public func submit(_ input: Input) {
        guard let queue else { return inline.append(transform(input)) }
        queue.submit(input)
    }

    /// Every output, in the order of the inputs, once the threads have ended.
    public func finish() -> [Output] {
        finished = true
        guard let queue else { return inline }
        return queue.finish()
    }

    /// What the threads share: inputs waiting, outputs by index.
    private final class Queue: @unchecked Sendable {
        // @unchecked: every field is touched only with `condition` held (`threads` is set
        // before any thread can end; `transform` is called on one input by one thread).
        private let condition = NSCondition()
        private var waiting: [(index: Int, input: Input)] = []
        private var outputs: [Output?] = []
        private var closed = false
        private var ended = 0
        var threads = 0
        private let window: Int
        private let transform: (Input) -> Output

        init(window: Int, transform: @escaping (Input) -> Output) {
            self.window = window
            self.transform = transform
        }

        func submit(_ input: Input) {
            condition.lock()
            defer { condition.unlock() }
            while waiting.count >= window { condition.wait() }
            waiting.append((outputs.count, input))
            outputs.append(nil)
            condition.broadcast()
        }

        func finish() -> [Output] {
            condition.lock()
            closed = true
            condition.broadcast()
            while ended < threads { condition.wait() }
            let done = outputs
            outputs = []
            condition.unlock()
            return done.map { $0! }
        }

        func work() {
            while true {
                condition.lock()
                while waiting.isEmpty && !closed { condition.wait() }
                guard !waiting.isEmpty else {
                    ended += 1
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                // At most `window` wait: taking the first costs little.
                let (index, input) = waiting.removeFirst()
                condition.broadcast()
                condition.unlock()
                let output = transform(input)
                condition.lock()
                outputs[index] = output
                condition.unlock()
            }
        }
    }
}
