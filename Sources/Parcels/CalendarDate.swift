import Foundation
import Geometry

/// A calendar date (effective dates of programme events): "2024-03-15". Ordered; no time zone.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// year << 9 | month << 5 | day: four bytes (every event carries a date), ordered as the
    /// dates are.
    private let packed: UInt32

    public var year: Int { Int(packed >> 9) }
    public var month: Int { Int(packed >> 5 & 15) }
    public var day: Int { Int(packed & 31) }

    public init?(year: Int, month: Int, day: Int) {
        guard (1900...2999).contains(year), (1...12).contains(month), day >= 1 else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let length = switch month {
        case 2: leap ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
        guard day <= length else { return nil }
        packed = UInt32(year) << 9 | UInt32(month) << 5 | UInt32(day)
    }

    /// Parses "YYYY-MM-DD"; throws a message naming the text.
    public init(parsing text: String) throws(LandtrackError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              let date = CalendarDate(year: y, month: m, day: d) else {
            throw .invalidArgument("'\(text)' is not a date: write YYYY-MM-DD, e.g. 2024-03-15")
        }
        self = date
    }

    /// "YYYY-MM-DD" exactly (as the store writes dates), read from its UTF-8 bytes; nil otherwise.
    public init?(iso text: String) {
        var text = text
        let parsed = text.withUTF8 { b -> (Int, Int, Int)? in
            guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var n = 0
                for i in range {
                    let d = Int(b[i]) - 0x30
                    guard (0...9).contains(d) else { return nil }
                    n = n * 10 + d
                }
                return n
            }
            guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
            return (y, m, d)
        }
        guard let (y, m, d) = parsed, let date = CalendarDate(year: y, month: m, day: d) else { return nil }
        self = date
    }

    /// Today in the local time zone.
    public static var today: CalendarDate {
        let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return CalendarDate(year: c.year!, month: c.month!, day: c.day!)!
    }

    /// The previous calendar day.
    public func dayBefore() throws(LandtrackError) -> CalendarDate {
        if day > 1 { return CalendarDate(year: year, month: month, day: day - 1)! }
        if month > 1 {
            for d in stride(from: 31, through: 28, by: -1) {
                if let date = CalendarDate(year: year, month: month - 1, day: d) { return date }
            }
        }
        guard let date = CalendarDate(year: year - 1, month: 12, day: 31) else { throw .invalidArgument("no day before \(self)") }
        return date
    }

    /// YYYY-MM-DD. Written byte by byte: every event row of an import formats one, and
    /// `String(format:)` cost about as much as the rest of the row (joining padded strings, a
    /// fifth of binding an event).
    public var description: String {
        // Years are four digits (1900–2999: `init` refuses others).
        let (year, month, day) = (year, month, day)
        return String(unsafeUninitializedCapacity: 10) { text in
            func put(_ value: Int, _ width: Int, at start: Int) {
                var value = value
                for i in stride(from: start + width - 1, through: start, by: -1) {
                    text[i] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            text[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            text[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            return 10
        }
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        a.packed < b.packed
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try CalendarDate(parsing: text) } catch { throw error }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
