import Foundation
import Geometry

/// Output formats of reports.
public enum ReportFormat: String, Sendable, CaseIterable {
    case table, json, csv
}

/// A report that can be printed in each format.
public protocol RenderableReport {
    func json() -> String
    func csv() -> String
    func table() -> String
    /// The report in `format` as UTF-8 bytes, for writing out: by default `render`'s text; a
    /// report that writes its bytes itself hands them over as they are.
    func utf8(_ format: ReportFormat) -> [UInt8]
}

extension RenderableReport {
    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .json: json()
        case .csv: csv()
        case .table: table()
        }
    }

    public func utf8(_ format: ReportFormat) -> [UInt8] { Array(render(format).utf8) }
}

/// A plain-text table with right-aligned numeric columns, for terminals.
public struct TextTable {
    public var headers: [String]
    public var rows: [[String]] = []
    /// Columns aligned right (numbers).
    public var rightAligned: Set<Int>

    public init(headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    public mutating func append(_ row: [String]) { rows.append(row) }

    /// Width in terminal cells: CJK characters take two.
    static func width(_ s: String) -> Int {
        var w = 0
        for u in s.unicodeScalars {
            w += u.value < 0x1100 ? 1 : (u.properties.isIdeographic || (0xFF00...0xFFEF).contains(u.value) ? 2 : 1)
        }
        return w
    }

    public func render() -> String {
        var widths = headers.map(Self.width)
        var cellWidths: [[Int]] = []
        cellWidths.reserveCapacity(rows.count)
        for row in rows {
            let ws = row.map(Self.width)
            for (i, w) in ws.enumerated() where i < widths.count { widths[i] = max(widths[i], w) }
            cellWidths.append(ws)
        }
        var out = ""
        func line(_ cells: [String], _ ws: [Int]) {
            for (i, cell) in cells.enumerated() {
                if i > 0 { out += "  " }
                let pad = max(0, widths[i] - ws[i])
                let last = i == cells.count - 1
                if rightAligned.contains(i) {
                    out += String(repeating: " ", count: pad) + cell
                } else {
                    out += cell
                    if !last { out += String(repeating: " ", count: pad) }
                }
            }
            out += "\n"
        }
        line(headers, headers.map(Self.width))
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for (row, ws) in zip(rows, cellWidths) { line(row, ws) }
        return out
    }
}

/// RFC 4180 CSV.
public enum CSV {
    public static func field(_ s: String) -> String {
        if s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }
}

/// Fixed-decimal number text for reports ("1234.5678"), so columns line up and JSON stays
/// stable; "-0.0000" never appears.
public func fixed(_ value: Double, _ decimals: Int) -> String {
    // Integer arithmetic instead of String(format:), which costs microseconds per call and
    // reports print millions of numbers. Exact for |value| · 10^decimals below 2⁵³.
    let scale = pow10[decimals]
    let scaled = (abs(value) * scale).rounded()
    guard decimals <= 9, scaled < 9_007_199_254_740_992 else {
        let s = String(format: "%.\(decimals)f", value)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }
    let n = Int64(scaled)
    let unit = Int64(scale)
    let whole = String(n / unit)
    let sign = value < 0 && n != 0 ? "-" : ""
    guard decimals > 0 else { return sign + whole }
    let fraction = String(n % unit)
    return sign + whole + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
}

private let pow10: [Double] = (0...9).map { Double("1e\($0)")! }

/// Thousands separators for counts in human-readable text.
public func grouped(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return n < 0 ? "-" + out : out
}
