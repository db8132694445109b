import Foundation
import Geometry
import Parcels

// The one write path for the programme's rules. Every change of a parcel's state or PBF flag —
// `transition`, `pbf`, an import that changes a parcel already in the store, the children of a
// merge or split — is decided here by the same transition table and PBF rules, dated by the
// same date-order check and recorded with the rule that allowed it. Backends only store.

/// What to do with features that fail a check.
public enum InvalidFeaturePolicy: String, Sendable, CaseIterable {
    /// Any problem refuses the whole file; the store stays exactly as it was.
    case refuse
    /// Invalid geometries are repaired (GEOS make-valid); other problems still refuse.
    case repair
    /// Clean parcels are imported; the others are written with their reasons to the rejects file.
    case skip
}

public struct ImportOptions: Sendable {
    public var read = ParcelReadOptions()
    public var date = CalendarDate.today
    public var onInvalid = InvalidFeaturePolicy.refuse
    /// GeoJSON file for rejected features (with `--on-invalid skip`).
    public var rejectsPath: String?
    public var recordedBy = StoreDefaults.user
    public var ref: String?
    /// The table that decides the state changes a re-import makes.
    public var rules = TransitionRules.standard
    /// Read and compare the file even when it is the last clean import's (`ImportFingerprint`).
    public var readAgain = false
    /// A re-import reads the stored parcels it compares this many at a time (in id order).
    public var parcelsComparedAtOnce = 65_536

    /// The state of parcels without a state or land-use code.
    public var defaultState: ParcelState? {
        get { read.defaultState }
        set { read.defaultState = newValue }
    }

    /// GB/T 21010 land-use code → state.
    public var landuse: LanduseMapping {
        get { read.landuse }
        set { read.landuse = newValue }
    }

    public init() {}
}

/// What an import did.
public struct ImportSummary: Sendable {
    public var source: String
    public var added = 0
    /// Parcels whose record changed (geometry, attributes, state, PBF).
    public var updated = 0
    public var unchanged = 0
    public var rejected = 0
    /// State changes recorded as transitions, and PBF changes recorded as PBF events.
    public var transitions = 0
    public var basicFarmlandChanges = 0
    /// Warnings (repairs, official areas that disagree) and, with `skip`, the problems of the
    /// rejected features.
    public var notes: [Diagnostic] = []
    /// The official-area cross-check, when the file has the field (`ParcelFields.officialArea`).
    public var officialAreas: OfficialAreas?
    /// The last import's fingerprint, when the file and options were that import's and no
    /// parcel had changed since: the file was not read (`ImportFingerprint`).
    public var sameAsLastImport: ImportFingerprint?

