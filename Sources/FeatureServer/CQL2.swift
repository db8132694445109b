import Foundation
import Geometry
import Parcels
import Store

/// CQL2 text (OGC 21-065, the `filter` parameter of OGC API – Features Part 3), the subset a
/// planner's filters need: comparisons, `AND`/`OR`/`NOT`, `IN`, `LIKE`, `BETWEEN`, `IS NULL`
/// on the parcel queryables, and `S_INTERSECTS(geometry, POLYGON(...)|MULTIPOLYGON(...)|BBOX(...))`.
/// The text becomes a `FeatureFilter` value; backends bind its values as SQL parameters.
/// Geometry literals are read in the filter's CRS and handed to `area`, which brings them into
/// the store's CRS (`filter-crs`).
struct CQL2Parser {
    /// A parse failure with the character position (1-based) where it was found.
    struct Failure: Error, CustomStringConvertible {
        let position: Int
        let message: String
        var description: String { "at character \(position): \(message)" }
    }

    /// Brings a geometry literal (polygons as written, in the filter's CRS and axis order)
    /// into the store's CRS.
    private let area: ([Polygon]) throws(LandtrackError) -> SpatialArea

    private enum Token: Equatable {
        case word(String)        // identifiers and keywords, as written
        case quoted(String)      // "identifier"
        case string(String)      // 'text'
        case number(Double)
        case symbol(String)      // ( ) , = <> < <= > >=
        case end
    }

    private var tokens: [(token: Token, position: Int)] = []
    private var index = 0
    private let text: [Character]

    init(_ text: String, area: @escaping ([Polygon]) throws(LandtrackError) -> SpatialArea) throws(Failure) {
        self.text = Array(text)
        self.area = area
        try tokenize()
    }

    /// Parses the whole text into a filter.
    mutating func parse() throws(Failure) -> FeatureFilter {
        let f = try orExpression()
        guard case .end = current else { throw failure("unexpected \(describe(current)) after a complete condition") }
        return f
    }

    // MARK: Tokens

    private mutating func tokenize() throws(Failure) {
        var i = 0
        while i < text.count {
            let c = text[i], start = i + 1
            if c.isWhitespace { i += 1; continue }
            if c == "'" {
                var s = ""
                i += 1
                while true {
                    guard i < text.count else { throw Failure(position: start, message: "a 'string' is not closed") }
                    if text[i] == "'" {
                        if i + 1 < text.count && text[i + 1] == "'" { s.append("'"); i += 2; continue }
                        i += 1
                        break
                    }
                    s.append(text[i]); i += 1
                }
                tokens.append((.string(s), start))
            } else if c == "\"" {
                var s = ""
                i += 1
                while i < text.count && text[i] != "\"" { s.append(text[i]); i += 1 }
                guard i < text.count else { throw Failure(position: start, message: "a \"quoted\" property name is not closed") }
                i += 1
                tokens.append((.quoted(s), start))
            } else if c.isNumber || ((c == "-" || c == "+" || c == ".") && i + 1 < text.count && (text[i + 1].isNumber || text[i + 1] == ".")) {
                var s = String(c)
                i += 1
                while i < text.count, text[i].isNumber || text[i] == "." || text[i] == "e" || text[i] == "E"
                        || ((text[i] == "-" || text[i] == "+") && (text[i - 1] == "e" || text[i - 1] == "E")) {
                    s.append(text[i]); i += 1
                }
                guard let v = Double(s), v.isFinite else { throw Failure(position: start, message: "'\(s)' is not a number") }
                tokens.append((.number(v), start))
            } else if c.isLetter || c == "_" {
                var s = ""
                while i < text.count, text[i].isLetter || text[i].isNumber || text[i] == "_" || text[i] == ":" || text[i] == "." {
                    s.append(text[i]); i += 1
                }
                tokens.append((.word(s), start))
            } else if "<>".contains(c) || c == "=" || c == "(" || c == ")" || c == "," {
                if c == "<", i + 1 < text.count, text[i + 1] == ">" || text[i + 1] == "=" {
                    tokens.append((.symbol(String([c, text[i + 1]])), start)); i += 2
                } else if c == ">", i + 1 < text.count, text[i + 1] == "=" {
                    tokens.append((.symbol(">="), start)); i += 2
                } else {
                    tokens.append((.symbol(String(c)), start)); i += 1
                }
            } else {
                throw Failure(position: start, message: "unexpected character '\(c)'")
            }
        }
        tokens.append((.end, text.count + 1))
    }

    private var current: Token { tokens[index].token }
    private var position: Int { tokens[index].position }

