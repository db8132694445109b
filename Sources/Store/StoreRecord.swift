import Geometry
import Parcels

/// A whole store as values, for `landtrack copy`: every parcel (retired ones too), every event
/// with what it replaced, the lineage, the constraint layers and the access tokens, with the
/// ids they have (lineage names event ids; layer features keep their feature ids).
public struct StoreRecord: Sendable {
    public var crs: CoordinateReferenceSystem
    /// In id order.
    public var parcels: [Parcel]
    /// In event-id order.
    public var events: [RecordedEvent]
    public var lineage: [LineageLink]
    public var layers: [ConstraintLayer: [LayerGeometry]]
    public var tokens: [StoredToken]

    public init(crs: CoordinateReferenceSystem, parcels: [Parcel], events: [RecordedEvent], lineage: [LineageLink],
                layers: [ConstraintLayer: [LayerGeometry]], tokens: [StoredToken]) {
        self.crs = crs
        self.parcels = parcels
        self.events = events
        self.lineage = lineage
        self.layers = layers
        self.tokens = tokens
    }

    /// Rows per table, as `ParcelStore.counts()` names them.
    public var counts: [String: Int] {
        var out = ["parcels": parcels.count, "parcel_events": events.count, "parcel_lineage": lineage.count]
        for layer in ConstraintLayer.allCases { out[layer.rawValue] = layers[layer]?.count ?? 0 }
        return out
    }
}

/// An event as stored: the event and what it replaced (a re-import's old geometry and attributes).
public struct RecordedEvent: Sendable, Hashable {
    public var event: ParcelEvent
    public var previousPolygons: [Polygon]?
    public var previousAttributes: String?

    public init(event: ParcelEvent, previousPolygons: [Polygon]?, previousAttributes: String?) {
        self.event = event
        self.previousPolygons = previousPolygons
        self.previousAttributes = previousAttributes
    }
}

extension NewEvent {
    /// The event as it was written, to write again into another store (with its id).
    public init(_ r: RecordedEvent) {
        let e = r.event
        self.init(parcelID: e.parcelID, kind: e.kind, fromState: e.fromState, toState: e.toState, pbfBefore: e.pbfBefore,
                  pbfAfter: e.pbfAfter, date: e.effectiveDate, recordedAt: e.recordedAt, recordedBy: e.recordedBy, ref: e.ref,
                  note: e.note, ruleID: e.ruleID, previousPolygons: r.previousPolygons, previousAttributes: r.previousAttributes)
    }
}

/// A split/merge link: `parent` became (part of) `child` by event `eventID`.
public struct LineageLink: Sendable, Hashable {
    public var parent: String
    public var child: String
    public var eventID: Int64
    public var kind: ParcelEvent.Kind

    public init(parent: String, child: String, eventID: Int64, kind: ParcelEvent.Kind) {
        self.parent = parent
        self.child = child
        self.eventID = eventID
        self.kind = kind
    }
}

/// An access token's record with its hash (the token itself is never stored).
public struct StoredToken: Sendable, Hashable {
    public var token: AccessToken
    public var sha256: String

    public init(token: AccessToken, sha256: String) {
        self.token = token
        self.sha256 = sha256
    }
}

extension ParcelStore {
    /// Copies the whole record of `source` into this store, which must be empty (no parcels,
    /// no history, no layer features, no tokens), in one transaction; then checks that every
    /// table has as many rows as the source's. Returns the rows copied per table.
    @discardableResult
    public func copyRecord(from source: any ParcelStore) throws(LandtrackError) -> [String: Int] {
        let here = try counts()
        let tokensHere = try tokenRecords()
        if here.values.contains(where: { $0 > 0 }) || !tokensHere.isEmpty {
            throw .invalidArgument("\(location) is not empty (\(here.filter { $0.value > 0 }.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", "))\(tokensHere.isEmpty ? "" : ", tokens: \(tokensHere.count)")); copy into a new store")
        }
        let record = try source.record()
        try write { (tx) throws(LandtrackError) in try tx.restore(record) }
        let copied = try counts()
        for (table, n) in record.counts where copied[table] != n {
            throw .store(location: location, .corrupt("the copy has \(copied[table] ?? 0) rows in \(table), the source \(n)"))
        }
        var out = record.counts
        out["landtrack_tokens"] = record.tokens.count
        return out
    }
}
