import Foundation

/// A progress line on stderr, only when stderr is a terminal, at most every half second.
final class ProgressLine {
    private let label: String
    private let enabled = isatty(STDERR_FILENO) == 1
    private var last = Date.distantPast
    private var shown = false

    init(_ label: String) { self.label = label }

    func update(_ count: Int) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.5 else { return }
        last = now
        shown = true
        FileHandle.standardError.write(Data("\r\(label): \(count) parcels…".utf8))
    }

    func finish() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
