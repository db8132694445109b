import Foundation
import Geometry

/// GB/T 21010-2017 land-use codes → parcel states, for parcels whose file has no state field.
/// Codes match by their longest listed prefix ("0101" before "01"). The default table can be
/// replaced by a CSV file of `code,state` lines (`--landuse-map FILE`).
public struct LanduseMapping: Sendable {
    public private(set) var table: [String: ParcelState]

    public init(table: [String: ParcelState]) { self.table = table }

    /// The default table:
    /// - 0101 水田, 0102 水浇地, 0103 旱地 → farmland (耕地)
    /// - 0601 工业用地, 0602 采矿用地 → industrial_park
    /// - 1204 盐碱地, 1205 沙地, 1206 裸土地, 1207 裸岩石砾地 → wasteland (unused land)
    /// - 03 林地, 04 草地 → eco_restored
    /// - every other code → other
    public static let standard = LanduseMapping(table: [
        "0101": .farmland, "0102": .farmland, "0103": .farmland,
        "0601": .industrialPark, "0602": .industrialPark,
        "1204": .wasteland, "1205": .wasteland, "1206": .wasteland, "1207": .wasteland,
        "03": .ecoRestored, "04": .ecoRestored,
    ])

    public func state(for code: String) -> ParcelState {
        var prefix = code.trimmingCharacters(in: .whitespaces)
        while !prefix.isEmpty {
            if let s = table[prefix] { return s }
            prefix.removeLast()
        }
        return .other
    }

    /// Reads `code,state` records (CSV; a header record `code,state` is allowed); errors name
    /// the line.
    public static func load(path: String) throws(LandtrackError) -> LanduseMapping {
        let csv = try CSVInput.read(path: path, purpose: "land-use mapping file")
        var table: [String: ParcelState] = [:]
        for (i, record) in csv.records.enumerated() {
            let fields = record.fields
            if i == 0 && fields.first?.lowercased() == "code" { continue }
            guard fields.count == 2, !fields[0].isEmpty, let state = ParcelState(parsing: fields[1]) else {
                throw .invalidArgument("\(path) line \(record.line): expected `code,state` with a known state, got \(fields.map(quoted).joined(separator: ","))")
            }
            table[fields[0]] = state
        }
        return LanduseMapping(table: table)
    }
}
