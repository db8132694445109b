import Foundation
import PropertyBased
import Testing
@testable import Geometry
import TestSupport

/// The library's parser, with its syntax error unwrapped for line/column checks.
private func parse(bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
    do {
        return try JSONValue.parse(bytes: bytes)
    } catch {
        guard case let .json(syntax) = error else { fatalError("unexpected \(error)") }
        throw syntax
    }
}

private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    try parse(bytes: Array(text.utf8))
}

@Suite("JSON scanner")
struct JSONScannerTests {
    /// Numbers read back exactly as Swift's own correctly-rounded parser reads them.
    @Test func numbersAreCorrectlyRounded() async throws {
        await checkProperty(count: 500, input: Gen.double(in: -1e6...1e6), Gen.int(in: 0...12)) { value, decimals in
            let text = String(format: "%.\(decimals)f", value)
            let parsed = try parse(text)
            #expect(parsed == .number(Double(text)!), "\(text)")
        }
        for text in ["0", "-0", "1e400", "-1e400", "2.2250738585072014e-308", "123456789012345678901234567890",
                     "0.1", "113.1234567", "23.0506898", "1E2", "1e-7", "4.9e-324", "9007199254740993"] {
            #expect(try parse(text) == .number(Double(text)!), "\(text)")
        }
    }