    public var line: String {
        var text = "\(source): \(grouped(added)) added, \(grouped(updated)) updated, \(grouped(unchanged)) unchanged, \(grouped(rejected)) rejected"
        if transitions > 0 { text += ", \(grouped(transitions)) state change\(transitions == 1 ? "" : "s") recorded as transitions" }
        if basicFarmlandChanges > 0 { text += ", \(grouped(basicFarmlandChanges)) PBF change\(basicFarmlandChanges == 1 ? "" : "s")" }
        let repaired = notes.filter { $0.code == .repaired }.count
        text += repaired > 0 ? ", \(grouped(repaired)) repaired" : ""
        if let last = sameAsLastImport {
            text += " (the same file, by SHA-256, and options as the import recorded \(last.recordedAt), and no parcel changed since: not read again)"
        }
        return text + (officialAreas.map { "\n" + $0.line } ?? "")
    }
}

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

    /// Reads `id,to,date[,ref,note]` records (CSV, header required). Every bad record is named
    /// with its line; nothing is returned unless all are good.
    public static func load(csv path: String) throws(LandtrackError) -> [TransitionRequest] {
        let csv = try CSVInput.read(path: path, purpose: "transitions file")
        guard let header = csv.records.first, header.line == 1, Array(header.fields.prefix(3)) == ["id", "to", "date"] else {
            throw .invalidArgument("\(path) line 1: the header must be id,to,date[,ref,note]")
        }
        var requests: [TransitionRequest] = []
        var problems: [Diagnostic] = []
        for record in csv.records.dropFirst() {
            let f = record.fields
            let origin = "\(path) line \(record.line)"
            guard (3...5).contains(f.count) else {
                problems.append(Diagnostic(.badRow, "\(origin): expected id,to,date[,ref,note], got \(f.count) fields: \(f.map(quoted).joined(separator: ","))"))
                continue
            }
            if let problem = ParcelID.problem(f[0]) {
                problems.append(Diagnostic(.badId, "\(origin): the id \(quoted(f[0])) cannot be used: \(problem)"))
                continue
            }
            guard let to = ParcelState(parsing: f[1]) else {
                problems.append(Diagnostic(.unknownState, "\(origin): state '\(f[1])' is not one of: \(ParcelState.vocabulary)", featureID: f[0]))
                continue
            }
            let date: CalendarDate
            do { date = try CalendarDate(parsing: f[2]) } catch {
                problems.append(Diagnostic(.badDate, "\(origin): \(error)", featureID: f[0]))
                continue
            }
            requests.append(TransitionRequest(parcelID: f[0], to: to, date: date, ref: f.count > 3 && !f[3].isEmpty ? f[3] : nil,
                                              note: f.count > 4 && !f[4].isEmpty ? f[4] : nil, origin: origin))
        }
        guard problems.isEmpty else { throw .invalidInput(source: path, problems: problems) }
        return requests
    }
}

/// The rules as they apply inside one write transaction.
struct RecordWriter {
    let tx: any StoreTransaction
    let rules: TransitionRules
    let recordedBy: String
    let recordedAt = ISO8601DateFormatter().string(from: Date())
    private var redline: [[UInt8]]?

    init(_ tx: any StoreTransaction, rules: TransitionRules = .standard, by: String) {
        self.tx = tx
        self.rules = rules
        self.recordedBy = by
    }

    /// The one date-order check: history is written in date order, so a change may not be
    /// dated before the parcel's last event.
    func datedBeforeHistory(_ id: String, _ date: CalendarDate, origin: String?) throws(LandtrackError) -> Refusal? {
        guard let last = try tx.lastEventDate(id), last > date else { return nil }
        return Refusal(.datedBeforeHistory(parcel: id, date: date.description, lastEvent: last.description), origin: origin)
    }

    /// The parcel a change is about: it must exist and not be retired.
    func changeable(_ id: String, origin: String?) throws(LandtrackError) -> Result<Parcel, Refusal> {
        if let r = ParcelID.refusal(id, origin: origin) { return .failure(r) }
        guard let p = try tx.parcel(id) else { return .failure(Refusal(.unknownParcel(id), origin: origin)) }
        guard p.active else { return .failure(Refusal(.retiredParcel(id), origin: origin)) }
        return .success(p)
    }

    /// The one decision on a state change: the table (refusals first), with the PBF flag
    /// (`basicFarmland`: the flag before or after, whichever is set) and whether `polygons`
    /// overlap the eco_redline layer (looked at only for moves into industrial_park).
    mutating func decide(_ parcel: Parcel, to: ParcelState, basicFarmland: Bool, polygons: [Polygon],
                         origin: String?) throws(LandtrackError) -> Result<TransitionRules.Rule, Refusal> {
        var inside = false
        if to == .industrialPark {
            if redline == nil { redline = try tx.layer(.ecoRedline).map(\.wkb) }
            inside = try Self.overlapsAny(polygons, redline!)
        }
        let move = TransitionRules.Move(from: parcel.state, to: to, basicFarmland: basicFarmland, insideEcoRedline: inside)
        switch rules.decide(move) {
        case let .allowed(rule):
            return .success(rule)
        case let .refused(rule, allowed):
            let reason = rule.map { $0.reason + ($0.source.map { " (\($0))" } ?? "") } ?? ""
            return .failure(Refusal(.illegalTransition(parcel: parcel.id, from: parcel.state.rawValue, to: to.rawValue, rule: rule?.id,
                                                       reason: reason, allowed: allowed.map(\.rawValue)), origin: origin))
        }
    }

