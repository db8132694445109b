import CSV
import Foundation
import Geometry

/// A CSV file a planner hands in (`transition --file`, `--landuse-map`), read by CSV.swift's
/// RFC 4180 reader: quoted fields may hold commas, quotes ("" inside quotes) and line breaks.
public struct CSVInput: Sendable {
    /// One record with the line it starts on (1-based, the header is line 1 when there is one).
    public struct Record: Sendable, Hashable {
        public var line: Int
        public var fields: [String]
    }

    public var path: String
    public var records: [Record]

    /// Reads the whole file (UTF-8, a byte order mark allowed). Empty lines are skipped; fields
    /// are trimmed of spaces outside quotes. `purpose` names the file in errors.
    public static func read(path: String, purpose: String) throws(LandtrackError) -> CSVInput {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, message: "cannot read the \(purpose)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw .io(path: path, message: "the \(purpose) is not UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        // An odd number of quote characters means a quoted field is never closed; the reader
        // would otherwise take the rest of the file into that field.
        if text.utf8.reduce(0, { $0 + ($1 == UInt8(ascii: "\"") ? 1 : 0) }) % 2 == 1 {
            throw .io(path: path, message: "the \(purpose) has a quoted field that is never closed (an odd number of \" characters)")
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false, trimFields: true)
        } catch {
            throw .io(path: path, message: "cannot read the \(purpose) as CSV: \(error)")
        }
        var records: [Record] = []
        var line = 1
        while let fields = reader.next() {
            let breaks = fields.reduce(0) { $0 + $1.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: line, fields: fields)) }
            line += 1 + breaks
        }
        if let error = reader.error { throw .io(path: path, message: "cannot read the \(purpose) as CSV: \(error)") }
        return CSVInput(path: path, records: records)
    }
}
