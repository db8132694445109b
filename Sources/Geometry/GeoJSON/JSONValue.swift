/// A JSON value as read from a file: properties of features are kept as these, typed.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name used in error messages ("a string", "an object", …).
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var numberValue: Double? {
        if case let .number(n) = self { return n }
        return nil
    }

    public var objectValue: JSONObject? {
        if case let .object(o) = self { return o }
        return nil
    }

    /// Text for an identifier or a category: strings as they are, integral numbers without a
    /// decimal point (106806035, not 106806035.0), other numbers in shortest form.
    public var identifierText: String? {
        switch self {
        case let .string(s): return s
        case let .number(n):
            if n == n.rounded(), abs(n) < 9_007_199_254_740_992 { return String(Int64(n)) }
            return String(n)
        case let .bool(b): return String(b)
        default: return nil
        }
    }

    /// Parses one JSON document.
    public static func parse(_ text: String) throws(LandtrackError) -> JSONValue {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses one JSON document from UTF-8 bytes (a byte order mark is skipped).
    public static func parse(bytes: [UInt8]) throws(LandtrackError) -> JSONValue {
        let result: Result<JSONValue, JSONSyntaxError> = bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(bytes: raw)
            do throws(JSONSyntaxError) {
                let value = try scanner.parseValue()
                if scanner.peek() != nil { throw scanner.error("unexpected text after the end of the document") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        do {
            return try result.get()
        } catch {
            throw .json(error)
        }
    }

    /// Compact JSON text (made as UTF-8 bytes: a String grown by a few dozen small appends a
    /// parcel spent most of its time in the appends).
    public var jsonText: String {
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Compact JSON text appended to UTF-8 bytes.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .number(n): out.append(contentsOf: JSONValue.numberText(n).utf8)
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(object):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in object.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Shortest text that reads back as the same double; integral values without ".0";
    /// non-finite values (which JSON cannot hold) as null.
    public static func numberText(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return String(n)
    }

    /// `s` as a JSON string literal appended to `out`.
    public static func writeString(_ s: String, to out: inout String) {
        // Most strings (ids, names, codes) need no escape: appended whole.
        if !needsEscape(s) {
            out += "\""
            out += s
            out += "\""
            return
        }
        var bytes: [UInt8] = []
        writeString(s, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// `s` as a JSON string literal appended to UTF-8 bytes (long reports are built as bytes: a
    /// String grown by a million small appends spent most of its time in the appends): `"`, `\`
    /// and control characters escaped (`\n`, `\r`, `\t`, else `\u00XX`), everything else as it is.
    public static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        guard needsEscape(s) else {
            out.append(contentsOf: s.utf8)
            out.append(0x22)
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        // Bytes of multi-byte characters are all ≥ 0x80: only ASCII is ever escaped.
        for byte in s.utf8 {
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    private static func needsEscape(_ s: String) -> Bool {
        // Over the contiguous bytes (a native string's, without a copy): the UTF-8 view's
        // iterator cost an import's parsing thread 3 %.
        var s = s
        return s.withUTF8 { bytes in bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } }
    }
}

/// A JSON object with its members in file order.
public struct JSONObject: Sendable, Hashable {
    public private(set) var members: [(String, JSONValue)] = []
    /// The first member name that occurred twice, if any (RFC 8259: names SHOULD be unique;
    /// for GeoJSON members a duplicate makes the document ambiguous).
    public private(set) var firstDuplicateKey: String?

    public init() {}

    public init(_ members: [(String, JSONValue)]) {
        for (k, v) in members { append(k, v) }
    }

    public mutating func reserveCapacity(_ count: Int) { members.reserveCapacity(count) }

    public mutating func append(_ key: String, _ value: JSONValue) {
        if firstDuplicateKey == nil, members.contains(where: { $0.0 == key }) { firstDuplicateKey = key }
        members.append((key, value))
    }

    /// The first member with this name.
    public subscript(key: String) -> JSONValue? {
        for (k, v) in members where k == key { return v }
        return nil
    }

    public var keys: [String] { members.map(\.0) }
    public var isEmpty: Bool { members.isEmpty }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.members.count == b.members.count && zip(a.members, b.members).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public func hash(into hasher: inout Hasher) {
        for (k, v) in members {
            hasher.combine(k)
            hasher.combine(v)
        }
    }
}