    /// Records an allowed state change as a `transition` event.
    func recordTransition(_ parcel: Parcel, to: ParcelState, rule: TransitionRules.Rule, date: CalendarDate, ref: String?,
                          note: String?) throws(LandtrackError) -> Int64 {
        let text = [note, rule.records.map { "recorded as \($0.replacingOccurrences(of: "_", with: " "))" }]
            .compactMap { $0 }.joined(separator: "; ")
        return try tx.append(NewEvent(parcelID: parcel.id, kind: .transition, fromState: parcel.state, toState: to, date: date,
                                      recordedAt: recordedAt, recordedBy: recordedBy, ref: ref, note: text.isEmpty ? nil : text,
                                      ruleID: rule.id))
    }

    /// Adds a parcel new to the store, with its `import` event (`importEvent`'s, made once for
    /// the file: its note, dates and names are the same for every parcel).
    func add(_ p: Parcel, event: NewEvent) throws(LandtrackError) {
        var stored = p
        stored.source = nil
        try tx.insert(stored)
        var imported = event
        imported.parcelID = p.id
        imported.toState = p.state
        imported.pbfAfter = p.basicFarmland
        _ = try tx.append(imported)
    }

    /// The `import` event of the parcels `add` adds from `source`, for `add` to fill in.
    func importEvent(date: CalendarDate, ref: String?, source: String) -> NewEvent {
        NewEvent(parcelID: "", kind: .imported, date: date, recordedAt: recordedAt, recordedBy: recordedBy, ref: ref,
                 note: "imported from \(source)")
    }

    /// Records a PBF designation or release as a `pbf` event.
    func recordBasicFarmland(_ parcel: Parcel, designated: Bool, date: CalendarDate, ref: String?, note: String?) throws(LandtrackError) -> Int64 {
        try tx.append(NewEvent(parcelID: parcel.id, kind: .pbf, pbfBefore: parcel.basicFarmland, pbfAfter: designated, date: date,
                               recordedAt: recordedAt, recordedBy: recordedBy, ref: ref,
                               note: note ?? (designated ? "designated permanent basic farmland" : "released from permanent basic farmland")))
    }

    /// Do the polygons' interiors overlap any of `layer` (DE-9IM T********)?
    static func overlapsAny(_ polygons: [Polygon], _ layer: [[UInt8]]) throws(LandtrackError) -> Bool {
        guard !layer.isEmpty else { return false }
        let ctx = GEOSContext()
        let g = try ctx.geometry(.multiPolygon(MultiPolygon(polygons)))
        for wkb in layer where try ctx.relate(g, ctx.readWKB(wkb), pattern: "T********") { return true }
        return false
    }
}

extension ParcelStore {
    /// Applies state changes, all or nothing, each decided by `rules` (and, for moves into
    /// `industrial_park`, by the eco_redline layer). A refusal names the parcel, the rule and
    /// the moves that are allowed; every refusal of the batch is reported.
    @discardableResult
    public func transition(_ requests: [TransitionRequest], rules: TransitionRules = .standard,
                           by: String = StoreDefaults.user) throws(LandtrackError) -> [ParcelEvent] {
        try write { (tx) throws(LandtrackError) -> [ParcelEvent] in
            var writer = RecordWriter(tx, rules: rules, by: by)
            var refusals: [Refusal] = []
            var events: [ParcelEvent] = []
            for r in requests {
                let parcel: Parcel
                switch try writer.changeable(r.parcelID, origin: r.origin) {
                case let .failure(refusal): refusals.append(refusal); continue
                case let .success(p): parcel = p
                }
                if let refusal = try writer.datedBeforeHistory(r.parcelID, r.date, origin: r.origin) {
                    refusals.append(refusal)
                    continue
                }
                guard parcel.state != r.to else {
                    refusals.append(Refusal(.noChange(parcel: r.parcelID, what: r.to.rawValue), origin: r.origin))
                    continue
                }
                switch try writer.decide(parcel, to: r.to, basicFarmland: parcel.basicFarmland, polygons: parcel.polygons, origin: r.origin) {
                case let .failure(refusal):
                    refusals.append(refusal)
                case let .success(rule):
                    let id = try writer.recordTransition(parcel, to: r.to, rule: rule, date: r.date, ref: r.ref, note: r.note)
                    var moved = parcel
                    moved.state = r.to
                    try tx.update(moved)
                    events.append(try tx.event(id))
                }
            }
            // All or nothing: throwing rolls the transaction back.
            guard refusals.isEmpty else { throw .refused(refusals) }
            return events
        }
    }

