import Foundation
import PropertyBased
import Testing
import Geometry
import TestSupport

/// `JSONValue.compactText`: a value's bytes are taken as its text only when they are exactly what
/// writing the parsed value gives (`jsonText`, the independent truth here); otherwise nil.
@Suite struct JSONCompactTextTests {
    private static func compact(_ text: String) -> String? {
        Array(text.utf8).withUnsafeBytes { JSONValue.compactText(parsed: $0) }
    }

    /// Texts as files commonly have them: taken whole, and the same as writing them again.
    @Test(arguments: [
        #"{"id":"NH-000001","state":"farmland","basic_farmland":false,"village":"竹冈村","landuse_code":"0601"}"#,
        #"{"n":-3,"i":106806035,"big":999999999999999,"a":1234.56,"x":0.0001,"y":-0.5,"z":12345678901234.5}"#,
        #"{"l":[1,2,{"z":null,"t":true}],"e":{},"s":"","u":"emoji 🌾 and / slash"}"#,
    ])
    func compactTextsAreTakenAsTheyAre(text: String) throws {
        let value = try JSONValue.parse(text)
        #expect(value.jsonText == text, "the case itself must be compact")
        #expect(Self.compact(text) == text)
    }

    /// Texts whose value is written otherwise: refused, each for its reason.
    @Test(arguments: [
        (#"{"a": 1}"#, "a space"), ("{\"a\":1}\n", "a line end"), (#"{"a":5.0}"#, "an integral value with a fraction"),
        (#"{"a":0.50}"#, "a trailing zero"), (#"{"a":-0}"#, "minus zero"), (#"{"a":1e5}"#, "an exponent"),
        (#"{"a":1E-2}"#, "an exponent"), (#"{"a":"\u00e9"}"#, "an escape written as the character"),
        (#"{"a":"\/"}"#, "an escaped slash"), (#"{"a":0.00001}"#, "written with an exponent"),
        (#"{"a":1000000000000000}"#, "an integer of 16 digits"), (#"{"a":0.123456789012345678}"#, "more digits than a double holds"),
        (#"{"a":NaN}"#, "NaN, written null"), (#"{"a":-Infinity}"#, "Infinity, written null"),
    ])
    func otherTextsAreWrittenAgain(text: String, reason: String) throws {
        let written = try JSONValue.parse(text).jsonText
        #expect(written != text, "the case must not be compact (\(reason))")
        #expect(Self.compact(text) == nil, "\(reason)")
    }

    /// Random values in random spellings (spaces, escapes, numbers of every form): whatever is
    /// taken is exactly what writing the value gives, and the written text itself is taken
    /// unless it has a number written with an exponent or an escape.
    @Test func whatIsTakenIsWhatWritingGives() async throws {
        await checkProperty(count: 3000, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let text = Self.randomValue(&rng, depth: 0)
            let value = try JSONValue.parse(text)
            let written = value.jsonText
            if let taken = Self.compact(text) { #expect(taken == written, "\(text)") }
            if let again = Self.compact(written) {
                #expect(again == written, "\(written)")
            } else if !written.contains("\\"), Self.numbers(in: written).allSatisfy({ !$0.contains("e") && Self.significantDigits($0) <= 15 }) {
                Issue.record("the written text \(written) was not taken")
            }
        }
    }

    /// The number tokens of a text without escapes, outside its strings.
    private static func numbers(in text: String) -> [String] {
        var found: [String] = [], current = "", inString = false
        for c in text {
            if c == "\"" { inString.toggle() }
            if !inString, c.isASCII, current.isEmpty ? c.isNumber || c == "-" : c.isNumber || "-+.eE".contains(c) {
                current.append(c)
            } else if !current.isEmpty {
                found.append(current)
                current = ""
            }
        }
        if !current.isEmpty { found.append(current) }
        return found
    }

    /// Digits from the first non-zero one on.
    private static func significantDigits(_ number: String) -> Int {
        number.filter(\.isNumber).drop { $0 == "0" }.count
    }

    private static func randomValue(_ rng: inout SplitMix, depth: Int) -> String {
        func space() -> String { Int.random(in: 0...9, using: &rng) == 0 ? [" ", "\n", "\t "][Int.random(in: 0...2, using: &rng)] : "" }
        func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }) }
        func number() -> String {
            let whole = Int.random(in: 0...3, using: &rng) == 0 ? "0" : String(Int.random(in: 1...9, using: &rng)) + digits(Int.random(in: 0...17, using: &rng))
            let zeros = String(repeating: "0", count: [0, 0, 0, 1, 2, 3, 4, 6][Int.random(in: 0...7, using: &rng)])
            let fraction = Int.random(in: 0...2, using: &rng) == 0 ? "" : "." + zeros + digits(Int.random(in: 1...17, using: &rng))
            let exponent = Int.random(in: 0...9, using: &rng) == 0 ? ["e", "E", "e+", "e-"][Int.random(in: 0...3, using: &rng)] + String(Int.random(in: 0...30, using: &rng)) : ""
            return (Bool.random(using: &rng) ? "-" : "") + whole + fraction + exponent
        }
        func string() -> String {
            let pieces = ["a", "NH-000001", "竹冈村", "0601", "🌾", "\\\"", "\\\\", "\\/", "\\u00e9", "\\n", "\\u0001", " ", "e", "E"]
            return "\"" + (0..<Int.random(in: 0...4, using: &rng)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }.joined() + "\""
        }
        let kind = depth >= 3 ? Int.random(in: 0...3, using: &rng) : Int.random(in: 0...5, using: &rng)
        switch kind {
        case 0: return number()
        case 1: return string()
        case 2: return ["true", "false", "null"][Int.random(in: 0...2, using: &rng)]
        case 3: return number()
        case 4:
            let items = (0..<Int.random(in: 0...4, using: &rng)).map { _ in space() + randomValue(&rng, depth: depth + 1) + space() }
            return "[" + items.joined(separator: ",") + "]"
        default:
            // Distinct keys (the reader refuses a duplicate).
            let members = (0..<Int.random(in: 0...5, using: &rng)).map { k in
                space() + "\"k\(k)\(["", "名", "\\u0041"][Int.random(in: 0...2, using: &rng)])\"" + space() + ":" + space() + randomValue(&rng, depth: depth + 1) + space()
            }
            return "{" + members.joined(separator: ",") + "}"
        }
    }
}
