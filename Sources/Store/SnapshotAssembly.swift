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
    /// pairs of re-imports oldest first, decoded by `decode` only when a snapshot needs one.
    public static func snapshots<Blob>(
        at dates: [CalendarDate?], crs: CoordinateReferenceSystem, layers: [ConstraintLayer: [LayerGeometry]],
        base: [Parcel], events: [String: [ParcelEvent]], replaced: [String: [(CalendarDate, Blob)]], history: Bool,
        decode: (Blob) throws(LandtrackError) -> [Polygon]
    ) throws(LandtrackError) -> [Snapshot] {
        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        var out: [Snapshot] = []
        for date in dates {
            guard let date else {
                out.append(Snapshot(asOf: nil, crs: crs, parcels: base.filter(\.active), layers: layers, history: history ? events : nil))
                continue
            }
            var parcels: [Parcel] = []
            for p in base {
                guard let past = events[p.id], var then = fold(p, past, through: date) else { continue }
                // Most stores have no replaced geometry: no lookup per parcel then.
                if !replaced.isEmpty, let old = replaced[p.id]?.first(where: { $0.0 > date }) {
                    then.polygons = try decode(old.1)
                    then.areaSquareMetres = try engine.area(of: then.polygons)
                }
                parcels.append(then)
            }
            // One copy of the events for every snapshot: each shows those up to its own date.
            out.append(Snapshot(asOf: date, crs: crs, parcels: parcels, layers: layers, history: history ? events : nil))
        }
        return out
    }

    /// A parcel as it stood on `date`, from its events (oldest first): nil before its first
    /// event and after a split or merge retired it; else the state and PBF flag of its last
    /// event on or before the date.
    public static func fold(_ current: Parcel, _ events: [ParcelEvent], through date: CalendarDate) -> Parcel? {
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