    /// Designates a parcel permanent basic farmland or releases it, as a dated event.
    @discardableResult
    public func setBasicFarmland(_ id: String, designated: Bool, date: CalendarDate, ref: String? = nil, note: String? = nil,
                                 by: String = StoreDefaults.user) throws(LandtrackError) -> ParcelEvent {
        try write { (tx) throws(LandtrackError) -> ParcelEvent in
            let writer = RecordWriter(tx, by: by)
            let parcel: Parcel
            switch try writer.changeable(id, origin: nil) {
            case let .failure(refusal): throw LandtrackError.refused([refusal])
            case let .success(p): parcel = p
            }
            guard parcel.basicFarmland != designated else {
                throw .refused([Refusal(.noChange(parcel: id, what: designated ? "permanent basic farmland" : "not permanent basic farmland"))])
            }
            if let refusal = try writer.datedBeforeHistory(id, date, origin: nil) { throw .refused([refusal]) }
            let eventID = try writer.recordBasicFarmland(parcel, designated: designated, date: date, ref: ref, note: note)
            var changed = parcel
            changed.basicFarmland = designated
            try tx.update(changed)
            return try tx.event(eventID)
        }
    }

    /// Imports a parcel file in one transaction. New parcels are added with an `import` event.
    /// A parcel already in the store is compared with the file: a state change is decided by
    /// `options.rules` and recorded as a `transition` (with the rule), a PBF change (when the
    /// file gives the flag) as a `pbf` event, a new geometry or new attributes as an
    /// `import-update` event that keeps the old ones. Any refused change refuses the whole
    /// file, naming the parcels and rules. The same file twice changes nothing.
    ///
    /// Into a store without parcels (a first import) the parcels are written as they are read,
    /// inside the transaction, so a database server stores one part while the next is read and
    /// memory holds no list of them; a problem found on the way still refuses the whole file
    /// and the transaction leaves nothing behind.
    ///
    /// A file that is byte for byte the one of the last clean import (no warnings, no rejects;
    /// for a shapefile or geodatabase: every file of it), read with the same options, into a
    /// store none of whose parcels has been changed or deleted since, is not read again: every
    /// parcel in it is unchanged (`ImportFingerprint`).
    public func importParcels(
        _ input: any FeatureSource, options: ImportOptions, progress: ((Int) -> Void)? = nil
    ) throws(LandtrackError) -> ImportSummary {
        let file = ImportFingerprint.FileIdentity(input, readOptions: ImportReading.readOptions(options))
        if let file, !options.readAgain, let summary = try unchangedSinceLastImport(file, input, options: options) { return summary }
        if let summary = try firstImport(input, options: options, file: file, progress: progress) { return summary }
        var reading = ImportReading(input, options: options)
        var parcels: [Parcel] = []
        var geographic = CoordinateReferenceSystem.crs84
        // Properties held as the JSON text the store writes (made on the parsing threads unless
        // the official-area check reads a member first): a third of the room of the tree (every
        // parcel of the file waits for the write), and unchanged properties then compare equal as
        // texts, without parsing the stored ones.
        _ = try ParcelReader(options: reading.readOptions, properties: reading.keptProperties).read(input, start: { geographic = $0 }, parcel: { (p: Parcel) throws(LandtrackError) in
            try reading.parcel(p)
            if reading.keptProperties == .members {
                var kept = p
                kept.properties = ParcelProperties(jsonText: p.properties.jsonText)
                parcels.append(kept)
            } else {
                parcels.append(p)
            }
            progress?(parcels.count)
        }, problem: { reading.problem($0) })
        let summary = try reading.finish()

        let settled = summary
        return try write { (tx) throws(LandtrackError) -> ImportSummary in
            _ = try tx.adoptCRS(geographic)
            var comparison = Reimport(RecordWriter(tx, rules: options.rules, by: options.recordedBy), options: options,
                                      source: input.name, summary: settled)
            // A chunk at a time, in id order: the stored parcels are held a chunk at a time (a
            // 1M-parcel re-import held them all beside the file's: 1.9 GB), a backend reads a
            // chunk as one range of its id index, and PostGIS locks rows in one order across chunks.
            let order = parcels.indices.sorted { parcels[$0].id.utf8.lexicographicallyPrecedes(parcels[$1].id.utf8) }
            let chunkSize = max(1, options.parcelsComparedAtOnce)
            for start in stride(from: 0, to: order.count, by: chunkSize) {
                let chunk = order[start..<min(start + chunkSize, order.count)]
                let stored = try tx.parcels(chunk.map { parcels[$0].id })
                for position in chunk { try comparison.compare(parcels[position], position: position, with: stored[parcels[position].id]) }
            }
            let summary = try comparison.finish()
            try Self.recordFingerprint(file, summary, parcels: parcels.count, tx, recordedAt: comparison.writer.recordedAt)
            return summary
        }
    }