    private func failure(_ message: String) -> Failure { Failure(position: position, message: message) }

    private func describe(_ t: Token) -> String {
        switch t {
        case let .word(w): "'\(w)'"
        case let .quoted(q): "\"\(q)\""
        case let .string(s): "'\(s)'"
        case let .number(n): JSONValue.numberText(n)
        case let .symbol(s): "'\(s)'"
        case .end: "the end of the filter"
        }
    }

    private func isKeyword(_ k: String) -> Bool {
        if case let .word(w) = current { return w.uppercased() == k }
        return false
    }

    private mutating func accept(_ k: String) -> Bool {
        guard isKeyword(k) else { return false }
        index += 1
        return true
    }

    private mutating func expect(symbol s: String) throws(Failure) {
        guard current == .symbol(s) else { throw failure("expected '\(s)', found \(describe(current))") }
        index += 1
    }

    // MARK: Grammar

    private mutating func orExpression() throws(Failure) -> FeatureFilter {
        var terms = [try andExpression()]
        while accept("OR") { terms.append(try andExpression()) }
        return terms.count == 1 ? terms[0] : .or(terms)
    }

    private mutating func andExpression() throws(Failure) -> FeatureFilter {
        var terms = [try notExpression()]
        while accept("AND") { terms.append(try notExpression()) }
        return terms.count == 1 ? terms[0] : .and(terms)
    }

    private mutating func notExpression() throws(Failure) -> FeatureFilter {
        if accept("NOT") { return .not(try notExpression()) }
        return try primary()
    }

    private mutating func primary() throws(Failure) -> FeatureFilter {
        if current == .symbol("(") {
            index += 1
            let f = try orExpression()
            try expect(symbol: ")")
            return f
        }
        if accept("S_INTERSECTS") { return try spatial() }
        let (queryable, scale) = try property()
        let negated = accept("NOT")
        if accept("LIKE") {
            guard queryable.kind == .text else { throw failure("LIKE applies to text properties; \(queryable.rawValue) is not text") }
            guard case let .string(pattern) = current else { throw failure("LIKE needs a 'pattern' in single quotes") }
            index += 1
            return negated ? .not(.like(queryable, pattern)) : .like(queryable, pattern)
        }
        if accept("IN") {
            try expect(symbol: "(")
            var values = [try value(for: queryable, scale: scale)]
            while current == .symbol(",") {
                index += 1
                values.append(try value(for: queryable, scale: scale))
            }
            try expect(symbol: ")")
            return negated ? .not(.isIn(queryable, values)) : .isIn(queryable, values)
        }
        if accept("BETWEEN") {
            let low = try value(for: queryable, scale: scale)
            guard accept("AND") else { throw failure("BETWEEN needs AND between its two values") }
            let high = try value(for: queryable, scale: scale)
            let f = FeatureFilter.and([.compare(queryable, .greaterOrEqual, low), .compare(queryable, .lessOrEqual, high)])
            return negated ? .not(f) : f
        }
        if negated { throw failure("NOT after a property must be followed by LIKE, IN or BETWEEN") }
        if accept("IS") {
            let not = accept("NOT")
            guard accept("NULL") else { throw failure("IS must be followed by NULL or NOT NULL") }
            return not ? .not(.isNull(queryable)) : .isNull(queryable)
        }
        guard case let .symbol(s) = current, let op = FeatureFilter.Comparison(rawValue: s) else {
            throw failure("expected a comparison (=, <>, <, <=, >, >=), LIKE, IN, BETWEEN or IS after \(queryable.rawValue), found \(describe(current))")
        }
        index += 1
        let v = try value(for: queryable, scale: scale)
        if queryable.kind != .number, op != .equal, op != .notEqual {
            throw failure("\(queryable.rawValue) can be compared with = or <> only")
        }
        return .compare(queryable, op, v)
    }

    /// A property name: a queryable, or area_mu (area_m2 in mu).
    private mutating func property() throws(Failure) -> (Queryable, Double) {
        let name: String
        switch current {
        case let .word(w): name = w
        case let .quoted(q): name = q
        default: throw failure("expected a property (\(Self.propertyNames)), found \(describe(current))")
        }
        index += 1
        if name == "area_mu" { return (.areaSquareMetres, 2000.0 / 3) }
        guard let q = Queryable(rawValue: name) else {
            throw Failure(position: tokens[index - 1].position, message: "'\(name)' is not a queryable; queryables: \(Self.propertyNames)")
        }
        return (q, 1)
    }

