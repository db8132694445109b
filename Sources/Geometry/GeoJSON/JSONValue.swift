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

    /// The text of a value just parsed from `bytes`, when those bytes already are what
    /// `jsonText` writes for it: no space between tokens, strings without an escape or a control
    /// character and valid UTF-8, numbers as `numberText` writes them (integers of at most 15
    /// digits but "-0"; decimals of at most 15 significant digits without a trailing zero or an
    /// exponent, from 0.0001 up). Most files' properties are written so, and copying them cost
    /// a seventh of writing them again. nil: write the value (`jsonText`).
    public static func compactText(parsed bytes: UnsafeRawBufferPointer) -> String? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case quote:
                i += 1
                while i < bytes.count, bytes[i] != quote {
                    if bytes[i] == backslash || bytes[i] < 0x20 { return nil }
                    i += 1
                }
                i += 1
            case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ":"), UInt8(ascii: ","):
                i += 1
            // Literals the parse has checked.
            case UInt8(ascii: "t"), UInt8(ascii: "n"): i += 4
            case UInt8(ascii: "f"): i += 5
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let end = compactNumberEnd(bytes, from: i) else { return nil }
                i = end
            // Spaces, NaN and Infinity (written as null).
            default: return nil
            }
        }
        // (The parse refuses invalid UTF-8; checked again, as cheaply.)
        return JSONScanner.string(validUTF8: bytes)
    }

    /// Where the number at `start` ends, if `numberText` writes it as it is (see `compactText`).
    private static func compactNumberEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        let zero = UInt8(ascii: "0")
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= zero && bytes[i] <= zero + 9 }
        var i = start
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        let integerStart = i
        while isDigit(i) { i += 1 }
        let integerDigits = i - integerStart
        guard integerDigits >= 1, integerDigits == 1 || bytes[integerStart] != zero else { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while isDigit(i) { i += 1 }
            // A trailing zero, or an integral value written with a fraction ("5.0"): written shorter.
            guard i > fractionStart, bytes[i - 1] != zero else { return nil }
            var significant = integerDigits + (i - fractionStart)
            if integerDigits == 1, bytes[integerStart] == zero {
                var firstDigit = fractionStart
                while bytes[firstDigit] == zero { firstDigit += 1 }
                // Below 0.0001 Swift writes an exponent ("1e-05").
                guard firstDigit - fractionStart <= 3 else { return nil }
                significant = i - firstDigit
            }
            // At most 15 significant digits: the shortest text that reads back is these digits.
            guard significant <= 15 else { return nil }
        } else {
            // Integers below 10^15 are written as integers; "-0" as "0".
            guard integerDigits <= 15, !(negative && bytes[integerStart] == zero) else { return nil }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") { return nil }
        return i
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