    /// The summary of an import that need not read its file, if `file` is the last clean
    /// import's and no parcel was changed since; nil: read it. A read, not a write: it never
    /// waits for another writer, and what it says held when it read the fingerprint.
    private func unchangedSinceLastImport(
        _ file: ImportFingerprint.FileIdentity, _ input: any FeatureSource, options: ImportOptions
    ) throws(LandtrackError) -> ImportSummary? {
        guard let last = try lastImportFingerprint(), last.matches(file) else { return nil }
        var summary = ImportSummary(source: input.name)
        summary.unchanged = last.parcels
        summary.sameAsLastImport = last
        if let field = last.officialAreaField { summary.officialAreas = OfficialAreas(field: field, allAgreeing: last.officialAreasChecked) }
        // What reading would have written: a rejects file without features.
        if let rejectsPath = options.rejectsPath, options.onInvalid == .skip { try ImportRejects.write(rejectsPath, problems: []) }
        return summary
    }

    /// Records an import's fingerprint when it found nothing to say: no warning, no rejected
    /// feature (a re-import that skips reading could not say them again).
    private static func recordFingerprint(_ file: ImportFingerprint.FileIdentity?, _ summary: ImportSummary, parcels: Int,
                                          _ tx: any StoreTransaction, recordedAt: String) throws(LandtrackError) {
        guard let file, summary.notes.isEmpty, summary.rejected == 0 else { return }
        try tx.recordImportFingerprint(ImportFingerprint(
            source: summary.source, fileSHA256: file.sha256, fileBytes: file.bytes, readOptions: file.readOptions, parcels: parcels,
            officialAreaField: summary.officialAreas?.field, officialAreasChecked: summary.officialAreas?.checked ?? 0, recordedAt: recordedAt))
    }

