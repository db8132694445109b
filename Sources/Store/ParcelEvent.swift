import Geometry
import Parcels

/// One entry of a parcel's history. Never changed once written.
public struct ParcelEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The parcel entered the record (first import).
        case imported = "import"
        /// A re-import changed its geometry or attributes (state and PBF changes of a re-import
        /// are `transition` and `pbf` events; stores from before 0.4 may have them here too).
        case updated = "import-update"
        case transition, pbf, split, merge
    }

    public var eventID: Int64
    public var parcelID: String
    public var kind: Kind
    public var fromState: ParcelState?
    public var toState: ParcelState?
    public var pbfBefore: Bool?
    public var pbfAfter: Bool?
    public var effectiveDate: CalendarDate
    public var recordedAt: String
    public var recordedBy: String
    public var ref: String?
    public var note: String?
    /// The transition rule that allowed a state change.
    public var ruleID: String?

    public init(eventID: Int64, parcelID: String, kind: Kind, fromState: ParcelState? = nil, toState: ParcelState? = nil,
                pbfBefore: Bool? = nil, pbfAfter: Bool? = nil, effectiveDate: CalendarDate, recordedAt: String, recordedBy: String,
                ref: String? = nil, note: String? = nil, ruleID: String? = nil) {
        self.eventID = eventID
        self.parcelID = parcelID
        self.kind = kind
        self.fromState = fromState
        self.toState = toState
        self.pbfBefore = pbfBefore
        self.pbfAfter = pbfAfter
        self.effectiveDate = effectiveDate
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
        self.ref = ref
        self.note = note
        self.ruleID = ruleID
    }

    /// A state change between two states (a transition, or a legacy import-update that moved one).
    public var stateMove: (from: ParcelState, to: ParcelState)? {
        guard kind == .transition || kind == .updated, let fromState, let toState, fromState != toState else { return nil }
        return (fromState, toState)
    }

    /// "wasteland → farmland", "PBF no → yes": the change in one phrase (history tables, the map).
    public var changeDescription: String {
        var parts: [String] = []
        if fromState != nil || toState != nil {
            parts.append("\(fromState?.rawValue ?? "–") → \(toState?.rawValue ?? "–")")
        }
        if let after = pbfAfter {
            parts.append("PBF \(pbfBefore.map { $0 ? "yes" : "no" } ?? "–") → \(after ? "yes" : "no")")
        }
        return parts.joined(separator: "; ")
    }
}

/// An event to append (the store gives it its id).
public struct NewEvent: Sendable {
    public var parcelID: String
    public var kind: ParcelEvent.Kind
    public var fromState: ParcelState?
    public var toState: ParcelState?
    public var pbfBefore: Bool?
    public var pbfAfter: Bool?
    public var date: CalendarDate
    public var recordedAt: String
    public var recordedBy: String
    public var ref: String?
    public var note: String?
    public var ruleID: String?
    /// The geometry this event replaced (a re-import's), kept so as-of reads can show it.
    public var previousPolygons: [Polygon]?
    /// The attributes this event replaced (JSON text: village, landuse_code, properties).
    public var previousAttributes: String?

    public init(parcelID: String, kind: ParcelEvent.Kind, fromState: ParcelState? = nil, toState: ParcelState? = nil,
                pbfBefore: Bool? = nil, pbfAfter: Bool? = nil, date: CalendarDate, recordedAt: String, recordedBy: String,
                ref: String? = nil, note: String? = nil, ruleID: String? = nil, previousPolygons: [Polygon]? = nil,
                previousAttributes: String? = nil) {
        self.parcelID = parcelID
        self.kind = kind
        self.fromState = fromState
        self.toState = toState
        self.pbfBefore = pbfBefore
        self.pbfAfter = pbfAfter
        self.date = date
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
        self.ref = ref
        self.note = note
        self.ruleID = ruleID
        self.previousPolygons = previousPolygons
        self.previousAttributes = previousAttributes
    }
}

/// The events of many parcels in one flat list, grouped by parcel in id order
/// (`ParcelID.precedes`, the stores' order) and oldest first within a parcel: a million events
/// without a dictionary entry and an array each. Built by appending in that order, as the
/// stores read them; events appended in another order are put in place by `finish`.
public struct ParcelHistory: Sendable {
    public private(set) var events: [ParcelEvent] = []
    private var inOrder = true