    static let propertyNames = (Queryable.allCases.map(\.rawValue) + ["area_mu", "geometry"]).joined(separator: ", ")

    /// A literal of the queryable's type (states checked against the states there are).
    private mutating func value(for q: Queryable, scale: Double) throws(Failure) -> FilterValue {
        let token = current
        index += 1
        switch (q.kind, token) {
        case let (.text, .string(s)):
            if q == .state, ParcelState(rawValue: s) == nil {
                throw Failure(position: tokens[index - 1].position,
                              message: "'\(s)' is not a state; states: \(ParcelState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .text(s)
        case let (.number, .number(n)): return .number(n * scale)
        case let (.boolean, .word(w)) where ["TRUE", "FALSE"].contains(w.uppercased()): return .boolean(w.uppercased() == "TRUE")
        default:
            index -= 1
            let wanted = switch q.kind {
            case .text: "a 'text' in single quotes"
            case .number: "a number"
            case .boolean: "TRUE or FALSE"
            }
            throw failure("\(q.rawValue) needs \(wanted), found \(describe(token))")
        }
    }

    /// `S_INTERSECTS(geometry, literal)` (either order).
    private mutating func spatial() throws(Failure) -> FeatureFilter {
        try expect(symbol: "(")
        var literal: [Polygon]?
        var sawProperty = false
        for k in 0..<2 {
            if k == 1 { try expect(symbol: ",") }
            if isKeyword("GEOMETRY") || current == .quoted("geometry") {
                index += 1
                sawProperty = true
            } else {
                literal = try geometryLiteral()
            }
        }
        try expect(symbol: ")")
        guard sawProperty, let literal else {
            throw failure("S_INTERSECTS compares the property geometry with a POLYGON, MULTIPOLYGON or BBOX literal")
        }
        do {
            return .intersects(try area(literal))
        } catch {
            throw failure("the S_INTERSECTS geometry cannot be used: \(error)")
        }
    }

    /// A POLYGON/MULTIPOLYGON in WKT (read by GEOS) or a CQL2 BBOX(x1, y1, x2, y2).
    private mutating func geometryLiteral() throws(Failure) -> [Polygon] {
        let start = position
        guard case let .word(w) = current else { throw failure("expected a geometry literal, found \(describe(current))") }
        let kind = w.uppercased()
        if kind == "BBOX" || kind == "ENVELOPE" {
            index += 1
            try expect(symbol: "(")
            var n: [Double] = []
            while case let .number(v) = current {
                n.append(v)
                index += 1
                if current == .symbol(",") { index += 1 }
            }
            try expect(symbol: ")")
            guard n.count == 4, n[0] <= n[2], n[1] <= n[3] else {
                throw Failure(position: start, message: "BBOX needs four numbers: min x, min y, max x, max y (in the filter-crs axis order)")
            }
            return [try Self.rectangle(n[0], n[1], n[2], n[3], at: start)]
        }
        guard kind == "POLYGON" || kind == "MULTIPOLYGON" else {
            throw failure("S_INTERSECTS takes a POLYGON, MULTIPOLYGON or BBOX; '\(w)' is not supported")
        }
        // The WKT runs from the keyword to its matching parenthesis: hand that text to GEOS.
        index += 1
        guard current == .symbol("(") else { throw failure("expected '(' after \(kind)") }
        var depth = 0
        repeat {
            if current == .symbol("(") { depth += 1 }
            if current == .symbol(")") { depth -= 1 }
            if current == .end { throw Failure(position: start, message: "\(kind) is not closed") }
            index += 1
        } while depth > 0
        let end = tokens[index - 1].position
        let wkt = String(text[(start - 1)..<end])
        let ctx = GEOSContext()
        do {
            let handle = try ctx.readWKT(wkt)
            let validity = try ctx.validity(handle)
            guard validity.isValid else { throw Failure(position: start, message: "\(kind) is not valid: \(validity.reason ?? "invalid")") }
            let parts = try ctx.value(handle).polygonalParts
            guard !parts.isEmpty else { throw Failure(position: start, message: "\(kind) is empty") }
            return parts
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure(position: start, message: "\(kind) is not valid WKT: \(error)")
        }
    }

    static func rectangle(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, at position: Int) throws(Failure) -> Polygon {
        do {
            return try Polygon(rings: [[try Point(x: x0, y: y0), try Point(x: x1, y: y0), try Point(x: x1, y: y1), try Point(x: x0, y: y1), try Point(x: x0, y: y0)]])
        } catch {
            throw Failure(position: position, message: "the box is not valid: \(error)")
        }
    }
}
