import Geometry
import Parcels

/// A re-import inside its write transaction: each parcel of the file compared with the stored
/// one, and what changed recorded by the rules (`RecordWriter`): a state change as a transition
/// the table allows, a PBF change as a PBF event, new geometry or attributes as an
/// `import-update` event keeping the old ones. A refused change refuses the whole file: once
/// one is found nothing more is written, and `finish` names every refusal in file order.
struct Reimport {
    private(set) var writer: RecordWriter
    let options: ImportOptions
    /// The file's name, for notes and messages.
    let source: String
    /// The `import` event of the parcels new to the store, filled in by `RecordWriter.add`.
    private let imported: NewEvent
    private(set) var summary: ImportSummary
    /// Refusals with the file position of their parcel (parcels are compared in id order).
    private var refusals: [(position: Int, refusal: Refusal)] = []

    init(_ writer: RecordWriter, options: ImportOptions, source: String, summary: ImportSummary) {
        self.writer = writer
        self.options = options
        self.source = source
        self.summary = summary
        imported = writer.importEvent(date: options.date, ref: options.ref, source: source)
    }

    /// Compares the file's parcel `p`, at `position` in the file, with `old`, the stored parcel
    /// with its id (nil: new to the store), and records what changed.
    mutating func compare(_ p: Parcel, position: Int, with old: Parcel?) throws(LandtrackError) {
        let tx = writer.tx, date = options.date
        guard let old else {
            try writer.add(p, event: imported)
            summary.added += 1
            return
        }
        let origin = "\(source) feature \(p.featureIndex ?? 0)"
        // A file that states no PBF flag or no deduction for the parcel keeps the stored one.
        let pbf = p.source?.statesBasicFarmland == false ? old.basicFarmland : p.basicFarmland
        let deduction = p.source?.statesDeduction == false ? old.deduction : p.deduction
        let geometryChanged = old.polygons != p.polygons
        let propertiesChanged = try Self.otherPropertiesDiffer(old, p, fields: options.read.fields)
        let attributesChanged = old.village != p.village || old.landuseCode != p.landuseCode || old.deduction != deduction || propertiesChanged
        let stateChanged = old.state != p.state, pbfChanged = old.basicFarmland != pbf
        guard stateChanged || pbfChanged || geometryChanged || attributesChanged else {
            summary.unchanged += 1
            return
        }
        guard old.active else {
            refusals.append((position, Refusal(.retiredParcel(p.id), origin: origin)))
            return
        }
        if let refusal = try writer.datedBeforeHistory(p.id, date, origin: origin) {
            refusals.append((position, refusal))
            return
        }
        var rule: TransitionRules.Rule?
        if stateChanged {
            // D1 looks at the flag before and after: releasing and converting in one file is refused.
            switch try writer.decide(old, to: p.state, basicFarmland: old.basicFarmland || pbf, polygons: p.polygons, origin: origin) {
            case let .failure(refusal): refusals.append((position, refusal)); return
            case let .success(r): rule = r
            }
        }
        guard refusals.isEmpty else { return }  // nothing is written once the file is refused
        let via = "via import of \(source)"
        if geometryChanged || attributesChanged {
            var changed: [String] = []
            if geometryChanged { changed.append("geometry") }
            if attributesChanged { changed.append("attributes") }
            var previous = JSONObject()
            previous.append("village", old.village.map { .string($0) } ?? .null)
            previous.append("landuse_code", old.landuseCode.map { .string($0) } ?? .null)
            previous.append("properties", .string(old.properties.jsonText))
            if let d = old.deduction {
                previous.append("deduction_ratio", .number(d.ratio))
                previous.append("deduction_code", d.code.map { .string($0) } ?? .null)
            }
            _ = try tx.append(NewEvent(parcelID: p.id, kind: .updated, date: date, recordedAt: writer.recordedAt,
                                       recordedBy: writer.recordedBy, ref: options.ref,
                                       note: "re-imported from \(source): \(changed.joined(separator: ", ")) changed",
                                       previousPolygons: geometryChanged ? old.polygons : nil,
                                       previousAttributes: attributesChanged ? JSONValue.object(previous).jsonText : nil))
        }
        if pbfChanged {
            _ = try writer.recordBasicFarmland(old, designated: pbf, date: date, ref: options.ref,
                                               note: (pbf ? "designated permanent basic farmland " : "released from permanent basic farmland ") + via)
            summary.basicFarmlandChanges += 1
        }
        if let rule {
            var before = old
            before.basicFarmland = pbf
            _ = try writer.recordTransition(before, to: p.state, rule: rule, date: date, ref: options.ref, note: via)
            summary.transitions += 1
        }
        var updated = p
        updated.basicFarmland = pbf
        updated.deduction = deduction
        updated.active = true
        updated.source = nil
        try tx.update(updated)
        summary.updated += 1
    }

    /// The summary; throws the refusals, in file order, when there are any (the transaction
    /// is then rolled back).
    func finish() throws(LandtrackError) -> ImportSummary {
        guard refusals.isEmpty else { throw .refused(refusals.sorted { $0.position < $1.position }.map(\.refusal)) }
        return summary
    }

    /// Do the original properties differ in more than the state and PBF members (which are
    /// recorded as transitions and PBF events of their own)?
    static func otherPropertiesDiffer(_ old: Parcel, _ new: Parcel, fields: ParcelFields) throws(LandtrackError) -> Bool {
        guard old.properties != new.properties else { return false }
        func others(_ p: Parcel) throws(LandtrackError) -> [(String, JSONValue)] {
            let members = try p.properties.object(owner: p.id).members
            return members.filter { $0.0 != fields.state && $0.0 != fields.basicFarmland }
        }
        let a = try others(old), b = try others(new)
        return a.count != b.count || zip(a, b).contains { $0.0 != $1.0 || $0.1 != $1.1 }
    }
}
