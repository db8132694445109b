import Foundation
import Geometry
import Parcels

/// The record of a consolidation programme: parcels with their current state, an append-only
/// dated history, split/merge lineage, constraint layers and access tokens.
///
/// A backend implements the reads and one primitive, `write`, which runs a body in one
/// transaction on a `StoreTransaction`. Every change a planner makes — import, transition, PBF,
/// merge, split — is written by the extensions of this protocol (`RecordWrites.swift`,
/// `Reparcelling.swift`) through that one path, under the same transition table and PBF rules,
/// so a backend never decides a rule. The planner, the map and the server read `Snapshot`s.
///
/// Backends: `GeoPackageStore` (one GeoPackage file, the embedded default) and `PostGISStore`
/// (a PostgreSQL database with PostGIS, a bureau's shared store).
public protocol ParcelStore: AnyObject, Sendable {
    /// Where the store is (a file path, a database address): messages and titles name it.
    var location: String { get }

    /// The geographic CRS of the positions (EPSG:4326 or EPSG:4490); its ellipsoid is the one
    /// areas are measured on.
    func crs() throws(LandtrackError) -> CoordinateReferenceSystem

    /// The store as it stood on each date (nil: now), read in one consistent read. With
    /// `history`, each snapshot carries every event up to its date; `content` says whether the
    /// parcels carry their geometry and original properties (left out, they are not read).
    func snapshots(at dates: [CalendarDate?], history: Bool, content: SnapshotContent) throws(LandtrackError) -> [Snapshot]

    /// The parcel as it is now, retired or not; nil when the store has no such id.
    func parcel(_ id: String) throws(LandtrackError) -> Parcel?

    /// The parcel's history, oldest first (effective date, then the order written).
    func history(_ id: String) throws(LandtrackError) -> [ParcelEvent]

    /// The parcels a parcel came from and those it became.
    func lineage(_ id: String) throws(LandtrackError) -> (parents: [String], children: [String])

    /// The date of the first event, or of the first event with programme reference `ref`.
    func firstEventDate(ref: String?) throws(LandtrackError) -> CalendarDate?

    /// Rows per table (parcels, events, lineage, each layer).
    func counts() throws(LandtrackError) -> [String: Int]

    /// Reads the whole store's structure once and throws `.corrupt` when it is damaged (a
    /// server checks this before it starts, rather than answer every request with an error).
    func verify() throws(LandtrackError)

    /// A page of a layer's features whose envelope meets `bbox`, in a stable order (parcel id,
    /// or feature id). Parcels are those active now, or those that existed on `asOf` with the
    /// state, PBF flag and geometry of that date (the page alone is reconstructed).
    /// `filter` (parcels only) keeps the features it holds for; values are bound, never spliced.
    func features(of layer: StoreLayer, bbox: Envelope?, filter: FeatureFilter?, limit: Int, offset: Int,
                  asOf: CalendarDate?) throws(LandtrackError) -> LayerPage

    /// One feature by id (a parcel id, or a constraint layer's feature id), now or on `asOf`.
    func feature(of layer: StoreLayer, id: String, asOf: CalendarDate?) throws(LandtrackError) -> LayerFeature?

    /// The layer's extent (longitude/latitude), nil when it is empty.
    func extent(of layer: StoreLayer) throws(LandtrackError) -> Envelope?

    /// The first and last effective dates of the history.
    func historySpan() throws(LandtrackError) -> (first: CalendarDate, last: CalendarDate)?

    /// The whole record, for copying it into another store.
    func record() throws(LandtrackError) -> StoreRecord

    /// The last clean import's fingerprint, unless a parcel row was updated or deleted since
    /// (`ImportFingerprint`); a read, which never waits for a writer.
    func lastImportFingerprint() throws(LandtrackError) -> ImportFingerprint?

    /// Runs `body` in one transaction: everything it wrote is kept when it returns, nothing
    /// when it throws.
    func write<T>(_ body: (any StoreTransaction) throws(LandtrackError) -> T) throws(LandtrackError) -> T

    /// `write` for a transaction that adds the rows of a whole file to a store without parcels
    /// (a first import): the same guarantees, written as a backend writes many new rows best
    /// (the GeoPackage: without its write-ahead log, each page written once).
    func writeMany<T>(_ body: (any StoreTransaction) throws(LandtrackError) -> T) throws(LandtrackError) -> T

    // MARK: Access tokens (only their SHA-256 is stored)

