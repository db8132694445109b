import Foundation
import Geometry
import Parcels
import Store

/// A store that forwards to another one, counting snapshot reads and, for `parcel(_:)`,
/// answering with values captured earlier (a reader that read before someone else wrote);
/// `beforeSnapshots` runs before each snapshot read (a test holds reports there).
public final class ForwardingStore: ParcelStore, @unchecked Sendable {
    public let base: any ParcelStore
    private let lock = NSLock()
    private var _before: (@Sendable () -> Void)?
    public var beforeSnapshots: (@Sendable () -> Void)? {
        get { lock.withLock { _before } }
        set { lock.withLock { _before = newValue } }
    }
    private var _stale: [String: Parcel] = [:]
    private var _calls: [[CalendarDate?]] = []
    public var staleParcels: [String: Parcel] {
        get { lock.withLock { _stale } }
        set { lock.withLock { _stale = newValue } }
    }
    public var snapshotCalls: [[CalendarDate?]] { lock.withLock { _calls } }

    public init(_ base: any ParcelStore) { self.base = base }

    public var location: String { base.location }
    public func crs() throws(LandtrackError) -> CoordinateReferenceSystem { try base.crs() }
    public func snapshots(at dates: [CalendarDate?], history: Bool, content: SnapshotContent) throws(LandtrackError) -> [Snapshot] {
        lock.withLock { _calls.append(dates) }
        beforeSnapshots?()
        return try base.snapshots(at: dates, history: history, content: content)
    }
    public func parcel(_ id: String) throws(LandtrackError) -> Parcel? {
        if let p = staleParcels[id] { return p }
        return try base.parcel(id)
    }
    public func history(_ id: String) throws(LandtrackError) -> [ParcelEvent] { try base.history(id) }
    public func lineage(_ id: String) throws(LandtrackError) -> (parents: [String], children: [String]) { try base.lineage(id) }
    public func firstEventDate(ref: String?) throws(LandtrackError) -> CalendarDate? { try base.firstEventDate(ref: ref) }
    public func counts() throws(LandtrackError) -> [String: Int] { try base.counts() }
    public func lastImportFingerprint() throws(LandtrackError) -> ImportFingerprint? { try base.lastImportFingerprint() }
    public func features(of layer: StoreLayer, bbox: Envelope?, filter: FeatureFilter?, limit: Int, offset: Int, asOf: CalendarDate?) throws(LandtrackError) -> LayerPage {
        try base.features(of: layer, bbox: bbox, filter: filter, limit: limit, offset: offset, asOf: asOf)
    }
    public func verify() throws(LandtrackError) { try base.verify() }
    public func feature(of layer: StoreLayer, id: String, asOf: CalendarDate?) throws(LandtrackError) -> LayerFeature? {
        try base.feature(of: layer, id: id, asOf: asOf)
    }
    public func extent(of layer: StoreLayer) throws(LandtrackError) -> Envelope? { try base.extent(of: layer) }
    public func historySpan() throws(LandtrackError) -> (first: CalendarDate, last: CalendarDate)? { try base.historySpan() }
    public func write<T>(_ body: (any StoreTransaction) throws(LandtrackError) -> T) throws(LandtrackError) -> T { try base.write(body) }
    public func writeMany<T>(_ body: (any StoreTransaction) throws(LandtrackError) -> T) throws(LandtrackError) -> T { try base.writeMany(body) }
    public func record() throws(LandtrackError) -> StoreRecord { try base.record() }
    public func insertToken(owner: String, role: AccessRole, sha256: String, createdAt: String) throws(LandtrackError) -> Int64 {
        try base.insertToken(owner: owner, role: role, sha256: sha256, createdAt: createdAt)
    }
    public func tokenRecords() throws(LandtrackError) -> [AccessToken] { try base.tokenRecords() }
    public func revokeToken(id: Int64, at: String) throws(LandtrackError) -> Bool { try base.revokeToken(id: id, at: at) }
    public func activeToken(sha256: String) throws(LandtrackError) -> AccessToken? { try base.activeToken(sha256: sha256) }
}