    /// Numbers inside arrays, with bytes after them: integer parts of 1–22 digits, fractions of
    /// 0–24 with leading zeros, exponents, each read as Swift's own parser reads it; the
    /// position after each is right (the next number reads too).
    @Test func numbersInsideArraysAreCorrectlyRounded() async throws {
        await checkProperty(count: 2000, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }) }
            func number() -> String {
                let whole = Int.random(in: 0...4, using: &rng) == 0 ? "0" : String(Int.random(in: 1...9, using: &rng)) + digits(Int.random(in: 0...21, using: &rng))
                let zeros = String(repeating: "0", count: [0, 0, 0, 1, 3, 9][Int.random(in: 0...5, using: &rng)])
                let fraction = Int.random(in: 0...3, using: &rng) == 0 ? "" : "." + zeros + digits(Int.random(in: 1...24, using: &rng))
                let exponent = Int.random(in: 0...4, using: &rng) == 0 ? "e" + String(Int.random(in: -30...30, using: &rng)) : ""
                return (Bool.random(using: &rng) ? "-" : "") + whole + fraction + exponent
            }
            let numbers = (0..<Int.random(in: 1...6, using: &rng)).map { _ in number() }
            let text = "[" + numbers.joined(separator: [",", ", ", ",\n"][Int.random(in: 0...2, using: &rng)]) + "]" + String(repeating: " ", count: Int.random(in: 0...9, using: &rng))
            let parsed = try parse(text)
            #expect(parsed == .array(numbers.map { .number(Double($0)!) }), "\(text)")
        }
    }

    /// Strings written by `JSONValue.writeString` (ids, names: plain ones appended whole, others
    /// escaped) read back as themselves through Foundation's JSON parser, whatever they hold:
    /// quotes, backslashes, control characters, Chinese text, emoji; as text or as bytes alike.
    @Test func writtenStringsReadBackAsThemselves() async throws {
        let pieces = ["NH-", "0", "9", "\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", " ", "/", "黄庄村", "田", "🌾", "\u{7F}", "é"]
        await checkProperty(count: 1000, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let s = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined()
            var out = ""
            JSONValue.writeString(s, to: &out)
            let read = try JSONSerialization.jsonObject(with: Data(("[" + out + "]").utf8)) as? [String]
            #expect(read == [s], "\(out)")
            var bytes: [UInt8] = Array("[".utf8)
            JSONValue.writeString(s, to: &bytes)
            #expect(String(decoding: bytes.dropFirst(), as: UTF8.self) == out)
        }
    }

    @Test func nonFiniteLiteralsAreReadSoTheyCanBeReported() throws {
        #expect(try parse("NaN").numberValue?.isNaN == true)
        #expect(try parse("Infinity") == .number(.infinity))
        #expect(try parse("-Infinity") == .number(-.infinity))
    }

    @Test func stringsAndEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t""#) == .string("a\"b\\c/d\n\t"))
        #expect(try parse(#""\u5927\u5c97\u6751""#) == .string("大岗村"))
        #expect(try parse(#""\ud83c\udf3e""#) == .string("🌾"))
        #expect(try parse("\"MÄHWIESE\"") == .string("MÄHWIESE"))
    }

    @Test func objectsKeepOrderAndNoteDuplicates() throws {
        let v = try parse(#"{"b": 1, "a": [true, false, null], "b": 2}"#)
        let o = try #require(v.objectValue)
        #expect(o.keys == ["b", "a", "b"])
        #expect(o.firstDuplicateKey == "b")
        #expect(o["b"] == .number(1))
    }

    /// Each malformed document fails with a message and the right line and column.
    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9, "member name"),
        ("[1, 2", 1, 6, "truncated"),
        ("{\"a\": tru}", 1, 7, "expected a value"),
        ("\n\n  {\"a\" 1}", 3, 8, "':'"),
        ("\"abc", 1, 1, "never ends"),
        ("[01]", 1, 2, "leading zeros"),
        ("[1.]", 1, 4, "digits after '.'"),
        ("[\"\\x\"]", 1, 3, "unknown escape"),
        ("[\"\\ud83c\"]", 1, 9, "surrogate"),
        ("", 1, 1, "input ends"),
        ("{\"a\": 1} x", 1, 10, "after the end"),
    ])
    func malformedInputIsLocated(text: String, line: Int, column: Int, words: String) throws {
        do {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(words), "\(error)")
        }
    }

    @Test func invalidUTF8IsRefused() throws {
        #expect(throws: JSONSyntaxError.self) { try parse(bytes: [0x22, 0xFF, 0xFE, 0x22]) }
    }

    /// Invalid sequences whose replacement (U+FFFD, three bytes) is as long as they are, or
    /// that only a strict decoder refuses, among valid text: refused in plain and escaped
    /// strings; valid four-byte text kept byte for byte.
    @Test(arguments: [[0xF0, 0x90, 0x80], [0xE0, 0xA0], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80]] as [[UInt8]])
    func invalidSequencesAreRefusedWhateverTheirLength(sequence: [UInt8]) throws {
        let village = Array("竹冈村".utf8)
        #expect(throws: JSONSyntaxError.self) { try parse(bytes: [0x22] + village + sequence + village + [0x22]) }
        #expect(throws: JSONSyntaxError.self) { try parse(bytes: [0x22, 0x5C, 0x6E] + village + sequence + [0x22]) }
        let valid = village + [0xF0, 0x9F, 0x8C, 0xBE]
        #expect(try parse(bytes: [0x22] + valid + [0x22]) == .string(String(decoding: valid, as: UTF8.self)))
    }

    @Test func absurdNestingIsRefusedNotACrash() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try parse(deep) }
        var skip = JSONScanner(bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(throws: JSONSyntaxError.self) { try skip.skipValue() }
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{\"a\":1}".utf8)
        #expect(try parse(bytes: bytes).objectValue?["a"] == .number(1))
    }

    /// Writing and reading back gives the same value.
    @Test func writtenJSONReadsBack() throws {
        let value = JSONValue.object(JSONObject([
            ("s", .string("引号\"\\\n\u{1}")), ("n", .number(-12.5)), ("i", .number(106806035)),
            ("a", .array([.null, .bool(true), .number(0.1)])), ("o", .object(JSONObject([("x", .string(""))]))),
        ]))
        #expect(try parse(value.jsonText) == value)
        // Compact, members in order, integral numbers without ".0", only what must be escaped.
        #expect(value.jsonText == #"{"s":"引号\"\\\n\u0001","n":-12.5,"i":106806035,"a":[null,true,0.1],"o":{"x":""}}"#)
        // And Foundation agrees that it is JSON.
        #expect((try? JSONSerialization.jsonObject(with: Data(value.jsonText.utf8))) != nil)
    }
}