    func insertToken(owner: String, role: AccessRole, sha256: String, createdAt: String) throws(LandtrackError) -> Int64
    func tokenRecords() throws(LandtrackError) -> [AccessToken]
    /// Revokes an active token; false when there is no active token with that id.
    func revokeToken(id: Int64, at: String) throws(LandtrackError) -> Bool
    func activeToken(sha256: String) throws(LandtrackError) -> AccessToken?
}

/// What a write may do, inside one transaction of a backend. Only the write path of
/// `ParcelStore`'s extensions calls these; they check nothing of the programme's rules.
public protocol StoreTransaction {
    /// The store's geographic CRS.
    func crs() throws(LandtrackError) -> CoordinateReferenceSystem
    /// Takes `crs` as the store's CRS while the store has no history yet; returns the CRS in force.
    func adoptCRS(_ crs: CoordinateReferenceSystem) throws(LandtrackError) -> CoordinateReferenceSystem
    /// No parcel at all yet (a first import needs no comparisons).
    func isEmpty() throws(LandtrackError) -> Bool
    /// The parcel as it is in this transaction (a backend with row locks locks it).
    func parcel(_ id: String) throws(LandtrackError) -> Parcel?
    /// The parcels with these ids that exist, by id (locked like `parcel`); a re-import reads
    /// the parcels it compares in one call.
    func parcels(_ ids: [String]) throws(LandtrackError) -> [String: Parcel]
    /// The effective date of the parcel's last event.
    func lastEventDate(_ id: String) throws(LandtrackError) -> CalendarDate?
    func insert(_ parcel: Parcel) throws(LandtrackError)
    /// Writes every field of the parcel with this id.
    func update(_ parcel: Parcel) throws(LandtrackError)
    /// Appends an event; returns its id.
    func append(_ event: NewEvent) throws(LandtrackError) -> Int64
    func appendLineage(parent: String, child: String, eventID: Int64, kind: ParcelEvent.Kind) throws(LandtrackError)
    /// An event by id, as written.
    func event(_ id: Int64) throws(LandtrackError) -> ParcelEvent
    func layer(_ layer: ConstraintLayer) throws(LandtrackError) -> [LayerGeometry]
    /// Replaces every feature of a constraint layer.
    func replaceLayer(_ layer: ConstraintLayer, with features: [LayerGeometry]) throws(LandtrackError)
    /// Writes a whole record, ids included, into an empty store (`copyRecord`).
    func restore(_ record: StoreRecord) throws(LandtrackError)
    /// Records this transaction's import, after its writes, in place of the last one (the
    /// backend forgets it by itself when a parcel row is updated or deleted: `ImportFingerprint`).
    func recordImportFingerprint(_ fingerprint: ImportFingerprint) throws(LandtrackError)
}

extension StoreTransaction {
    public func parcels(_ ids: [String]) throws(LandtrackError) -> [String: Parcel] {
        var out: [String: Parcel] = [:]
        for id in ids { if let p = try parcel(id) { out[id] = p } }
        return out
    }
}

/// The layers of a store besides `parcels`: constraint layers that checks use.
public enum ConstraintLayer: String, Sendable, CaseIterable {
    /// 城镇开发边界
    case urbanBoundary = "urban_boundary"
    /// 生态保护红线
    case ecoRedline = "eco_redline"
    /// 整治区域
    case programmeArea = "programme_area"
    /// Highways, rivers: contiguity does not cross them.
    case barriers

    /// Barriers may be lines; the other layers are polygons.
    public var acceptsLines: Bool { self == .barriers }
}

/// A feature of a constraint layer: its WKB (read straight into GEOS by the checks), envelope,
/// name and other properties (JSON text).
public struct LayerGeometry: Sendable, Hashable {
    public var featureID: Int64?
    public var name: String?
    public var wkb: [UInt8]
    public var envelope: Envelope
    public var propertiesJSON: String

    public init(featureID: Int64? = nil, name: String?, wkb: [UInt8], envelope: Envelope, propertiesJSON: String = "{}") {
        self.featureID = featureID
        self.name = name
        self.wkb = wkb
        self.envelope = envelope
        self.propertiesJSON = propertiesJSON
    }

    /// The geometry as a value (drawing, GeoJSON), through GEOS's WKB reader.
    public func geometry(_ ctx: GEOSContext) throws(LandtrackError) -> Geometry {
        try ctx.value(ctx.readWKB(wkb))
    }
}