    public init() {}

    /// From events per parcel (each list oldest first).
    public init(_ byParcel: [String: [ParcelEvent]]) {
        for id in byParcel.keys.sorted(by: ParcelID.precedes) { events += byParcel[id]! }
    }

    /// From events in any order (a table read in its own order, which is much faster than
    /// through an index): grouped by parcel in id order, each parcel's by effective date, then
    /// by event id — the order of a store's `(parcel_id, effective_date, event_id)` index.
    ///
    /// A store's events are mostly in that order already (its import events, one per parcel in
    /// id order), with later changes after them: the longest ordered start is kept where it is,
    /// the rest sorted and merged into it from the back, moving the events after each insertion
    /// point once (a million events with a few thousand later changes: 0.45 → 0.0x s).
    public init(anyOrder events: consuming [ParcelEvent]) {
        var events = events
        // Compared in place (through the array, each event was copied out and destroyed again).
        let ordered = events.withUnsafeBufferPointer { list in
            var ordered = 1
            while ordered < list.count, !Self.precedes(list[ordered], list[ordered - 1]) { ordered += 1 }
            return ordered
        }
        guard ordered < events.count else {
            self.events = events
            return
        }
        let rest = events[ordered...].sorted(by: Self.precedes)
        events.withUnsafeMutableBufferPointer { all in
            let base = all.baseAddress!
            // The rest's places are emptied (`rest` holds them), then filled from the back: each
            // of the rest after the ordered events that follow it.
            (base + ordered).deinitialize(count: all.count - ordered)
            var end = ordered        // the ordered events still in place: base[0..<end]
            var free = all.count     // base[free...] is filled
            for e in rest.reversed() {
                // The ordered events after `e` (a binary search): moved up past the free places.
                var low = 0, high = end
                while low < high {
                    let mid = (low + high) / 2
                    if Self.precedes(e, base[mid]) { high = mid } else { low = mid + 1 }
                }
                let moved = end - low
                free -= moved
                (base + free).moveInitialize(from: base + low, count: moved)
                end = low
                free -= 1
                (base + free).initialize(to: e)
            }
        }
        self.events = events
    }

    /// The order of `init(anyOrder:)`.
    static func precedes(_ a: ParcelEvent, _ b: ParcelEvent) -> Bool {
        if a.parcelID != b.parcelID { return ParcelID.precedes(a.parcelID, b.parcelID) }
        if a.effectiveDate != b.effectiveDate { return a.effectiveDate < b.effectiveDate }
        return a.eventID < b.eventID
    }

    /// Appends the next event: grouped by parcel in id order, oldest first.
    public mutating func append(_ e: ParcelEvent) {
        if inOrder, let last = events.last, last.parcelID != e.parcelID, !ParcelID.precedes(last.parcelID, e.parcelID) { inOrder = false }
        events.append(e)
    }

    /// Puts events appended out of id order in place; each parcel's keep their order.
    public mutating func finish() {
        guard !inOrder else { return }
        let list = events
        events = list.indices.sorted { a, b in
            list[a].parcelID == list[b].parcelID ? a < b : ParcelID.precedes(list[a].parcelID, list[b].parcelID)
        }.map { list[$0] }
        inOrder = true
    }

    /// One parcel's events, oldest first (a binary search).
    public func events(of id: String) -> ArraySlice<ParcelEvent> {
        events[events.withUnsafeBufferPointer { Self.run(of: id, in: $0) }]
    }

