import Foundation
import PropertyBased
import Testing
@testable import Geometry

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
        await propertyCheck(count: 500, input: Gen.double(in: -1e6...1e6), Gen.int(in: 0...12)) { value, decimals in
            let text = String(format: "%.\(decimals)f", value)
            let parsed = try parse(text)
            #expect(parsed == .number(Double(text)!), "\(text)")
        }
        for text in ["0", "-0", "1e400", "-1e400", "2.2250738585072014e-308", "123456789012345678901234567890",
                     "0.1", "113.1234567", "23.0506898", "1E2", "1e-7", "4.9e-324", "9007199254740993"] {
            #expect(try parse(text) == .number(Double(text)!), "\(text)")
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
        // And Foundation agrees that it is JSON.
        #expect((try? JSONSerialization.jsonObject(with: Data(value.jsonText.utf8))) != nil)
    }
}