    /// A first import: into a store without parcels every parcel read is added at once (nil:
    /// the store has parcels, the file is compared with them instead).
    private func firstImport(
        _ input: any FeatureSource, options: ImportOptions, file: ImportFingerprint.FileIdentity?, progress: ((Int) -> Void)?
    ) throws(LandtrackError) -> ImportSummary? {
        try writeMany { (tx) throws(LandtrackError) -> ImportSummary? in
            guard try tx.isEmpty() else { return nil }
            // Set up inside the transaction: a retried attempt starts again from the file's start.
            var reading = ImportReading(input, options: options)
            let writer = RecordWriter(tx, by: options.recordedBy)
            let imported = writer.importEvent(date: options.date, ref: options.ref, source: input.name)
            var adopted = false
            var added = 0
            // The properties' JSON text made on the parsing thread, not on this one, the writer's
            // (unless the official-area check reads a member first).
            _ = try ParcelReader(options: reading.readOptions, properties: reading.keptProperties).readAhead(input, start: { (crs) throws(LandtrackError) in
                _ = try tx.adoptCRS(crs)
                adopted = true
            }, parcel: { (p: Parcel) throws(LandtrackError) in
                try reading.parcel(p)
                // Once the file is refused nothing more is written: the transaction is rolled back.
                guard !reading.refused else { return }
                try writer.add(p, event: imported)
                added += 1
                progress?(added)
            }, problem: { reading.problem($0) })
            if !adopted { _ = try tx.adoptCRS(.crs84) }
            var summary = try reading.finish()
            summary.added = added
            try Self.recordFingerprint(file, summary, parcels: added, tx, recordedAt: writer.recordedAt)
            return summary
        }
    }

    /// Replaces a constraint layer with the polygons (or, for barriers, lines too) of a file.
    public func importLayer(_ layer: ConstraintLayer, from input: any FeatureSource, nameField: String = "name") throws(LandtrackError) -> Int {
        let (features, crs) = try LayerReader.read(layer.rawValue, acceptsLines: layer.acceptsLines, input, nameField: nameField)
        return try write { (tx) throws(LandtrackError) -> Int in
            _ = try tx.adoptCRS(crs)
            try tx.replaceLayer(layer, with: features)
            return features.count
        }
    }
}

/// What reading an import's file found besides its parcels: the problems, the rejected
/// features and the official-area cross-check; `finish` refuses the file or makes the summary.
struct ImportReading {
    let input: any FeatureSource
    let options: ImportOptions
    let readOptions: ParcelReadOptions
    private let official: OfficialAreaChecker?
    /// What the read keeps of the properties: the JSON text the store writes, made on the parsing
    /// threads; the members when the official-area check reads one of them (as a text it would be
    /// parsed again here, for that one number).
    let keptProperties: ParcelReader.KeptProperties
    private var problems: [Diagnostic] = []
    private var rejectedFeatures = Set<Int>()
    /// An error was found and the policy refuses the file.
    private(set) var refused = false

    init(_ input: any FeatureSource, options: ImportOptions) {
        self.input = input
        self.options = options
        readOptions = Self.readOptions(options)
        official = readOptions.fields.officialArea.map { OfficialAreaChecker(OfficialAreas(field: $0)) }
        keptProperties = official == nil ? .jsonText : .members
    }

    /// How an import reads its file.
    static func readOptions(_ options: ImportOptions) -> ParcelReadOptions {
        var read = options.read
        read.repairInvalid = options.onInvalid == .repair
        read.requireState = true
        return read
    }

    mutating func parcel(_ p: Parcel) throws(LandtrackError) {
        if let mismatch = try official?.check(p, source: input.name) { problems.append(mismatch) }
    }

    mutating func problem(_ d: Diagnostic) {
        problems.append(d)
        guard d.severity == .error else { return }
        if let i = d.featureIndex { rejectedFeatures.insert(i) }
        if options.onInvalid != .skip { refused = true }
    }

    /// Throws the file's errors unless the policy skips them (then writes the rejects file).
    func finish() throws(LandtrackError) -> ImportSummary {
        let errors = problems.filter { $0.severity == .error }
        if !errors.isEmpty && options.onInvalid != .skip {
            throw .invalidInput(source: input.name, problems: errors)
        }
        var summary = ImportSummary(source: input.name)
        summary.notes = problems
        if let official, official.result.checked > 0 { summary.officialAreas = official.result }
        summary.rejected = rejectedFeatures.count
        if let rejectsPath = options.rejectsPath, options.onInvalid == .skip {
            try ImportRejects.write(rejectsPath, problems: errors)
        }
        return summary
    }
}