    /// Where `id`'s events are in `list` (in the history's order): a binary search.
    fileprivate static func run(of id: String, in list: UnsafeBufferPointer<ParcelEvent>) -> Range<Int> {
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if ParcelID.precedes(list[mid].parcelID, id) { low = mid + 1 } else { high = mid }
        }
        return low..<runEnd(low, id, in: list)
    }

    /// Where the run of `id`'s events that starts at `start` in `list` ends.
    fileprivate static func runEnd(_ start: Int, _ id: String, in list: UnsafeBufferPointer<ParcelEvent>) -> Int {
        var end = start
        while end < list.count, list[end].parcelID == id { end += 1 }
        return end
    }

    /// Each parcel's events, in id order.
    public func forEachParcel(_ body: (String, ArraySlice<ParcelEvent>) throws -> Void) rethrows {
        var start = 0
        while start < events.count {
            let id = events[start].parcelID
            let end = events.withUnsafeBufferPointer { Self.runEnd(start, id, in: $0) }
            try body(id, events[start..<end])
            start = end
        }
    }

    /// Events of parcels asked for in id order, read in place in a history's list (lent by
    /// `events.withUnsafeBufferPointer` for the cursor's life): each lookup goes on from the
    /// last one (an id out of order is found by a binary search).
    // In place, not through the array: threads folding their parts of a snapshot retained and
    // released the one list's storage twice a parcel, an atomic count they fought over.
    public struct Cursor {
        private let list: UnsafeBufferPointer<ParcelEvent>
        private var position = 0
        private var lastID: String?

        public init(_ list: UnsafeBufferPointer<ParcelEvent>) { self.list = list }

        public mutating func events(of id: String) -> Slice<UnsafeBufferPointer<ParcelEvent>> {
            if let lastID, !ParcelID.precedes(lastID, id) { return list[ParcelHistory.run(of: id, in: list)] }
            if lastID == nil {
                // The first lookup (a cursor may start in the middle of the parcels): a search.
                lastID = id
                let found = ParcelHistory.run(of: id, in: list)
                position = found.upperBound
                return list[found]
            }
            lastID = id
            while position < list.count, ParcelID.precedes(list[position].parcelID, id) { position += 1 }
            let end = ParcelHistory.runEnd(position, id, in: list)
            let found = list[position..<end]
            position = end
            return found
        }
    }
}

/// The store as it stood on one date: the parcels that existed then, with the state, PBF flag
/// and geometry they had, the constraint layers, and (when asked for) the history up to then.
/// A value: the planner, the map and the server compute on it without touching the store.
public struct Snapshot: Sendable {
    /// nil: now (the active parcels, every event).
    public var asOf: CalendarDate?
    /// Geographic CRS of the positions; its ellipsoid is the one areas are measured on.
    public var crs: CoordinateReferenceSystem
    /// In id order.
    public var parcels: [Parcel]
    public var layers: [ConstraintLayer: [LayerGeometry]]
    /// Events of every parcel, oldest first; possibly beyond `asOf` (several snapshots of one
    /// read share one copy): read them through `history`, `events(of:)` or `forEachHistory`.
    private var events: ParcelHistory?

    /// `history`: the parcels' events (oldest first); only those up to `asOf` are ever shown.
    public init(asOf: CalendarDate?, crs: CoordinateReferenceSystem, parcels: [Parcel], layers: [ConstraintLayer: [LayerGeometry]],
                history: ParcelHistory? = nil) {
        self.asOf = asOf
        self.crs = crs
        self.parcels = parcels
        self.layers = layers
        self.events = history
    }

    /// Whether the snapshot was read with its history.
    public var hasHistory: Bool { events != nil }

    /// One parcel's events up to `asOf`, oldest first.
    public func events(of id: String) -> ArraySlice<ParcelEvent> {
        upTo(events?.events(of: id) ?? [])
    }

    /// Every parcel's events up to `asOf` (parcels without any are left out), in id order,
    /// without copying.
    public func forEachHistory(_ body: (String, ArraySlice<ParcelEvent>) throws -> Void) rethrows {
        try events?.forEachParcel { id, list in
            let kept = upTo(list)
            if !kept.isEmpty { try body(id, kept) }
        }
    }

    /// Every parcel's events up to `asOf` as a dictionary (a copy); nil when not read.
    public var history: [String: [ParcelEvent]]? {
        guard events != nil else { return nil }
        var out: [String: [ParcelEvent]] = [:]
        forEachHistory { out[$0] = Array($1) }
        return out
    }

    private func upTo(_ list: ArraySlice<ParcelEvent>) -> ArraySlice<ParcelEvent> {
        guard let asOf else { return list }
        return list.prefix { $0.effectiveDate <= asOf }
    }

    public func layer(_ layer: ConstraintLayer) -> [LayerGeometry] { layers[layer] ?? [] }

    /// Ids of the parcels with an event of programme `ref` after `from` (up to the snapshot's
    /// date). Needs the history.
    public func parcels(withEventsOf ref: String, after from: CalendarDate) -> Set<String> {
        var out = Set<String>()
        forEachHistory { id, events in
            if events.contains(where: { $0.ref == ref && $0.effectiveDate > from }) { out.insert(id) }
        }
        return out
    }
}
