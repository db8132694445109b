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

    /// Compact JSON text.
    public var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n): out += JSONValue.numberText(n)
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case let .object(object):
            out += "{"
            for (i, (key, value)) in object.members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    /// Shortest text that reads back as the same double; integral values without ".0";
    /// non-finite values (which JSON cannot hold) as null.
    public static func numberText(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return String(n)
    }

    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        // Most strings (ids, names, codes) need no escape: appended whole.
        var plain = true
        for byte in s.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            plain = false
            break
        }
        if plain {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
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
