import Foundation
import Geometry

/// Parcel ids are text compared exactly as stored: 1 to 256 characters, none of them a C0
/// control character (U+0000–U+001F) or DEL. A NUL would be cut off by C interfaces on the
/// way to a database (so "DUP-1\u{0}" would become "DUP-1"), and control characters make ids
/// that look alike in every listing. Every way in (files, CLI arguments, URL path segments,
/// JSON bodies, CSV rows) checks ids here.
public enum ParcelID {
    public static let maximumLength = 256

    /// The order both stores sort ids in (SQLite's BINARY, PostgreSQL's "C" collation): their
    /// UTF-8 bytes, compared as memcmp compares them. Inlinable: the planner's reports walk two
    /// lists of a million parcels by it, several times a `check`, and a call across modules for
    /// each comparison was a fifth of that thread's time.
    @inlinable
    public static func precedes(_ x: String, _ y: String) -> Bool { order(x, y) < 0 }

    /// Where `x` stands against `y` in that order: negative before, 0 the same bytes, positive
    /// after (a walk of two lists asks once per step what two questions would).
    @inlinable
    public static func order(_ x: String, _ y: String) -> Int {
        // Read in place (a small string's bytes on the stack), compared byte by byte: ids are
        // short, and a call to memcmp cost more than the loop.
        if let order = x.utf8.withContiguousStorageIfAvailable({ a in
            y.utf8.withContiguousStorageIfAvailable { b in
                let n = min(a.count, b.count)
                var k = 0
                while k < n {
                    if a[k] != b[k] { return Int(a[k]) - Int(b[k]) }
                    k += 1
                }
                return a.count - b.count
            }
        }), let order { return order }
        // A string not stored as UTF-8 (bridged): its UTF-8 view.
        return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : x.utf8.elementsEqual(y.utf8) ? 0 : 1
    }

    /// What is wrong with `id`, or nil when it is a good id.
    public static func problem(_ id: String) -> String? {
        // Most ids: at most 256 bytes (so at most 256 characters) and no byte below 0x20 or 0x7F
        // (in UTF-8 those bytes are the control characters themselves, never part of another):
        // good, without counting characters (an import checks every id on its writer's thread).
        var text = id
        if text.withUTF8({ b in !b.isEmpty && b.count <= maximumLength && !b.contains { $0 < 0x20 || $0 == 0x7F } }) { return nil }
        if id.isEmpty { return "an id must not be empty" }
        if id.count > maximumLength { return "an id has at most \(maximumLength) characters, this one has \(id.count)" }
        for (i, scalar) in id.unicodeScalars.enumerated() where scalar.value < 0x20 || scalar.value == 0x7F {
            return String(format: "it contains the control character U+%04X at position %d; ids are text without control characters", scalar.value, i + 1)
        }
        return nil
    }

    /// Whether `text` holds a C0 control character or DEL (ids, and names recorded with changes).
    public static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// The refusal for a bad id (nil when it is good).
    public static func refusal(_ id: String, origin: String? = nil) -> Refusal? {
        problem(id).map { Refusal(.invalidID(id: id, problem: $0), origin: origin) }
    }

    /// Checks every id; throws every bad one at once.
    public static func check(_ ids: [String], origin: String? = nil) throws(LandtrackError) {
        let refusals = ids.compactMap { refusal($0, origin: origin) }
        guard refusals.isEmpty else { throw .refused(refusals) }
    }
}
