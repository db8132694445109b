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
    /// are not held once more than there are dates. From 4,096 parcels on, each date's parcels
    /// are folded in parts on as many threads as there are cores: `decode` is called from
    /// several threads at once.
    public static func snapshots<Blob>(
        at dates: [CalendarDate?], crs: CoordinateReferenceSystem, layers: [ConstraintLayer: [LayerGeometry]],
        base: consuming [Parcel], events: ParcelHistory, replaced: [String: [(CalendarDate, Blob)]], history: Bool,
        content: SnapshotContent = .all, decode: (Blob) throws(LandtrackError) -> [Polygon]
    ) throws(LandtrackError) -> [Snapshot] {
        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        /// The parcel on `date` (nil: now), nil when it did not exist then; `cursor` walks the
        /// events alongside the parcels (both in id order).
        // The parcel handed over, not lent: folded in place and handed on (a parcel lent was
        // copied at each step, a retain and a release of each of its parts).
        func parcel(_ p: consuming Parcel, on date: CalendarDate?, _ cursor: inout ParcelHistory.Cursor) throws(LandtrackError) -> Parcel? {
            guard let date else { return p.active ? p : nil }
            let events = cursor.events(of: p.id)
            return try parcel(p, on: date, events: events)
        }
        // Asked once, not per parcel: in this generic function (not specialized across modules)
        // each question to `replaced` looked up its tuple type's metadata, behind a lock the
        // folding threads shared (the in-place fold's per-parcel lookups are gone; the copying
        // fold's `parcel` still makes one on entry, for its frame).
        let noneReplaced = replaced.isEmpty
        /// The geometry a later re-import replaced: the one `id` had on `date`, nil when none did.
        func replacement(of id: String, on date: CalendarDate) -> (CalendarDate, Blob)? {
            noneReplaced ? nil : replaced[id]?.first(where: { $0.0 > date })
        }
        func parcel(_ p: consuming Parcel, on date: CalendarDate, events: Slice<UnsafeBufferPointer<ParcelEvent>>) throws(LandtrackError) -> Parcel? {
            let id = p.id
            guard var then = fold(p, events, through: date) else { return nil }
            // Most stores have no replaced geometry: no lookup per parcel then.
            if let old = replacement(of: id, on: date) {
                let polygons = try decode(old.1)
                then.areaSquareMetres = try engine.area(of: polygons)
                then.polygons = content.contains(.geometry) ? polygons : []
            }
            return then
        }
        var base = consume base  // not a second reference: the in-place fold below would copy a million parcels first
        // The parcels in as many parts as there are cores, each folded on a thread of its own
        // (its own cursor through the events); the parts are put together in order.
        let parts = base.count < 4096 ? 1 : Cores.available
        let bounds = (0...parts).map { base.count * $0 / parts }
        var out: [Snapshot] = []
        let workers = [Void](repeating: (), count: parts)
        /// `foldPart` for the last date, in place in `buffer`: a parcel the fold leaves as it is
        /// and that stays where it is is not copied out and back (at a million parcels, copies
        /// that were a third of assembling `check`'s snapshots).
        func foldPartInPlace(_ part: Int, on date: CalendarDate?, _ buffer: UnsafeMutableBufferPointer<Parcel>,
                             _ list: UnsafeBufferPointer<ParcelEvent>) throws(LandtrackError) -> Int {
            guard let date else { return try foldPart(part, on: nil, list, read: { buffer[$0] }) { buffer[bounds[part] + $0] = $1 } }
            var cursor = ParcelHistory.Cursor(list)
            var kept = 0
            let base = buffer.baseAddress!
            for i in bounds[part]..<bounds[part + 1] {
                let id = base[i].id
                let events = cursor.events(of: id)
                if bounds[part] + kept == i,
                   foldLeavesAsIs(state: base[i].state, basicFarmland: base[i].basicFarmland, active: base[i].active, events, through: date),
                   noneReplaced || replacement(of: id, on: date) == nil {
                    kept += 1
                    continue
                }
                guard let then = try parcel(buffer[i], on: date, events: events) else { continue }
                buffer[bounds[part] + kept] = then
                kept += 1
            }
            return kept
        }
        /// The parcels of `part` as they stood on `date`, read by `read`, handed to `keep` with
        /// their position among those kept; how many were kept. `list` is the events' list.
        func foldPart(_ part: Int, on date: CalendarDate?, _ list: UnsafeBufferPointer<ParcelEvent>, read: (Int) -> Parcel,
                  keep: (Int, consuming Parcel) -> Void) throws(LandtrackError) -> Int {
            var cursor = ParcelHistory.Cursor(list)
            var kept = 0
            for i in bounds[part]..<bounds[part + 1] {
                guard let then = try parcel(read(i), on: date, &cursor) else { continue }
                keep(kept, then)
                kept += 1
            }
            return kept
        }
        // The events lent to every part's cursor while the dates are folded.
        try events.events.withUnsafeBufferPointer { (list) throws(LandtrackError) in
            for (k, date) in dates.enumerated() {
                var parcels: [Parcel] = []
                if k == dates.count - 1 {
                    // In place: each kept parcel moves down over the ones left out of its part,
                    // then the parts close up.
                    var kept: [Int] = []
                    try base.withUnsafeMutableBufferPointer { (buffer) throws(LandtrackError) in
                        let shared = DisjointRanges(buffer)
                        try ParallelInOrder.forEach(0..<parts, workers: workers, body: { _, part in
                            Result { () throws(LandtrackError) -> Int in
                                try foldPartInPlace(part, on: date, shared.buffer, list)
                            }
                        }, deliver: { (result) throws(LandtrackError) in kept.append(try result.get()) })
                    }
                    for part in (0..<parts).reversed() { base.removeSubrange(bounds[part] + kept[part]..<bounds[part + 1]) }
                    parcels = base
                    base = []
                } else {
                    // Each part's parcels straight into its range of one array, then the parts
                    // closed up by moving them (appended part by part, a million parcels were
                    // copied once more on one thread: 0.5 s).
                    var failure: LandtrackError?
                    parcels = [Parcel](unsafeUninitializedCapacity: base.count) { buffer, initialized in
                        let target = DisjointRanges(buffer)
                        var made: [(kept: Int, error: LandtrackError?)] = []
                        ParallelInOrder.forEach(0..<parts, workers: workers, body: { _, part in
                            var kept = 0
                            do throws(LandtrackError) {
                                _ = try foldPart(part, on: date, list, read: { base[$0] }) { k, then in
                                    (target.buffer.baseAddress! + bounds[part] + k).initialize(to: then)
                                    kept += 1
                                }
                                return (kept, nil)
                            } catch {
                                return (kept, error)
                            }
                        }, deliver: { made.append($0) })
                        failure = made.lazy.compactMap(\.error).first
                        if failure != nil {
                            for (part, m) in made.enumerated() { (buffer.baseAddress! + bounds[part]).deinitialize(count: m.kept) }
                            initialized = 0
                            return
                        }
                        var end = made[0].kept
                        for part in 1..<parts {
                            (buffer.baseAddress! + end).moveInitialize(from: buffer.baseAddress! + bounds[part], count: made[part].kept)
                            end += made[part].kept
                        }
                        initialized = end
                    }
                    if let failure { throw failure }
                }
                // One copy of the events for every snapshot: each shows those up to its own date.
                out.append(Snapshot(asOf: date, crs: crs, parcels: parcels, layers: layers, history: history ? events : nil))
            }
        }
        return out
    }

    /// A parcel as it stood on `date`, from its events (oldest first): nil before its first
    /// event and after a split or merge retired it; else the state and PBF flag of its last
    /// event on or before the date.
    public static func fold(_ current: consuming Parcel, _ events: some Collection<ParcelEvent>, through date: CalendarDate) -> Parcel? {
        let then = folded(state: current.state, basicFarmland: current.basicFarmland, events, through: date)
        guard then.exists else { return nil }
        current.state = then.state
        current.basicFarmland = then.basicFarmland
        current.active = true
        return current
    }

    /// What `fold` makes of a parcel (whether it exists, its state and PBF flag) from the two
    /// fields it starts from (read in place by the caller: no parcel handed over, none copied).
    @inline(__always)
    static func folded(state: ParcelState, basicFarmland: Bool, _ events: some Collection<ParcelEvent>, through date: CalendarDate)
        -> (exists: Bool, state: ParcelState, basicFarmland: Bool) {
        var (exists, state, basicFarmland) = (false, state, basicFarmland)
        for e in events {
            guard e.effectiveDate <= date else { break }
            exists = exists || e.kind != .split && e.kind != .merge
            if let to = e.toState { state = to }
            if let pbf = e.pbfAfter { basicFarmland = pbf }
            switch e.kind {
            case .split, .merge: exists = e.toState != nil
            default: break
            }
        }
        return (exists, state, basicFarmland)
    }

    /// Does `fold` give back the parcel as it is (active, its state and PBF flag those of its
    /// last event by the date)? Then a snapshot built in place need not touch it.
    static func foldLeavesAsIs(state: ParcelState, basicFarmland: Bool, active: Bool, _ events: some Collection<ParcelEvent>,
                               through date: CalendarDate) -> Bool {
        let then = folded(state: state, basicFarmland: basicFarmland, events, through: date)
        return then.exists && active && then.state == state && then.basicFarmland == basicFarmland
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
