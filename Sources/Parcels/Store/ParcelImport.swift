import Foundation
import Geometry
import GRDB

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
    public var defaultState: ParcelState?
    public var landuse = LanduseMapping.standard
    public var date = CalendarDate.today
    public var onInvalid = InvalidFeaturePolicy.refuse
    /// GeoJSON file for rejected features (with `--on-invalid skip`).
    public var rejectsPath: String?
    public var recordedBy = ParcelStore.defaultUser
    public var ref: String?

    public init() {}
}

/// What an import did.
public struct ImportSummary: Sendable {
    public var source: String
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var rejected = 0
    /// Warnings (repairs) and, with `skip`, the problems of the rejected features.
    public var notes: [Diagnostic] = []

    public var line: String {
        "\(source): \(grouped(added)) added, \(grouped(updated)) updated, \(grouped(unchanged)) unchanged, \(grouped(rejected)) rejected"
            + (notes.isEmpty ? "" : ", \(grouped(notes.filter { $0.code == "repaired" }.count)) repaired")
    }
}

extension ParcelStore {
    /// The OS user (from the password database; $USER is not always set, e.g. under cron).
    public static var defaultUser: String {
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }

    /// Imports a parcel file in one transaction: new parcels are added with an `import` event;
    /// parcels already in the store are compared field by field and geometry, and only changes
    /// are written, each with an `import-update` event (the previous geometry and attributes
    /// kept in the event). The same file twice changes nothing.
    public func importParcels(
        _ input: InputBytes, options: ImportOptions, progress: ((Int) -> Void)? = nil
    ) throws(LandtrackError) -> ImportSummary {
        var readOptions = options.read
        readOptions.repairInvalid = options.onInvalid == .repair
        var parcels: [Parcel] = []
        var problems: [Diagnostic] = []
        var rejectedFeatures = Set<Int>()
        var geographic = CoordinateReferenceSystem.crs84
        _ = try ParcelReader(options: readOptions).read(input, start: { geographic = $0 }, parcel: { p in
            parcels.append(p)
            progress?(parcels.count)
        }, problem: { d in
            problems.append(d)
            if d.severity == .error, let i = d.featureIndex { rejectedFeatures.insert(i) }
        })

        // States: the state field, else the land-use code, else --default-state.
        for i in parcels.indices where parcels[i].state == nil {
            if let code = parcels[i].landuseCode {
                parcels[i].state = options.landuse.state(for: code)
            } else if let s = options.defaultState {
                parcels[i].state = s
            } else {
                problems.append(Diagnostic("no-state", "the parcel has no state, no land-use code and no --default-state was given",
                                           featureIndex: parcels[i].featureIndex, featureID: parcels[i].id))
                rejectedFeatures.insert(parcels[i].featureIndex)
            }
        }

        let errors = problems.filter { $0.severity == .error }
        if !errors.isEmpty && options.onInvalid != .skip {
            throw .invalidInput(source: input.name, problems: errors)
        }
        var summary = ImportSummary(source: input.name)
        summary.notes = problems
        summary.rejected = rejectedFeatures.count
        let accepted = parcels.filter { !rejectedFeatures.contains($0.featureIndex) }

        if let rejectsPath = options.rejectsPath, options.onInvalid == .skip {
            try Self.writeRejects(rejectsPath, problems: errors, parcels: parcels.filter { rejectedFeatures.contains($0.featureIndex) })
        }

        let engine = GeodesicAreaEngine(ellipsoid: geographic.ellipsoid)
        let recordedAt = ISO8601DateFormatter().string(from: Date())
        try write { db in
            let srs = try Self.adoptCRS(db, geographic)
            let insert = try db.cachedStatement(sql: """
                INSERT INTO parcels (geom, parcel_id, state, basic_farmland, village, landuse_code, area_m2, active, properties)
                VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
                """)
            let update = try db.cachedStatement(sql: """
                UPDATE parcels SET geom = ?, state = ?, basic_farmland = ?, village = ?, landuse_code = ?, area_m2 = ?, properties = ?
                WHERE parcel_id = ?
                """)
            let event = try db.cachedStatement(sql: """
                INSERT INTO parcel_events (parcel_id, kind, from_state, to_state, pbf_before, pbf_after, effective_date,
                  recorded_at, recorded_by, ref, note, previous_geom, previous_attributes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let lookup = try db.cachedStatement(sql: "SELECT * FROM parcels WHERE parcel_id = ?")
            let lastEvent = try db.cachedStatement(sql: "SELECT max(effective_date) FROM parcel_events WHERE parcel_id = ?")
            // A store without parcels needs no comparison: the first import of a file is a bulk insert.
            let storeIsEmpty = try Int.fetchOne(db, sql: "SELECT count(*) FROM parcels") == 0
            let dateText = options.date.description
            let importNote = "imported from \(input.name)"
            for p in accepted {
                let state = p.state!
                let pbf = p.basicFarmland ?? false
                let blob = GeoPackage.blob(p.polygons, srsID: srs)
                let properties = JSONValue.object(p.properties).jsonText
                let area = try engine.area(of: p.polygons)
                guard !storeIsEmpty, let old = try Row.fetchOne(lookup, arguments: [p.id]) else {
                    try insert.execute(arguments: [blob, p.id, state.rawValue, pbf, p.village, p.landuseCode, area, properties])
                    try event.execute(arguments: [p.id, ParcelEvent.Kind.imported.rawValue, nil, state.rawValue, nil, pbf,
                                                  dateText, recordedAt, options.recordedBy, options.ref, importNote, nil, nil])
                    summary.added += 1
                    continue
                }
                let oldState: String = old["state"]
                let oldPBF: Bool = old["basic_farmland"]
                let oldBlob: Data = old["geom"]
                let oldVillage: String? = old["village"]
                let oldLanduse: String? = old["landuse_code"]
                let oldProperties: String = old["properties"]
                let geometryChanged = oldBlob != blob
                let attributesChanged = oldVillage != p.village || oldLanduse != p.landuseCode || oldProperties != properties
                guard oldState != state.rawValue || oldPBF != pbf || geometryChanged || attributesChanged else {
                    summary.unchanged += 1
                    continue
                }
                if let last = try String.fetchOne(lastEvent, arguments: [p.id]), last > dateText {
                    throw LandtrackError.invalidInput(source: input.name, problems: [Diagnostic(
                        "dated-before-history", "the import is dated \(options.date), before the parcel's last event (\(last))",
                        featureIndex: p.featureIndex, featureID: p.id)])
                }
                var changed: [String] = []
                if oldState != state.rawValue { changed.append("state") }
                if oldPBF != pbf { changed.append("basic_farmland") }
                if geometryChanged { changed.append("geometry") }
                if attributesChanged { changed.append("attributes") }
                var previous = JSONObject()
                previous.append("village", oldVillage.map { .string($0) } ?? .null)
                previous.append("landuse_code", oldLanduse.map { .string($0) } ?? .null)
                previous.append("properties", .string(oldProperties))
                try update.execute(arguments: [blob, state.rawValue, pbf, p.village, p.landuseCode, area, properties, p.id])
                try event.execute(arguments: [
                    p.id, ParcelEvent.Kind.updated.rawValue,
                    oldState != state.rawValue ? oldState : nil, oldState != state.rawValue ? state.rawValue : nil,
                    oldPBF != pbf ? oldPBF : nil, oldPBF != pbf ? pbf : nil,
                    dateText, recordedAt, options.recordedBy, options.ref,
                    "re-imported from \(input.name): \(changed.joined(separator: ", ")) changed",
                    geometryChanged ? oldBlob : nil, attributesChanged ? JSONValue.object(previous).jsonText : nil,
                ])
                summary.updated += 1
            }
            try GeoPackage.updateExtent(db, table: "parcels")
        }
        return summary
    }

    /// The rejected features with their reasons, as GeoJSON (geometry when it could be read).
    static func writeRejects(_ path: String, problems: [Diagnostic], parcels: [Parcel]) throws(LandtrackError) {
        let byFeature = Dictionary(grouping: problems, by: { $0.featureIndex ?? 0 })
        let geometry = Dictionary(parcels.map { ($0.featureIndex, $0) }, uniquingKeysWith: { a, _ in a })
        var out = "{\"type\":\"FeatureCollection\",\"features\":["
        for (n, index) in byFeature.keys.sorted().enumerated() {
            if n > 0 { out += ",\n" }
            var props = JSONObject()
            props.append("feature_index", .number(Double(index)))
            props.append("feature_id", byFeature[index]!.first?.featureID.map { .string($0) } ?? .null)
            props.append("problems", .array(byFeature[index]!.map { .string($0.description) }))
            if let p = geometry[index] { for (k, v) in p.properties.members where props[k] == nil { props.append(k, v) } }
            out += "{\"type\":\"Feature\",\"properties\":" + JSONValue.object(props).jsonText + ",\"geometry\":"
            out += geometry[index].map { GeoJSONWriter.geometry($0.polygons, precision: 9) } ?? "null"
            out += "}"
        }
        out += "]}\n"
        do {
            try out.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw .io(path: path, message: "cannot write the rejects file: \(error.localizedDescription)")
        }
    }

    /// Replaces a constraint layer with the polygons (or, for barriers, lines too) of a file.
    public func importLayer(_ layer: ConstraintLayer, from input: InputBytes, nameField: String = "name") throws(LandtrackError) -> Int {
        let (header, features, problems) = try GeoJSONReader(idProperty: nameField).readAll(input)
        var errors = problems
        let crs: CoordinateReferenceSystem
        if let name = header?.crsName { crs = try .resolve(name) } else { crs = .crs84 }
        let normalizer = try CoordinateNormalizer(crs: crs)
        var rows: [(wkb: [UInt8], envelope: Envelope, name: String?, properties: String)] = []
        let geos = GEOSContext()
        for f in features {
            guard let g = f.geometry else {
                errors.append(Diagnostic("null-geometry", "a \(layer.rawValue) feature needs a geometry", featureIndex: f.index))
                continue
            }
            let name = f.properties?[nameField]?.identifierText ?? f.id?.identifierText
            do {
                let normalized: Geometry
                if let ps = g.polygons {
                    let fixed = try normalizer.normalize(ps)
                    normalized = .multiPolygon(MultiPolygon(fixed))
                } else if layer == .barriers {
                    normalized = g
                } else {
                    errors.append(Diagnostic("not-polygonal", "\(layer.rawValue) needs polygons, this is a \(g.typeName)",
                                             featureIndex: f.index, featureID: name))
                    continue
                }
                let handle = try geos.geometry(normalized)
                let validity = try geos.validity(handle)
                if !validity.isValid {
                    errors.append(Diagnostic("invalid-geometry", "invalid geometry (GEOS: \(validity.reason ?? ""))",
                                             featureIndex: f.index, featureID: name, point: validity.location))
                    continue
                }
                rows.append((try geos.writeWKB(handle), normalized.envelope!, name,
                             JSONValue.object(f.properties ?? JSONObject()).jsonText))
            } catch let d as Diagnostic {
                var d = d
                d.featureIndex = f.index
                errors.append(d)
            } catch {
                errors.append(Diagnostic("geometry", "\(error)", featureIndex: f.index, featureID: name))
            }
        }
        guard errors.isEmpty else { throw .invalidInput(source: input.name, problems: errors) }
        return try write { db in
            let srs = try Self.adoptCRS(db, normalizer.geographicCRS)
            try db.execute(sql: "DELETE FROM \"\(layer.rawValue)\"")
            let insert = try db.cachedStatement(sql: "INSERT INTO \"\(layer.rawValue)\" (geom, name, properties) VALUES (?, ?, ?)")
            for r in rows {
                try insert.execute(arguments: [GeoPackage.blob(wkb: r.wkb, envelope: r.envelope, srsID: srs), r.name, r.properties])
            }
            try GeoPackage.updateExtent(db, table: layer.rawValue)
            return rows.count
        }
    }
}
