import Geometry
import Parcels

/// How snapshots are made from what a backend read, written once for every backend: the
/// parcels as they are now, their events up to the latest date asked for, and the geometries
/// that later re-imports replaced; folded per date in memory.
public enum SnapshotAssembly {
    /// Which events a read must fetch for `dates`: none (`needed` false), those up to
    /// `through`, or all of them (`through` nil: "now" was asked for with history).
    public static func eventRange(for dates: [CalendarDate?], history: Bool) -> (needed: Bool, through: CalendarDate?) {
        let past = dates.compactMap { $0 }
        let through: CalendarDate? = dates.contains(where: { $0 == nil }) ? nil : past.max()
        return (!past.isEmpty || history, through)
    }

    /// Whether the replaced geometries are needed (only for past dates).
    public static func needsReplacedGeometries(_ dates: [CalendarDate?]) -> Bool { dates.contains { $0 != nil } }

    /// The snapshots, one per date. `base` is every parcel (retired ones included) in id order;
    /// `events` each parcel's events oldest first; `replaced` each parcel's (date, geometry)
    /// pairs of re-imports oldest first, decoded by `decode` only when a snapshot needs one
    /// (without `.geometry` in `content`, only for its area).
    ///
    /// `base` is consumed: the last date's parcels are made in its place, so a million parcels
    /// are not held once more than there are dates.
    public static func snapshots<Blob>(
        at dates: [CalendarDate?], crs: CoordinateReferenceSystem, layers: [ConstraintLayer: [LayerGeometry]],
        base: consuming [Parcel], events: ParcelHistory, replaced: [String: [(CalendarDate, Blob)]], history: Bool,
        content: SnapshotContent = .all, decode: (Blob) throws(LandtrackError) -> [Polygon]
    ) throws(LandtrackError) -> [Snapshot] {
        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        /// The parcel on `date` (nil: now), nil when it did not exist then; `cursor` walks the
        /// events alongside the parcels (both in id order).
        func parcel(_ p: Parcel, on date: CalendarDate?, _ cursor: inout ParcelHistory.Cursor) throws(LandtrackError) -> Parcel? {
            guard let date else { return p.active ? p : nil }
            guard var then = fold(p, cursor.events(of: p.id), through: date) else { return nil }
            // Most stores have no replaced geometry: no lookup per parcel then.
            if !replaced.isEmpty, let old = replaced[p.id]?.first(where: { $0.0 > date }) {
                let polygons = try decode(old.1)
                then.areaSquareMetres = try engine.area(of: polygons)
                then.polygons = content.contains(.geometry) ? polygons : []
            }
            return then
        }
        var base = base
        var out: [Snapshot] = []
        for (k, date) in dates.enumerated() {
            var parcels: [Parcel] = []
            var cursor = ParcelHistory.Cursor(events)
            if k == dates.count - 1 {
                // In place: each kept parcel moves down over the ones left out.
                var kept = 0
                for i in base.indices {
                    guard let then = try parcel(base[i], on: date, &cursor) else { continue }
                    base[kept] = then
                    kept += 1
                }
                base.removeLast(base.count - kept)
                parcels = base
                base = []
            } else {
                for p in base { if let then = try parcel(p, on: date, &cursor) { parcels.append(then) } }
            }
            // One copy of the events for every snapshot: each shows those up to its own date.
            out.append(Snapshot(asOf: date, crs: crs, parcels: parcels, layers: layers, history: history ? events : nil))
        }
        return out
    }

    /// A parcel as it stood on `date`, from its events (oldest first): nil before its first
    /// event and after a split or merge retired it; else the state and PBF flag of its last
    /// event on or before the date.
    public static func fold(_ current: Parcel, _ events: ArraySlice<ParcelEvent>, through date: CalendarDate) -> Parcel? {
        var p = current
        var exists = false
        for e in events {
            guard e.effectiveDate <= date else { break }
            exists = exists || e.kind != .split && e.kind != .merge
            if let to = e.toState { p.state = to }
            if let pbf = e.pbfAfter { p.basicFarmland = pbf }
            switch e.kind {
            case .split, .merge: exists = e.toState != nil
            default: break
            }
        }
        guard exists else { return nil }
        p.active = true
        return p
    }
}

/// One copy of each long text a read repeats: a million import events carry the same
/// recording time, note and recorder, and each read of a column makes a new string (those of
/// up to 15 UTF-8 bytes are stored inline and need no sharing).
public struct RepeatedStrings {
    private var seen: [String: String] = [:]

    public init() {}

    public mutating func shared(_ s: String) -> String {
        guard s.utf8.count > 15 else { return s }
        if let kept = seen[s] { return kept }
        // Texts that do not repeat (notes naming a parcel) would only fill the table.
        if seen.count < 4096 { seen[s] = s }
        return s
    }

    public mutating func shared(_ s: String?) -> String? { s.map { shared($0) } }
}
