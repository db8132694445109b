import Foundation
import Geometry
import GRDB

/// A requested state change.
public struct TransitionRequest: Sendable, Hashable {
    public var parcelID: String
    public var to: ParcelState
    public var date: CalendarDate
    public var ref: String?
    public var note: String?
    /// Where the request came from, for messages ("changes.csv line 4").
    public var origin: String?

    public init(parcelID: String, to: ParcelState, date: CalendarDate, ref: String? = nil, note: String? = nil, origin: String? = nil) {
        self.parcelID = parcelID
        self.to = to
        self.date = date
        self.ref = ref
        self.note = note
        self.origin = origin
    }

    /// Reads `id,to,date,ref,note` rows (header required). Every bad row is named with its line
    /// number; nothing is returned unless all rows are good.
    public static func load(csv path: String) throws(LandtrackError) -> [TransitionRequest] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .io(path: path, message: "cannot read the transitions file")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .init(charactersIn: "\r")) }
        while lines.last == "" { lines.removeLast() }
        guard let header = lines.first?.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }),
              Array(header.prefix(3)) == ["id", "to", "date"] else {
            throw .invalidArgument("\(path) line 1: the header must be id,to,date[,ref,note]")
        }
        var requests: [TransitionRequest] = []
        var problems: [Diagnostic] = []
        for (i, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let f = CSV.fields(line)
            let origin = "\(path) line \(i + 1)"
            guard f.count >= 3 else {
                problems.append(Diagnostic("bad-row", "\(origin): expected id,to,date[,ref,note], got '\(line)'"))
                continue
            }
            guard let to = ParcelState(parsing: f[1]) else {
                problems.append(Diagnostic("unknown-state", "\(origin): state '\(f[1])' is not one of: \(ParcelState.vocabulary)", featureID: f[0]))
                continue
            }
            let date: CalendarDate
            do { date = try CalendarDate(parsing: f[2]) } catch {
                problems.append(Diagnostic("bad-date", "\(origin): \(error)", featureID: f[0]))
                continue
            }
            requests.append(TransitionRequest(parcelID: f[0], to: to, date: date, ref: f.count > 3 && !f[3].isEmpty ? f[3] : nil,
                                              note: f.count > 4 && !f[4].isEmpty ? f[4] : nil, origin: origin))
        }
        guard problems.isEmpty else { throw .invalidInput(source: path, problems: problems) }
        return requests
    }
}