/// Reads a constraint layer's file: every feature checked (geometry type, validity), positions
/// in longitude/latitude on the file's datum.
enum LayerReader {
    /// `what` names the layer in messages; `acceptsLines` lets lines in (barriers), else every
    /// feature must be polygonal.
    static func read(_ what: String, acceptsLines: Bool, _ input: any FeatureSource,
                     nameField: String) throws(LandtrackError) -> ([LayerGeometry], CoordinateReferenceSystem) {
        var header: GeoJSONHeader?
        var features: [GeoJSONFeature] = []
        var errors: [Diagnostic] = []
        try input.readFeatures(idProperty: nameField, header: { header = $0 }) { result throws(LandtrackError) in
            switch result {
            case let .success(f): features.append(f)
            case let .failure(d): errors.append(d)
            }
        }
        let crs: CoordinateReferenceSystem
        if let name = header?.crsName { crs = try .resolve(name) } else { crs = .crs84 }
        let normalizer = try CoordinateNormalizer(crs: crs)
        var rows: [LayerGeometry] = []
        let geos = GEOSContext()
        for f in features {
            guard let g = f.geometry else {
                errors.append(Diagnostic(.nullGeometry, "a \(what) feature needs a geometry", featureIndex: f.index))
                continue
            }
            let name = f.properties?[nameField]?.identifierText ?? f.id?.identifierText
            do {
                let normalized: Geometry
                if let ps = g.polygons {
                    normalized = .multiPolygon(MultiPolygon(try normalizer.normalize(ps)))
                } else if acceptsLines {
                    normalized = g
                } else {
                    errors.append(Diagnostic(.notPolygonal, "\(what) needs polygons, this is a \(g.typeName)",
                                             featureIndex: f.index, featureID: name))
                    continue
                }
                let handle = try geos.geometry(normalized)
                let validity = try geos.validity(handle)
                if !validity.isValid {
                    errors.append(Diagnostic(.invalidGeometry, "invalid geometry (GEOS: \(validity.reason ?? ""))",
                                             featureIndex: f.index, featureID: name, point: validity.location))
                    continue
                }
                rows.append(LayerGeometry(name: name, wkb: try geos.writeWKB(handle), envelope: normalized.envelope!,
                                          propertiesJSON: JSONValue.object(f.properties ?? JSONObject()).jsonText))
            } catch let d as Diagnostic {
                var d = d
                d.featureIndex = f.index
                errors.append(d)
            } catch {
                errors.append(Diagnostic(.geometry, "\(error)", featureIndex: f.index, featureID: name))
            }
        }
        guard errors.isEmpty else { throw .invalidInput(source: input.name, problems: errors) }
        return (rows, normalizer.geographicCRS)
    }
}

/// The rejects file of `import --on-invalid skip`: the rejected features with their reasons.
enum ImportRejects {
    static func write(_ path: String, problems: [Diagnostic]) throws(LandtrackError) {
        let byFeature = Dictionary(grouping: problems, by: { $0.featureIndex ?? 0 })
        var out = "{\"type\":\"FeatureCollection\",\"features\":["
        for (n, index) in byFeature.keys.sorted().enumerated() {
            if n > 0 { out += ",\n" }
            var props = JSONObject()
            props.append("feature_index", .number(Double(index)))
            props.append("feature_id", byFeature[index]!.first?.featureID.map { .string($0) } ?? .null)
            props.append("problems", .array(byFeature[index]!.map { .string($0.description) }))
            out += "{\"type\":\"Feature\",\"properties\":" + JSONValue.object(props).jsonText + ",\"geometry\":null}"
        }
        out += "]}\n"
        do {
            try out.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw .io(path: path, message: "cannot write the rejects file: \(error.localizedDescription)")
        }
    }
}
