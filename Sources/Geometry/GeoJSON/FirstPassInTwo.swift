extension JSONScanner {
    /// `skipBalanced` over an array (the scanner on its '['), with the part after a guessed seam
    /// scanned on a second thread meanwhile: on one thread the first pass over a 534 MB file
    /// took 0.7 s while the other core waited for its cuts.
    ///
    /// The seam is a guess: just past the first comma at or after `guessFrom` that has a '}'
    /// before it and a '{' after it (whitespace between), where one object element of the array
    /// ends and the next begins if the guess is not inside a string or a nested array. The first
    /// thread scans from the '[' and confirms the guess only by meeting that very comma at the
    /// array's own level; then the state at the seam is known exactly (no string open, the
    /// array's depth) and the second thread's scan from it is the one-thread scan's rest. When
    /// the first thread passes the seam without meeting it, its scan is the whole one-thread
    /// scan and the second thread's is dropped; when the second thread's scan fails, the first
    /// goes on from the seam alone. So the ends, commas, errors and cuts are the one-thread
    /// scan's, except that a confirmed seam is a cut too (`seam` says where, nil when the guess
    /// was not used). `secondProgress` is called from the second thread, as `progress` is from
    /// the first.
    mutating func skipBalancedInTwo(
        cutSpacing: Int, guessFrom: Int, progress: (Int) -> Void, secondProgress: (Int) -> Void
    ) throws(JSONSyntaxError) -> (cuts: [ElementCut], commas: Int, seam: Int?) {
        let open = index
        guard guessFrom > open, let seam = Self.elementStart(in: bytes, from: guessFrom, within: 1 << 20) else {
            let (cuts, commas) = try skipBalanced(cutSpacing: cutSpacing, progress: progress)
            return (cuts, commas, nil)
        }
        struct Part {
            var scan: BalancedScan
            var end: Int
            /// Closed (true), stopped at the seam (false), or failed.
            var outcome: Result<Bool, JSONSyntaxError>
        }
        let start = self
        var parts: [Part] = []
        ParallelInOrder.forEach(0..<2, workers: [(), ()], body: { (_: inout Void, k: Int) -> Part in
            var scanner = start
            var scan = BalancedScan(open: open, depth: k == 0 ? 0 : 1, cutSpacing: cutSpacing, from: k == 0 ? open : seam)
            scanner.index = k == 0 ? open : seam
            let outcome = Result { () throws(JSONSyntaxError) -> Bool in
                try scanner.continueBalanced(&scan, stop: k == 0 ? seam : -1, progress: k == 0 ? progress : secondProgress)
            }
            return Part(scan: scan, end: scanner.index, outcome: outcome)
        }, deliver: { parts.append($0) })
        let (first, second) = (parts[0], parts[1])
        switch first.outcome {
        case let .failure(error):
            // Before the seam: where the one-thread scan fails too.
            throw error
        case .success(true):
            // The array closed without the guessed comma at its level: this was the whole scan.
            index = first.end
            return (first.scan.cuts, first.scan.commas, nil)
        case .success(false):
            guard case .success = second.outcome else {
                // The rest does not close: on from the seam, to the one-thread scan's error.
                var scan = first.scan
                index = seam
                _ = try continueBalanced(&scan, progress: progress)
                return (scan.cuts, scan.commas, nil)
            }
            var cuts = first.scan.cuts
            if cuts.last?.offset != seam { cuts.append(ElementCut(offset: seam, elementsBefore: first.scan.commas)) }
            for cut in second.scan.cuts {
                cuts.append(ElementCut(offset: cut.offset, elementsBefore: first.scan.commas + cut.elementsBefore))
            }
            index = second.end
            return (cuts, first.scan.commas + second.scan.commas, seam)
        }
    }

    /// Just past the first comma at or after `from` (and within `within` bytes of it) with a
    /// '}' before it and a '{' after it, JSON whitespace between: nil when there is none.
    static func elementStart(in bytes: UnsafeRawBufferPointer, from: Int, within: Int) -> Int? {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
        let end = min(bytes.count, from + within)
        var i = max(from, 1)
        while i < end {
            if bytes[i] == UInt8(ascii: ",") {
                var before = i - 1
                while before > 0, isSpace(bytes[before]) { before -= 1 }
                var after = i + 1
                while after < bytes.count, isSpace(bytes[after]) { after += 1 }
                if bytes[before] == UInt8(ascii: "}"), after < bytes.count, bytes[after] == UInt8(ascii: "{") { return i + 1 }
            }
            i += 1
        }
        return nil
    }
}