/// The first pass over a features array (brackets and strings only, eight bytes at a time
/// inside an element) ends where a byte-by-byte walk ends and cuts where it cuts, on documents
/// whose strings hold brackets, escaped quotes and UTF-8, at every alignment.
@Suite("JSON scanner's first pass")
struct SkipBalancedTests {
    /// The walk the fast path must equal: one byte at a time.
    static func reference(_ bytes: [UInt8], cutSpacing: Int) -> (end: Int, cuts: [JSONScanner.ElementCut], commas: Int)? {
        var i = 0, depth = 0, commas = 0
        var cuts: [JSONScanner.ElementCut] = []
        var nextCut = i + cutSpacing
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            switch b {
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return (i, cuts, commas) }
            case UInt8(ascii: "\""):
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
            case UInt8(ascii: ",") where depth == 1:
                commas += 1
                if i >= nextCut {
                    cuts.append(JSONScanner.ElementCut(offset: i, elementsBefore: commas))
                    nextCut = i + cutSpacing
                }
            default: break
            }
        }
        return nil
    }

    static func feature(_ rng: inout SplitMix) -> String {
        let names = ["村", "a[b", "}{", "q\\\"uote", "\\\\", "x", "", "长]\\\"[", "end\\\\\\\""]
        let ring = (0..<Int.random(in: 1...9, using: &rng)).map { _ in
            "[\(Double.random(in: 100...120, using: &rng)),\(Double.random(in: 20...30, using: &rng))]"
        }.joined(separator: ",")
        let spaces = String(repeating: " ", count: Int.random(in: 0...9, using: &rng))
        return #"{"type":"Feature",\#(spaces)"properties":{"name":"\#(names.randomElement(using: &rng)!)","n":[1,[2,{}]]},"geometry":{"type":"Polygon","coordinates":[[\#(ring)]]}}"#
    }

    @Test func endsAndCutsAsOneByteAtATime() async throws {
        await checkProperty(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let lead = String(repeating: " ", count: Int.random(in: 0...7, using: &rng))
            let text = lead + "[" + (0..<Int.random(in: 0...30, using: &rng)).map { _ in Self.feature(&rng) }.joined(separator: ",") + "]  "
            let bytes = Array(text.utf8)
            let spacing = [1, 7, 100, 1000, Int.max][Int.random(in: 0..<5, using: &rng)]
            let expected = Self.reference(Array(bytes[lead.utf8.count...]), cutSpacing: spacing == .max ? Int.max / 2 : spacing)
            bytes.withUnsafeBytes { raw in
                var scanner = JSONScanner(bytes: raw)
                scanner.index = lead.utf8.count
                let skipped = try? scanner.skipBalanced(cutSpacing: spacing) { _ in }
                let cuts = skipped?.cuts
                #expect(skipped?.commas == expected?.commas)
                #expect(cuts?.map { $0.offset - lead.utf8.count } == expected?.cuts.map(\.offset), "\(text)")
                #expect(cuts?.map(\.elementsBefore) == expected?.cuts.map(\.elementsBefore))
                #expect(scanner.index - lead.utf8.count == expected?.end)
            }
        }
    }

    /// The first pass on two threads, the second from a guessed seam, every seam the document
    /// offers (so also inside strings holding "},{", inside nested arrays of objects, none): the end, the commas and an error where the walk has them; every cut is
    /// one of the walk's (just past one of the array's own commas, with its count); a seam is
    /// used only where the walk has such a comma. Documents cut short end in the walk's error.
    @Test func theScanInTwoEndsAndCutsAsTheWalk() async throws {
        await checkProperty(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let features = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                Bool.random(using: &rng) ? Self.feature(&rng)
                    : #"{"type":"Feature","properties":{"name":"},{","list":[{"a":1}, {"b":[2]}]},"geometry":null}"#
            }
            var bytes = Array(("[" + features.joined(separator: [",", " , ", ",\n"][Int.random(in: 0..<3, using: &rng)]) + "] ").utf8)
            if Int.random(in: 0..<4, using: &rng) == 0 { bytes = Array(bytes.prefix(Int.random(in: 1...bytes.count, using: &rng))) }
            let text = String(decoding: bytes, as: UTF8.self)
            let spacing = [1, 50, Int.max][Int.random(in: 0..<3, using: &rng)]
            let walk = Self.reference(bytes, cutSpacing: spacing == .max ? Int.max / 2 : spacing)
            let everyComma = Self.reference(bytes, cutSpacing: 1)?.cuts
            bytes.withUnsafeBytes { raw in
                var one = JSONScanner(bytes: raw)
                let oneError: JSONSyntaxError?
                do throws(JSONSyntaxError) { _ = try one.skipBalanced(cutSpacing: spacing) { _ in }; oneError = nil } catch { oneError = error }
                // A guess's seam is the first "},{" from it: guessing at each of them (and past the
                // last) tries every seam there is.
                let guesses = [1] + bytes.indices.dropFirst().dropLast().filter {
                    bytes[$0] == UInt8(ascii: ",") && bytes[$0 - 1] == UInt8(ascii: "}") && bytes[$0 + 1] == UInt8(ascii: "{")
                } + [bytes.count]
                for guess in guesses {
                    var scanner = JSONScanner(bytes: raw)
                    do throws(JSONSyntaxError) {
                        let (cuts, commas, seam) = try scanner.skipBalancedInTwo(cutSpacing: spacing, guessFrom: guess,
                                                                              progress: { _ in }, secondProgress: { _ in })
                        #expect(walk != nil && oneError == nil, "guess \(guess): \(text)")
                        #expect(commas == walk?.commas && scanner.index == walk?.end, "guess \(guess): \(text)")
                        let allowed = Set((everyComma ?? []).map { "\($0.offset) \($0.elementsBefore)" })
                        #expect(cuts.allSatisfy { allowed.contains("\($0.offset) \($0.elementsBefore)") }, "guess \(guess): \(text)")
                        #expect(cuts.map(\.offset) == cuts.map(\.offset).sorted())
                        if let seam { #expect(cuts.contains { $0.offset == seam }, "guess \(guess): \(text)") }
                    } catch {
                        #expect(walk == nil && error == oneError, "guess \(guess): \(text)")
                    }
                }
            }
        }
    }

    /// A seam guessed between two features is used (the second thread's scan counts); one guessed
    /// inside a string that reads "},{" is not, and the scan is the walk's all the same.
    @Test func aSeamIsUsedOnlyBetweenElements() throws {
        let trap = #"{"type":"Feature","properties":{"name":"},{"},"geometry":null}"#
        let plain = #"{"type":"Feature","properties":{},"geometry":null}"#
        let text = "[" + [plain, trap, plain, plain].joined(separator: ",") + "]"
        let bytes = Array(text.utf8)
        let closeCommaOpen = bytes.indices.dropFirst().dropLast().filter {
            bytes[$0] == UInt8(ascii: ",") && bytes[$0 - 1] == UInt8(ascii: "}") && bytes[$0 + 1] == UInt8(ascii: "{")
        }
        // Between the features, and in the trap's name (second of four).
        #expect(closeCommaOpen.count == 4)
        let (trapComma, lastBoundary) = (closeCommaOpen[1], closeCommaOpen[3])
        try bytes.withUnsafeBytes { raw in
            var between = JSONScanner(bytes: raw)
            let split = try between.skipBalancedInTwo(cutSpacing: 1, guessFrom: lastBoundary, progress: { _ in }, secondProgress: { _ in })
            #expect(split.seam == lastBoundary + 1)
            #expect(split.commas == 3 && between.index == bytes.count)
            var trapped = JSONScanner(bytes: raw)
            let alone = try trapped.skipBalancedInTwo(cutSpacing: 1, guessFrom: trapComma, progress: { _ in }, secondProgress: { _ in })
            #expect(alone.seam == nil)
            #expect(alone.commas == 3 && trapped.index == bytes.count)
            #expect(alone.cuts == split.cuts)
        }
    }

    /// Every byte value at every position of a word, beside every other in another lane: each
    /// marked exactly when it opens, closes or quotes (the skip counts these marks).
    @Test func bracketsAreMarkedExactlyInEveryLane() {
        let opening: Set<UInt8> = Set("[{".utf8), closing: Set<UInt8> = Set("]}".utf8), quote = UInt8(ascii: "\"")
        for lane in 0..<8 {
            for other in [UInt8(ascii: "["), UInt8(ascii: "}"), 0x00, 0x01, 0x5C, 0x80, 0xFF] {
                for value in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: other, count: 8)
                    bytes[lane] = value
                    let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
                    let marks = JSONScanner.brackets(word)
                    for (k, b) in bytes.enumerated() {
                        let bit: UInt64 = 0x80 << (8 * k)
                        #expect((marks.opening & bit != 0) == opening.contains(b), "byte \(b) in lane \(k), others \(other)")
                        #expect((marks.closing & bit != 0) == closing.contains(b), "byte \(b) in lane \(k), others \(other)")
                        #expect((marks.quotes & bit != 0) == (b == quote), "byte \(b) in lane \(k), others \(other)")
                    }
                    #expect((marks.opening | marks.closing | marks.quotes) & ~0x8080_8080_8080_8080 == 0)
                }
            }
        }
    }

    /// Every byte value at every position of a word: marked exactly when it is a bracket, a
    /// brace or a double quote (the lowest mark of a word is the first such byte).
    @Test func structuralBytesAreFoundInEveryLane() {
        let special: Set<UInt8> = Set("[]{}\"".utf8)
        for lane in 0..<8 {
            for value in UInt8.min...UInt8.max {
                var bytes = [UInt8](repeating: UInt8(ascii: "7"), count: 8)
                bytes[lane] = value
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
                let mark = JSONScanner.structural(word)
                #expect((mark != 0) == special.contains(value), "byte \(value) in lane \(lane)")
                if mark != 0 { #expect(mark.trailingZeroBitCount >> 3 == lane) }
            }
        }
    }
}