/// A feature of a store layer as web clients see it: id, geometry (storage CRS), properties.
public struct LayerFeature: Sendable {
    public var id: String
    public var geometry: Geometry
    public var properties: JSONObject

    public init(id: String, geometry: Geometry, properties: JSONObject) {
        self.id = id
        self.geometry = geometry
        self.properties = properties
    }

    /// A parcel as an OGC API feature: its attributes, the area method, always a MultiPolygon
    /// (clients that infer a layer type from the first features then see one type).
    public init(_ p: Parcel) {
        var o = p.attributes
        o.append("area_method", .string(AreaMethod.geodesic.rawValue))
        self.init(id: p.id, geometry: .multiPolygon(MultiPolygon(p.polygons)), properties: o)
    }

    /// A constraint-layer feature: name, then its other properties.
    public init(_ f: LayerGeometry, _ ctx: GEOSContext) throws(LandtrackError) {
        var o = JSONObject()
        o.append("name", f.name.map { .string($0) } ?? .null)
        guard let extra = (try? JSONValue.parse(f.propertiesJSON))?.objectValue else {
            throw .store(location: "feature \(f.featureID.map(String.init) ?? "?")", .corrupt("its properties are not a JSON object"))
        }
        for (k, v) in extra.members where k != "name" { o.append(k, v) }
        self.init(id: f.featureID.map(String.init) ?? "", geometry: try f.geometry(ctx), properties: o)
    }
}

/// One page of a layer's features and how many match in all.
public struct LayerPage: Sendable {
    public var features: [LayerFeature]
    public var numberMatched: Int

    public init(features: [LayerFeature], numberMatched: Int) {
        self.features = features
        self.numberMatched = numberMatched
    }
}

/// The feature layers of a store: `parcels` and the constraint layers.
public enum StoreLayer: Hashable, Sendable, CaseIterable {
    case parcels
    case constraint(ConstraintLayer)

    public static var allCases: [StoreLayer] { [.parcels] + ConstraintLayer.allCases.map { .constraint($0) } }

    public init?(table: String) {
        if table == "parcels" { self = .parcels } else if let c = ConstraintLayer(rawValue: table) { self = .constraint(c) } else { return nil }
    }

    public var table: String {
        switch self {
        case .parcels: "parcels"
        case let .constraint(c): c.rawValue
        }
    }
}

extension ParcelStore {
    /// A backend without a better way for many rows writes them as any other write.
    public func writeMany<T>(_ body: (any StoreTransaction) throws(LandtrackError) -> T) throws(LandtrackError) -> T {
        try write(body)
    }

    /// A page of a layer's features without a filter.
    public func features(of layer: StoreLayer, bbox: Envelope?, limit: Int, offset: Int, asOf: CalendarDate?) throws(LandtrackError) -> LayerPage {
        try features(of: layer, bbox: bbox, filter: nil, limit: limit, offset: offset, asOf: asOf)
    }

    /// The store now (active parcels, layers).
    public func snapshot(asOf date: CalendarDate? = nil, history: Bool = false, content: SnapshotContent = .all) throws(LandtrackError) -> Snapshot {
        try snapshots(at: [date], history: history, content: content)[0]
    }

    /// Snapshots whose parcels carry everything.
    public func snapshots(at dates: [CalendarDate?], history: Bool) throws(LandtrackError) -> [Snapshot] {
        try snapshots(at: dates, history: history, content: .all)
    }
}

/// What a snapshot's parcels carry besides their ids, states, flags, attributes and areas. A
/// report that needs no geometry (a summary of the stored areas) or no original properties
/// (the planner's reports) leaves them out: the store does not read or decode them, and a
/// million parcels take hundreds of megabytes less.
public struct SnapshotContent: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The parcels' polygons (else empty; areas are the stored ones, or those of a replaced
    /// geometry on a past date).
    public static let geometry = SnapshotContent(rawValue: 1)
    /// The original properties of the imported feature (else empty).
    public static let properties = SnapshotContent(rawValue: 2)
    /// Who recorded each event of the history, when, its note and the transition rule that
    /// allowed it (else empty texts and nil: the planner's rules read none of them; `sqlite3`
    /// reads a million events in 1.0 s with these columns, 0.76 s without).
    public static let eventDetails = SnapshotContent(rawValue: 4)
    public static let all: SnapshotContent = [.geometry, .properties, .eventDetails]
}

public enum StoreDefaults {
    /// The OS user (from the password database; $USER is not always set, e.g. under cron).
    public static var user: String {
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }
}