extension ParcelStore {
    /// Applies state changes, all or nothing, each checked against `rules` (and, for moves into
    /// `industrial_park`, against the eco_redline layer). A refusal names the parcel, the rule
    /// and the moves that are allowed.
    @discardableResult
    public func transition(_ requests: [TransitionRequest], rules: TransitionRules = .standard,
                           by: String = ParcelStore.defaultUser) throws(LandtrackError) -> [ParcelEvent] {
        try write { db in
            let redline = try Self.layerGeometries(db, .ecoRedline)
            var problems: [Diagnostic] = []
            var ids: [Int64] = []
            let recordedAt = ISO8601DateFormatter().string(from: Date())
            for r in requests {
                let prefix = r.origin.map { "\($0): " } ?? ""
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM parcels WHERE parcel_id = ?", arguments: [r.parcelID]) else {
                    problems.append(Diagnostic("unknown-parcel", "\(prefix)no parcel \"\(r.parcelID)\" in the store"))
                    continue
                }
                let parcel = try Self.storedParcel(row)
                guard parcel.active else {
                    problems.append(Diagnostic("retired-parcel", "\(prefix)parcel \"\(r.parcelID)\" was retired by a split or merge"))
                    continue
                }
                if let last = try String.fetchOne(db, sql: "SELECT max(effective_date) FROM parcel_events WHERE parcel_id = ?", arguments: [r.parcelID]),
                   last > r.date.description {
                    problems.append(Diagnostic("dated-before-history",
                        "\(prefix)parcel \"\(r.parcelID)\": the change is dated \(r.date), before the parcel's last event (\(last))"))
                    continue
                }
                guard parcel.state != r.to else {
                    problems.append(Diagnostic("no-change", "\(prefix)parcel \"\(r.parcelID)\" is already \(r.to.rawValue)"))
                    continue
                }
                let inside = try r.to == .industrialPark && Self.overlapsAny(parcel.polygons, redline)
                let move = TransitionRules.Move(from: parcel.state, to: r.to, basicFarmland: parcel.basicFarmland, insideEcoRedline: inside)
                switch rules.decide(move) {
                case let .refused(rule, allowed):
                    let why = rule.map { "rule \($0.id) refuses it: \($0.reason)" + ($0.source.map { " (\($0))" } ?? "") }
                        ?? "no rule allows \(parcel.state.rawValue) → \(r.to.rawValue)"
                    let options = allowed.isEmpty ? "none" : allowed.map(\.rawValue).joined(separator: ", ")
                    problems.append(Diagnostic("illegal-transition",
                        "\(prefix)parcel \"\(r.parcelID)\" cannot move \(parcel.state.rawValue) → \(r.to.rawValue): \(why); "
                            + "moves allowed from \(parcel.state.rawValue) for this parcel: \(options)"))
                case let .allowed(rule):
                    let note = [r.note, rule.records.map { "recorded as \($0.replacingOccurrences(of: "_", with: " "))" }]
                        .compactMap { $0 }.joined(separator: "; ")
                    try db.execute(sql: "UPDATE parcels SET state = ? WHERE parcel_id = ?", arguments: [r.to.rawValue, r.parcelID])
                    try db.execute(sql: """
                        INSERT INTO parcel_events (parcel_id, kind, from_state, to_state, effective_date, recorded_at, recorded_by, ref, note, rule_id)
                        VALUES (?, 'transition', ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [r.parcelID, parcel.state.rawValue, r.to.rawValue, r.date.description, recordedAt, by, r.ref,
                                         note.isEmpty ? nil : note, rule.id])
                    ids.append(db.lastInsertedRowID)
                }
            }
            // All or nothing: throwing rolls the transaction back.
            guard problems.isEmpty else { throw LandtrackError.invalidInput(source: "transition", problems: problems) }
            return try ids.map { id in
                let pid = try String.fetchOne(db, sql: "SELECT parcel_id FROM parcel_events WHERE event_id = ?", arguments: [id])!
                return try Self.events(db, parcel: pid).first { $0.eventID == id }!
            }
        }
    }

    /// Designates a parcel permanent basic farmland or releases it, as a dated event.
    @discardableResult
    public func setBasicFarmland(_ id: String, designated: Bool, date: CalendarDate, ref: String? = nil, note: String? = nil,
                                 by: String = ParcelStore.defaultUser) throws(LandtrackError) -> ParcelEvent {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT basic_farmland, active FROM parcels WHERE parcel_id = ?", arguments: [id]) else {
                throw LandtrackError.invalidInput(source: "pbf", problems: [Diagnostic("unknown-parcel", "no parcel \"\(id)\" in the store")])
            }
            let current: Bool = row["basic_farmland"]
            guard current != designated else {
                throw LandtrackError.invalidInput(source: "pbf", problems: [Diagnostic("no-change",
                    "parcel \"\(id)\" is already \(designated ? "designated" : "not") permanent basic farmland")])
            }
            if let last = try String.fetchOne(db, sql: "SELECT max(effective_date) FROM parcel_events WHERE parcel_id = ?", arguments: [id]),
               last > date.description {
                throw LandtrackError.invalidInput(source: "pbf", problems: [Diagnostic("dated-before-history",
                    "parcel \"\(id)\": the change is dated \(date), before the parcel's last event (\(last))")])
            }
            try db.execute(sql: "UPDATE parcels SET basic_farmland = ? WHERE parcel_id = ?", arguments: [designated, id])
            try db.execute(sql: """
                INSERT INTO parcel_events (parcel_id, kind, pbf_before, pbf_after, effective_date, recorded_at, recorded_by, ref, note)
                VALUES (?, 'pbf', ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, current, designated, date.description, ISO8601DateFormatter().string(from: Date()), by, ref,
                                 note ?? (designated ? "designated permanent basic farmland" : "released from permanent basic farmland")])
            let eventID = db.lastInsertedRowID
            return try Self.events(db, parcel: id).first { $0.eventID == eventID }!
        }
    }

    /// The geometries of a constraint layer, as GEOS-readable WKB.
    static func layerGeometries(_ db: Database, _ layer: ConstraintLayer) throws -> [[UInt8]] {
        try Data.fetchAll(db, sql: "SELECT geom FROM \"\(layer.rawValue)\" WHERE geom IS NOT NULL").map { try GeoPackage.wkb($0) }
    }

    /// Do the polygons' interiors overlap any of `layer` (DE-9IM T********)?
    static func overlapsAny(_ polygons: [Polygon], _ layer: [[UInt8]]) throws -> Bool {
        guard !layer.isEmpty else { return false }
        let ctx = GEOSContext()
        let g = try ctx.geometry(.multiPolygon(MultiPolygon(polygons)))
        for wkb in layer where try ctx.relate(g, ctx.readWKB(wkb), pattern: "T********") { return true }
        return false
    }
}

extension CSV {
    /// Splits one CSV line (RFC 4180 quoting).
    public static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var chars = Array(line)
        if chars.last == "\r" { chars.removeLast() }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" {
                        current.append("\"")
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        fields.append(current.trimmingCharacters(in: .whitespaces))
        return fields
    }
}
