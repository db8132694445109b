import Foundation

/// Where and why a text is not JSON.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// Byte offset from the start of the input.
    public let offset: Int
    public let line: Int
    public let column: Int

    public var description: String {
        "not valid JSON at line \(line), column \(column) (byte \(offset)): \(message)"
    }
}

/// A pull parser over UTF-8 bytes. It parses one value at a time, so a FeatureCollection can be
/// read feature by feature without a tree of the whole document.
///
/// Leniency, on purpose: `NaN`, `Infinity` and `-Infinity` (written by Python's json module) are
/// read as numbers so that the GeoJSON layer can name the feature and vertex that holds them.
/// Everything else follows RFC 8259.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var index: Int
    /// Buffers the GeoJSON reader reuses from one geometry to the next (a scanner is one thread's
    /// parse): the positions of the list being read, copied out at its end at their exact count,
    /// and the indices of the list being read (for messages). Allocated anew for every ring, they
    /// were a malloc for each doubling.
    var positionScratch: [Point] = []
    var coordinatePath: [Int] = []
    /// Deeper nesting is refused: it is never real data, and recursion must stay bounded.
    static let maximumDepth = 256

    init(bytes: UnsafeRawBufferPointer, start: Int = 0) {
        self.bytes = bytes
        self.index = start
        // A UTF-8 byte order mark is tolerated.
        if start == 0, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
    }

    var isAtEnd: Bool { index >= bytes.count }

    // MARK: Errors

    func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        let offset = min(offset ?? index, bytes.count)
        var line = 1, lineStart = 0
        var i = 0
        while i < offset {
            if bytes[i] == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        // Columns count characters, not bytes: skip UTF-8 continuation bytes.
        var column = 1
        i = lineStart
        while i < offset {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return JSONSyntaxError(message: message, offset: offset, line: line, column: column)
    }

    private func describeByte(at i: Int) -> String {
        guard i < bytes.count else { return "end of input" }
        let b = bytes[i]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return String(format: "byte 0x%02X", b)
    }

    // MARK: Tokens

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed; nil at the end.
    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// `what` is made only for the error: a member name's message built for every key cost a
    /// tenth of the parse.
    mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < bytes.count else { throw error("input ends where \(what()) was expected (truncated file?)") }
        guard bytes[index] == byte else { throw error("expected \(what()), found \(describeByte(at: index))") }
        index += 1
    }

    /// After a member or element: true for ',', false for the closing bracket.
    mutating func commaOrClose(_ close: UInt8, _ context: String) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw error("input ends inside \(context) (truncated file?)") }
        let b = bytes[index]
        if b == UInt8(ascii: ",") {
            index += 1
            return true
        }
        if b == close {
            index += 1
            return false
        }
        throw error("expected ',' or '\(Character(Unicode.Scalar(close)))' in \(context), found \(describeByte(at: index))")
    }

    // MARK: Values

    mutating func parseValue(depth: Int = 0) throws(JSONSyntaxError) -> JSONValue {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
        guard let b = peek() else { throw error("input ends where a value was expected (empty or truncated file?)") }
        switch b {
        case UInt8(ascii: "{"): return .object(try parseObject(depth: depth))
        case UInt8(ascii: "["):
            index += 1
            var items: [JSONValue] = []
            if peek() == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            repeat {
                items.append(try parseValue(depth: depth + 1))
            } while try commaOrClose(UInt8(ascii: "]"), "an array")
            return .array(items)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            if isNumberStart(b) { return .number(try parseNumber()) }
            throw error("expected a value, found \(describeByte(at: index))")
        }
    }

    mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONObject {
        try expect(UInt8(ascii: "{"), "'{'")
        var object = JSONObject()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return object
        }
        // Room for a parcel's usual properties at once (grown one by one, five members were four
        // allocations and three copies).
        object.reserveCapacity(8)
        repeat {
            let key = try parseKey()
            object.append(key, try parseValue(depth: depth + 1))
        } while try commaOrClose(UInt8(ascii: "}"), "an object")
        return object
    }

    /// A member name and its ':'.
    mutating func parseKey() throws(JSONSyntaxError) -> String {
        guard let b = peek() else { throw error("input ends inside an object (truncated file?)") }
        guard b == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes, found \(describeByte(at: index))") }
        let key = try parseString()
        try expect(UInt8(ascii: ":"), "':' after member name \"\(key)\"")
        return key
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let start = index
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw error("input ends inside '\(word)' (truncated file?)") }
        let ok = word.withUTF8Buffer { w in
            (0..<n).allSatisfy { bytes[start + $0] == w[$0] }
        }
        guard ok else { throw error("expected a value, found \(describeByte(at: index))") }
        index += n
    }

    @inline(__always)
    func isNumberStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-")
            || b == UInt8(ascii: "N") || b == UInt8(ascii: "I")
    }

    /// "[x,y]" at the current byte, exactly so (two numbers, no spaces, no NaN): the point;
    /// else nil with the scanner where it was. A syntax error inside a number is thrown as
    /// `parseNumber` throws it anywhere.
    mutating func plainPosition() throws(JSONSyntaxError) -> Point? {
        let start = index
        func isPlainNumberStart(_ i: Int) -> Bool {
            i < bytes.count && ((bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")) || bytes[i] == UInt8(ascii: "-"))
        }
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "["), isPlainNumberStart(index + 1) else { return nil }
        index += 1
        let x = try parseNumber()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ","), isPlainNumberStart(index + 1) else {
            index = start
            return nil
        }
        index += 1
        let y = try parseNumber()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "]") else {
            index = start
            return nil
        }
        index += 1
        return Point(uncheckedX: x, y: y)
    }

    // MARK: Strings

    /// `bytes` as a String if they are valid UTF-8, else nil. Decoded (invalid sequences would
    /// be replaced) and compared: a third of the time of `String(validating:as:)`, whose
    /// generic entry looked up type metadata on every call (village names are not ASCII: every
    /// parcel has one).
    static func string(validUTF8 bytes: UnsafeRawBufferPointer) -> String? {
        var s = String(decoding: bytes, as: UTF8.self)
        let same = s.withUTF8 { decoded in
            decoded.count == bytes.count && (bytes.isEmpty || memcmp(decoded.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
        return same ? s : nil
    }

    mutating func parseString() throws(JSONSyntaxError) -> String {
        let open = index
        try expect(UInt8(ascii: "\""), "'\"'")
        let start = index
        // Fast path: no escapes. Whether any byte is past ASCII, found on the way.
        var seen: UInt8 = 0
        while index < bytes.count {
            let b = bytes[index]
            seen |= b
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if seen < 0x80 { return String(decoding: raw, as: UTF8.self) }
                guard let s = Self.string(validUTF8: raw) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character (byte 0x\(String(b, radix: 16))) inside a string") }
            index += 1
        }
        guard index < bytes.count else { throw error("string never ends (truncated file?)", at: open) }
        // Slow path with escapes.
        var utf8 = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                guard let s = utf8.withUnsafeBytes({ Self.string(validUTF8: $0) }) else {
                    throw error("string is not valid UTF-8", at: start)
                }
                return s
            }
            if b < 0x20 { throw error("control character (byte 0x\(String(b, radix: 16))) inside a string") }
            if b != UInt8(ascii: "\\") {
                utf8.append(b)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): utf8.append(0x22)
            case UInt8(ascii: "\\"): utf8.append(0x5C)
            case UInt8(ascii: "/"): utf8.append(0x2F)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate must be followed by \u and a low surrogate.
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired UTF-16 surrogate in \\u escape")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired UTF-16 surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("unpaired UTF-16 surrogate in \\u escape")
                }
                utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                throw error("unknown escape '\\\(Character(Unicode.Scalar(e)))' in a string", at: index - 2)
            }
        }
        throw error("string never ends (truncated file?)", at: open)
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("input ends inside a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("\\u escape needs four hex digits")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    // MARK: Numbers

    /// 10^k for 0 ≤ k ≤ 22, every one exact in Float64: constants in the code, not a global
    /// array (whose lazy initialisation was checked on every number, 2 % of a parse).
    @inline(__always)
    static func exactPowerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        case 22: 1e22
        default: .nan
        }
    }

    /// RFC 8259 number (plus NaN / ±Infinity, see the type's note). Short numbers take an exact
    /// fast path (Clinger: ≤ 15 significant digits and a power of ten ≤ 10²² are both exact
    /// doubles, so one multiplication or division rounds correctly); others go to strtod.
    mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < bytes.count else { throw error("input ends inside a number") }
        if bytes[index] == UInt8(ascii: "N") {
            try literal("NaN")
            return .nan
        }
        if bytes[index] == UInt8(ascii: "I") {
            try literal("Infinity")
            return negative ? -.infinity : .infinity
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        guard bytes[index] >= zero && bytes[index] <= nine else {
            throw error("a number needs digits after '-'", at: index)
        }
        if bytes[index] == zero {
            index += 1
            if index < bytes.count, bytes[index] >= zero && bytes[index] <= nine {
                throw error("numbers must not have leading zeros", at: start)
            }
        } else {
            while index < bytes.count, bytes[index] >= zero && bytes[index] <= nine {
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(bytes[index] - zero)
                    if mantissa != 0 { digits += 1 }
                } else {
                    exponent += 1
                }
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, bytes[index] >= zero && bytes[index] <= nine else {
                throw error("a number needs digits after '.'", at: index)
            }
            while index < bytes.count, bytes[index] >= zero && bytes[index] <= nine {
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(bytes[index] - zero)
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                }
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var expNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                expNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < bytes.count, bytes[index] >= zero && bytes[index] <= nine else {
                throw error("a number needs digits in its exponent", at: index)
            }
            var e = 0
            while index < bytes.count, bytes[index] >= zero && bytes[index] <= nine {
                if e < 100_000 { e = e * 10 + Int(bytes[index] - zero) }
                index += 1
            }
            exponent += expNegative ? -e : e
        }
        if digits <= 15 && abs(exponent) <= 22 {
            var value = Double(mantissa)
            if exponent < 0 {
                value /= Self.exactPowerOfTen(-exponent)
            } else {
                value *= Self.exactPowerOfTen(exponent)
            }
            return negative ? -value : value
        }
        // strtod on a NUL-terminated copy of the token: correctly rounded, overflow → ±inf.
        var token = [CChar](repeating: 0, count: index - start + 1)
        for i in start..<index { token[i - start] = CChar(bitPattern: bytes[i]) }
        return strtod(token, nil)
    }

    // MARK: Skipping

    /// Skips one value, checking its syntax but building nothing.
    mutating func skipValue(depth: Int = 0) throws(JSONSyntaxError) {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
        guard let b = peek() else { throw error("input ends where a value was expected (truncated file?)") }
        switch b {
        case UInt8(ascii: "{"):
            index += 1
            if peek() == UInt8(ascii: "}") {
                index += 1
                return
            }
            repeat {
                try skipString(expectingKey: true)
                try expect(UInt8(ascii: ":"), "':' after a member name")
                try skipValue(depth: depth + 1)
            } while try commaOrClose(UInt8(ascii: "}"), "an object")
        case UInt8(ascii: "["):
            index += 1
            if peek() == UInt8(ascii: "]") {
                index += 1
                return
            }
            repeat {
                try skipValue(depth: depth + 1)
            } while try commaOrClose(UInt8(ascii: "]"), "an array")
        case UInt8(ascii: "\""):
            try skipString(expectingKey: false)
        default:
            _ = try parseValue(depth: depth)
        }
    }

    /// Where a run of an array's elements starts: just past a comma between two elements, with
    /// the number of elements before it.
    struct ElementCut: Sendable, Equatable {
        var offset: Int
        var elementsBefore: Int
    }

    /// Skips from an opening '[' or '{' to its matching close, following only brackets and
    /// strings (no syntax check: for a first pass whose text is parsed again). `progress` is
    /// called with the offset every megabyte. Returns cuts between the outermost array's
    /// elements, at least `cutSpacing` bytes apart (none by default): each run between two
    /// cuts can be parsed on its own, because the parse that follows goes through the same
    /// brackets and strings; and the commas between its elements.
    @discardableResult
    mutating func skipBalanced(cutSpacing: Int = .max, progress: (Int) -> Void) throws(JSONSyntaxError) -> (cuts: [ElementCut], commas: Int) {
        var scan = BalancedScan(open: index, depth: 0, cutSpacing: cutSpacing, from: index)
        _ = try continueBalanced(&scan, progress: progress)
        return (scan.cuts, scan.commas)
    }

    /// Where a first pass over an array is: how deep, the cuts and commas so far. A scan stopped
    /// just past one of the array's own commas goes on from there as if it had never stopped
    /// (nothing else is known there: no string is open, the depth is the array's).
    struct BalancedScan {
        /// The array's '[' (named when the input ends before it closes).
        let open: Int
        var depth: Int
        let cutSpacing: Int
        var nextCut: Int
        var cuts: [ElementCut] = []
        var commas = 0

        init(open: Int, depth: Int, cutSpacing: Int, from start: Int) {
            self.open = open
            self.depth = depth
            self.cutSpacing = cutSpacing
            nextCut = cutSpacing == .max ? .max : start &+ cutSpacing
        }
    }

    /// Follows brackets and strings from `index`, at `scan`'s depth, until the array closes
    /// (true) or just past the array's own comma that ends at `stop` (false).
    mutating func continueBalanced(_ scan: inout BalancedScan, stop: Int = -1, progress: (Int) -> Void) throws(JSONSyntaxError) -> Bool {
        // Locals, written back on the way out: the loop keeps them in registers.
        var depth = scan.depth, commas = scan.commas, nextCut = scan.nextCut
        defer { (scan.depth, scan.commas, scan.nextCut) = (depth, commas, nextCut) }
        let cutSpacing = scan.cutSpacing
        var nextReport = index + (1 << 20)
        let n = bytes.count
        while index < n {
            // Inside an element (depth 2 and more) only brackets and quotes matter: eight bytes
            // at a time while none of them is one (a coordinate array has one every dozen
            // bytes or so; the first pass of a 534 MB file was a sixth of its parse).
            if depth > 1 {
                while index + 8 <= n {
                    let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self).littleEndian
                    let stop = Self.structural(word)
                    if stop != 0 {
                        // Brackets but no quote (a coordinate array's words): the depth moves by
                        // their count, when its closers cannot bring it down to the features
                        // array inside the word (only there do commas and ends count).
                        let marks = Self.brackets(word)
                        let closers = marks.closing.nonzeroBitCount
                        if marks.quotes == 0, depth - closers >= 2 {
                            depth += marks.opening.nonzeroBitCount - closers
                            index += 8
                            continue
                        }
                        index += stop.trailingZeroBitCount >> 3
                        break
                    }
                    index += 8
                }
                if index >= nextReport {
                    progress(index)
                    nextReport = index + (1 << 20)
                }
                guard index < n else { break }
            }
            let b = bytes[index]
            index += 1
            switch b {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return true }
            case UInt8(ascii: "\""):
                while index < n, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
            case UInt8(ascii: ","):
                guard depth == 1 else { break }
                commas += 1
                if index >= nextCut {
                    scan.cuts.append(ElementCut(offset: index, elementsBefore: commas))
                    nextCut = index &+ cutSpacing
                }
                if index == stop { return false }
            default:
                if index >= nextReport {
                    progress(index)
                    nextReport = index + (1 << 20)
                }
            }
        }
        throw error("input ends inside an array or object that starts here (truncated file?)", at: scan.open)
    }

    /// The high bit of every byte of `word` that is a bracket, a brace or a double quote (bytes
    /// after the first such byte may be marked wrongly; the lowest mark is exact). SWAR: a byte
    /// of `word ^ c` is zero where `word` holds `c`, and `(x - 0x01…) & ~x & 0x80…` marks the
    /// lowest zero byte of `x` exactly.
    @inline(__always)
    static func structural(_ word: UInt64) -> UInt64 {
        @inline(__always) func zeros(_ x: UInt64) -> UInt64 { (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 }
        return zeros(word ^ 0x5B5B_5B5B_5B5B_5B5B) | zeros(word ^ 0x5D5D_5D5D_5D5D_5D5D) | zeros(word ^ 0x7B7B_7B7B_7B7B_7B7B)
            | zeros(word ^ 0x7D7D_7D7D_7D7D_7D7D) | zeros(word ^ 0x2222_2222_2222_2222)
    }

    /// The high bit of exactly those bytes of `word` that open ('[', '{'), close (']', '}') or
    /// quote. Exact in every byte (no borrow between bytes): a byte of `x` is zero exactly when
    /// `(x & 0x7F) + 0x7F` and `x` both leave its high bit clear.
    @inline(__always)
    static func brackets(_ word: UInt64) -> (opening: UInt64, closing: UInt64, quotes: UInt64) {
        @inline(__always) func zeros(_ x: UInt64) -> UInt64 {
            ~(((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x | 0x7F7F_7F7F_7F7F_7F7F)
        }
        return (zeros(word ^ 0x5B5B_5B5B_5B5B_5B5B) | zeros(word ^ 0x7B7B_7B7B_7B7B_7B7B),
                zeros(word ^ 0x5D5D_5D5D_5D5D_5D5D) | zeros(word ^ 0x7D7D_7D7D_7D7D_7D7D),
                zeros(word ^ 0x2222_2222_2222_2222))
    }

    /// Skips a string; escapes and UTF-8 are checked only in what is later parsed.
    private mutating func skipString(expectingKey: Bool) throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            throw error(expectingKey ? "expected a member name in double quotes, found \(describeByte(at: index))"
                                     : "expected a string")
        }
        let open = index
        index += 1
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return
            }
            if b == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if b < 0x20 { throw error("control character (byte 0x\(String(b, radix: 16))) inside a string") }
            index += 1
        }
        throw error("string never ends (truncated file?)", at: open)
    }
}
