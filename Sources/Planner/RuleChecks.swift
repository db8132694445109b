import Foundation
import Geometry
import Parcels
import Store

/// The programme rules `landtrack check` runs, each with an id, a threshold where one makes
/// sense, and its source.
public enum PlannerRule: String, Sendable, CaseIterable {
    case pbfFragmentation = "pbf-fragmentation"
    case pbfInUrbanBoundary = "pbf-in-urban-boundary"
    case constructionInRedLine = "construction-in-red-line"
    case controlLinesOverlap = "control-lines-overlap"
    case newCultivatedLand = "new-cultivated-land"
    case newBasicFarmland = "new-basic-farmland"
    case cultivatedBalance = "cultivated-balance"
    case invalidGeometry = "invalid-geometry"
    case parcelOverlap = "parcel-overlap"
    case sliver
    case recordedTransitions = "recorded-transitions"

    public var title: String {
        switch self {
        case .pbfFragmentation: "permanent basic farmland blocks below the minimum size"
        case .pbfInUrbanBoundary: "permanent basic farmland inside the urban development boundary"
        case .constructionInRedLine: "construction (industrial_park) inside the ecological protection red line"
        case .controlLinesOverlap: "the three control lines overlap (urban boundary, red line, basic farmland)"
        case .newCultivatedLand: "new cultivated land in the programme area at least 5 % of the cultivated land at the start"
        case .newBasicFarmland: "new permanent basic farmland at least 5 % more than the PBF released"
        case .cultivatedBalance: "cultivated land balance: gained at least as much as lost (占补平衡)"
        case .invalidGeometry: "invalid parcel geometries"
        case .parcelOverlap: "parcels overlapping each other above the threshold"
        case .sliver: "slivers below the minimum mapping unit"
        case .recordedTransitions: "every state change in the history is one the transition table allows"
        }
    }

    public var source: String {
        switch self {
        case .pbfFragmentation: "永久基本农田集中连片 (自然资规〔2019〕1号); threshold configurable"
        case .pbfInUrbanBoundary, .controlLinesOverlap: "三区三线划定规则: the three control lines must not overlap (自然资办函〔2022〕2207号)"
        case .constructionInRedLine: "自然资发〔2022〕142号 (生态保护红线管理)"
        case .newCultivatedLand, .newBasicFarmland: "自然资发〔2019〕194号 (全域土地综合整治试点): 新增耕地 ≥ 5 %, 新增永久基本农田 ≥ 调整面积的 5 %"
        case .cultivatedBalance: "土地管理法 第三十条 (耕地占补平衡)"
        case .invalidGeometry, .parcelOverlap, .sliver: "GB/T 21010-2017 and 第三次全国国土调查 topology rules; minimum mapping units configurable"
        case .recordedTransitions: "the transition table (built-in, or --transition-rules FILE) with the PBF flag each parcel had at the time"
        }
    }
}

/// One violation.
public struct Finding: Sendable, Hashable {
    public var rule: PlannerRule
    public var parcels: [String]
    public var message: String
    public var area: AreaMeasure?
}

public struct CheckOptions: Sendable {
    public var rules: Set<PlannerRule> = Set(PlannerRule.allCases)
    public var asOf: CalendarDate?
    /// Start of the programme period (default: the store's first event, or the programme's).
    public var from: CalendarDate?
    /// Only this programme's changes count in the period rules (new cultivated land, new PBF,
    /// balance); the period starts with its first event unless `from` is given.
    public var programme: String?
    public var pbfMinimumMu = 10.0
    /// Overlaps smaller than this (m²) are normal register slivers, not findings.
    public var overlapThreshold = 1.0
    /// Minimum mapping units (m²).
    public var minimumConstruction = 200.0
    public var minimumFarmland = 400.0
    public var minimumOther = 600.0
    /// The table the recorded state changes are audited against.
    public var transitionRules = TransitionRules.standard
    /// The area the period rules add up (new cultivated land, PBF, balance): net of the parcels'
    /// deductions or gross; nil: net when the parcels carry deductions, else gross.
    public var areaBasis: AreaBasis?
    /// Parcels a tile in the overlap rule and the PBF blocks (the findings do not depend on
    /// it); nil: `ParcelTiles.standardSize`.
    public var parcelsPerTile: Int?
    /// Threads the overlap rule's and the PBF blocks' tiles are shared out between (the
    /// findings do not depend on it); nil: one per core.
    public var threads: Int?
    public init() {}
}

/// `landtrack check`: every selected rule, its verdict and its findings.
public struct CheckReport: Sendable, RenderableReport {
    public struct Result: Sendable, Hashable {
        public var rule: PlannerRule
        public var passed: Bool
        public var detail: String
        public var findings: [Finding]
    }

    public let asOf: CalendarDate?
    /// The area the period rules added up.
    public let basis: AreaBasis
    public let results: [Result]
    public var passed: Bool { results.allSatisfy(\.passed) }

    /// The rules that look at a period (from the programme's start to the as-of date).
    public static let periodRules: Set<PlannerRule> = [.newCultivatedLand, .newBasicFarmland, .cultivatedBalance]

    /// Reads what the selected rules need in one read of `store` — the as-of date (default
    /// today) with its history, and the start of the period — and runs them.
    public static func load(from store: any ParcelStore, options: CheckOptions) throws(LandtrackError) -> CheckReport {
        var options = options
        let asOf = options.asOf ?? .today
        options.asOf = asOf
        let period = try periodStart(in: store, options: options)
        let snapshots = try store.snapshots(at: [asOf] + (period.map { [$0] } ?? []), history: true, content: .geometry)
        let report = try CheckReport(current: snapshots[0], start: period == nil ? nil : snapshots[1], options: options)
        // Two million parcels and their history take a third of a second to free: on another
        // thread, while the caller writes the report.
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(snapshots) {} }
        return report
    }

    /// The start of the period the period rules look at: `options.from`, else the day before
    /// the programme's first event (`options.programme`), else the store's first event; nil
    /// when no period rule is selected or the store has no history.
    public static func periodStart(in store: any ParcelStore, options: CheckOptions) throws(LandtrackError) -> CalendarDate? {
        guard !options.rules.isDisjoint(with: periodRules) else { return nil }
        if let from = options.from { return from }
        // The programme's first event is dated on the day its first change takes effect: the
        // state before it is the day before.
        if let ref = options.programme { return try store.firstEventDate(ref: ref).map { (d: CalendarDate) throws(LandtrackError) in try d.dayBefore() } }
        return try store.firstEventDate(ref: nil)
    }

    /// Runs the selected rules on `current` (the store as of the check's date, with its
    /// history); the period rules compare it with `start` (nil: no history yet, they are skipped).
    ///
    /// The rules run in three groups on as many threads as there are cores, each group with its
    /// own GEOS context (GEOS contexts and geometries are never shared between threads).
    public init(current: Snapshot, start: Snapshot?, options: CheckOptions) throws(LandtrackError) {
        asOf = current.asOf
        var resolved = options
        let basis = AreaBasis.resolve(options.areaBasis, parcels: current.parcels, start?.parcels ?? [])
        resolved.areaBasis = basis
        self.basis = basis
        // Longest first: concurrentPerform runs as many groups at once as there are cores, and a
        // group left for later should be one that is short (validity, on both cores itself).
        // The overlap rule and the PBF blocks share one pass over the parcels' contacts.
        let all: [Set<PlannerRule>] = [
            [.parcelOverlap, .pbfFragmentation, .pbfInUrbanBoundary, .constructionInRedLine, .controlLinesOverlap],
            [.newCultivatedLand, .newBasicFarmland, .cultivatedBalance, .recordedTransitions, .sliver],
            [.invalidGeometry],
        ]
        let groups = all.map { $0.intersection(options.rules) }.filter { !$0.isEmpty }
        // The one tiled pass (overlaps with the PBF blocks' contacts) is the longest: its tiles
        // go to every core, the other groups taking their turns beside it (at 1M parcels check
        // took 0.86 × the time of one thread a group, CPU time no more).
        let options = resolved
        // Which parcels are proved valid on their coordinates (one simple ring), once for the
        // two rules that ask: `invalid-geometry` sends only the others to GEOS, the overlap
        // rule decides pairs of proved parcels on coordinates.
        let proved = options.rules.isDisjoint(with: [.invalidGeometry, .parcelOverlap]) ? [] : Self.provedValid(current.parcels)
        let outcomes = ConcurrentResults<Swift.Result<[Result], LandtrackError>>(count: groups.count)
        DispatchQueue.concurrentPerform(iterations: groups.count) { i in
            do throws(LandtrackError) {
                outcomes.set(i, .success(try Self.run(groups[i], current: current, start: start, proved: proved, options: options)))
            } catch {
                outcomes.set(i, .failure(error))
            }
        }
        var results: [Result] = []
        for outcome in outcomes.values { results += try outcome!.get() }
        let order = Dictionary(uniqueKeysWithValues: PlannerRule.allCases.enumerated().map { ($0.element, $0.offset) })
        self.results = results.sorted { order[$0.rule]! < order[$1.rule]! }
    }

    /// `SimplePolygon.isCertainlyValid` of every parcel, in runs on every core.
    static func provedValid(_ parcels: [Parcel]) -> [Bool] {
        let runs = (parcels.count + 65_535) / 65_536
        var proved: [Bool] = []
        proved.reserveCapacity(parcels.count)
        ParallelInOrder.forEach(0..<runs, workers: [Void](repeating: (), count: Cores.available), body: { _, k in
            parcels[k * 65_536..<min(parcels.count, (k + 1) * 65_536)].map { SimplePolygon.isCertainlyValid($0.polygons) }
        }, deliver: { proved += $0 })
        return proved
    }

    /// The overlap rule's pass: the pairs of parcels whose interiors overlap by more than the
    /// threshold, with the overlap's area (m²), ordered by their positions; how many pairs whose
    /// interiors meet have an invalid parcel (not measured); with `blocks`, gap 0's contacts
    /// among the parcels they select, found on the way (`GapZeroContacts`).
    ///
    /// Tile by tile: the pairs whose envelopes meet are decided on their coordinates
    /// (`PolygonContact`: valid neighbours that share vertices and edges are proved not to
    /// overlap); only the pairs left undecided pay for GEOS's DE-9IM test and the overlap's
    /// area. Two overlapping parcels share a tile (that of a point of their overlap) and are
    /// never proved apart or merely touching: the same findings as testing every pair. The tiles
    /// are shared out between the cores, each thread with a GEOS context of its own; a pair two
    /// tiles share is computed in both and kept once.
    static func overlapPass(_ parcels: [Parcel], proved: [Bool], options: CheckOptions, engine: GeodesicAreaEngine,
                            blocks: ContiguityReport.Options?) throws(LandtrackError)
        -> (pairs: [(Int, Int, Double)], unmeasured: Int, contacts: ContiguityAnalysis.GapZeroContacts?) {
        let joins = blocks.map { o in parcels.map { o.selects($0) } }
        var found = Set<Pair>(), unmeasured = Set<Pair>()
        var pairs: [(Int, Int, Double)] = []
        var joined = UnionFind(count: joins == nil ? 0 : parcels.count)
        var marked: [Int] = []
        let threads = max(1, options.threads ?? Cores.available)
        let tiles = ParcelTiles(parcels.map { MultiPolygon($0.polygons).envelope },
                                perTile: options.parcelsPerTile ?? max(1, ParcelTiles.standardSize / threads))
        let workers = (0..<threads).map { _ in
            let own = GEOSContext()
            return TileWorker(ctx: own) { (i: Int) throws(LandtrackError) in try own.geometry(.multiPolygon(MultiPolygon(parcels[i].polygons))) }
        }
        typealias TileOutcome = (overlapping: [(Int, Int, Double)], unmeasured: [Pair], joins: [Int], marked: [Int])
        try tiles.forEach(workers: workers, { (worker, members) throws(LandtrackError) -> TileOutcome in
            // The pairs GEOS settles: for the overlap, those not proved on coordinates — undecided
            // ones, and any with a parcel not proved valid (a store's parcels may have been
            // edited since they were checked on import); for the blocks, the undecided ones
            // between selected parcels, as `contactComponents` decides them.
            var local = UnionFind(count: joins == nil ? 0 : members.count)
            var settled: [(k: Int, m: Int, contact: PolygonContact)] = []
            ContiguityAnalysis.forEachContact(members, polygons: { parcels[$0].polygons }) { k, m, contact in
                let (i, j) = (members[k], members[m])
                if contact == .touching, let joins, joins[i] && joins[j] { local.join(k, m) }
                if contact == .undecided || !(proved[i] && proved[j]) { settled.append((k, m, contact)) }
            }
            var geos = MadeOnDemand(worker, members)
            var outcome: TileOutcome = ([], [], [], [])
            for (k, m, contact) in settled {
                let (i, j) = (members[k], members[m])
                let a = try geos.handle(k), b = try geos.handle(m)
                let overlap = try InteriorOverlap.of(a, b, ctx: worker.ctx, engine: engine)
                switch overlap {
                case .none: break
                case let .area(area): if area > 0 { outcome.overlapping.append((i, j, area)) }
                case .unmeasurable: outcome.unmeasured.append(Pair(i, j))
                }
                guard contact == .undecided, let joins, joins[i] && joins[j] else { continue }
                if overlap != .none {
                    outcome.marked += [i, j]
                    local.join(k, m)
                } else if local.find(k) != local.find(m), try worker.ctx.intersects(a, b) {
                    local.join(k, m)
                }
            }
            if joins != nil { outcome.joins = local.joins(members) }
            return outcome
        }, deliver: { (tile: TileOutcome) in
            for (i, j, area) in tile.overlapping where found.insert(Pair(i, j)).inserted && area > options.overlapThreshold {
                pairs.append((i, j, area))
            }
            unmeasured.formUnion(tile.unmeasured)
            joined.join(pairs: tile.joins)
            marked += tile.marked
        })
        return (pairs.sorted { ($0.0, $0.1) < ($1.0, $1.1) }, unmeasured.count,
                joins == nil ? nil : ContiguityAnalysis.GapZeroContacts(joined: joined, marked: marked))
    }

    /// The results of the rules in `run`, computed on this thread with one GEOS context;
    /// `proved` says which parcels are proved valid (`provedValid`, for the rules that ask).
    static func run(_ run: Set<PlannerRule>, current: Snapshot, start: Snapshot?, proved: [Bool],
                    options: CheckOptions) throws(LandtrackError) -> [Result] {
        let parcels = current.parcels, crs = current.crs
        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        let ctx = GEOSContext()
        // GEOS copies of parcels are made where a rule needs one and dropped after it (a
        // million parcels in GEOS would take gigabytes): the layer rules only for parcels whose
        // envelope meets the layer's, the overlap rule tile by tile.
        func handle(_ p: Parcel) throws(LandtrackError) -> GEOSGeometryHandle {
            try ctx.geometry(.multiPolygon(MultiPolygon(p.polygons)))
        }
        func layerUnion(_ layer: ConstraintLayer) throws(LandtrackError) -> GEOSGeometryHandle? {
            var hs: [GEOSGeometryHandle] = []
            for f in current.layer(layer) { hs.append(try ctx.readWKB(f.wkb)) }
            return hs.isEmpty ? nil : try ctx.unaryUnion(ctx.collection(hs))
        }
        func overlap(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> InteriorOverlap {
            try InteriorOverlap.of(a, b, ctx: ctx, engine: engine)
        }
        /// The detail's note of the parcels an invalid geometry left unmeasured.
        func unmeasuredNote(_ count: Int, _ what: String) -> String {
            count == 0 ? "" : "; \(count) \(what)\(count == 1 ? "" : "s") with an invalid geometry not measured (see invalid-geometry)"
        }
        /// A layer's union with its envelope: parcels outside the envelope are not sent to GEOS.
        func layer(_ layer: ConstraintLayer) throws(LandtrackError) -> LayerShape? {
            guard let union = try layerUnion(layer), let envelope = try ctx.bounds(union) else { return nil }
            return LayerShape(union: union, envelope: envelope)
        }
        func mayMeet(_ p: Parcel, _ layer: LayerShape) -> Bool {
            MultiPolygon(p.polygons).envelope.map { $0.intersects(layer.envelope) } ?? false
        }
        /// Does the parcel meet the layer (GEOS intersects, after the envelopes)?
        func meets(_ p: Parcel, _ layer: LayerShape) throws(LandtrackError) -> Bool {
            guard mayMeet(p, layer) else { return false }
            return try ctx.intersects(handle(p), layer.union)
        }
        let urban = try layer(.urbanBoundary)
        let redline = try layer(.ecoRedline)
        let programme = try layer(.programmeArea)
        var results: [Result] = []

        var pbfBlocks = ContiguityReport.Options()
        pbfBlocks.states = nil
        pbfBlocks.basicFarmlandOnly = true
        pbfBlocks.parcelsPerTile = options.parcelsPerTile
        pbfBlocks.threads = options.threads ?? Cores.available
        var gapZero: ContiguityAnalysis.GapZeroContacts?
        if run.contains(.parcelOverlap) {
            // The PBF blocks' contacts are found in the same pass when that rule runs here too.
            let (pairs, unmeasured, contacts) = try Self.overlapPass(parcels, proved: proved, options: options, engine: engine,
                                                         blocks: run.contains(.pbfFragmentation) ? pbfBlocks : nil)
            gapZero = contacts
            let findings = pairs.map { i, j, a in
                Finding(rule: .parcelOverlap, parcels: [parcels[i].id, parcels[j].id],
                        message: "parcels overlap by \(fixed(a, 2)) m²", area: AreaMeasure(squareMetres: a))
            }
            results.append(Result(rule: .parcelOverlap, passed: findings.isEmpty,
                detail: "overlaps above \(JSONValue.numberText(options.overlapThreshold)) m²: \(findings.count)" + unmeasuredNote(unmeasured, "pair"),
                findings: findings))
        }
        if run.contains(.pbfFragmentation) {
            let blocks = try ContiguityReport.analyse(parcels, crs: crs, options: pbfBlocks, gapZero: gapZero).blocks
            let small = blocks.filter { $0.area.mu < options.pbfMinimumMu }
            results.append(Result(rule: .pbfFragmentation, passed: small.isEmpty,
                detail: "\(blocks.count) PBF blocks, \(small.count) under \(JSONValue.numberText(options.pbfMinimumMu)) mu",
                findings: small.map { Finding(rule: .pbfFragmentation, parcels: $0.parcels,
                                              message: "PBF block of \(fixed($0.area.mu, 2)) mu (\($0.parcels.count) parcel\($0.parcels.count == 1 ? "" : "s"))", area: $0.area) }))
        }
        /// Parcels (those `selected`) whose interiors overlap `layer`, with the overlap area.
        func insideLayer(_ rule: PlannerRule, _ layer: LayerShape?, _ layerName: String, _ what: String,
                         _ selected: (Parcel) -> Bool, _ message: (Double) -> String) throws(LandtrackError) {
            var findings: [Finding] = []
            var unmeasured = 0
            if let layer {
                for p in parcels where selected(p) && mayMeet(p, layer) {
                    switch try overlap(handle(p), layer.union) {
                    case let .area(a) where a > 0:
                        findings.append(Finding(rule: rule, parcels: [p.id], message: message(a), area: AreaMeasure(squareMetres: a)))
                    case .unmeasurable: unmeasured += 1
                    default: break
                    }
                }
            }
            results.append(Result(rule: rule, passed: findings.isEmpty,
                detail: layer == nil ? "no \(layerName) layer in the store" : "\(findings.count) \(what) inside" + unmeasuredNote(unmeasured, "parcel"),
                findings: findings))
        }
        if run.contains(.pbfInUrbanBoundary) {
            try insideLayer(.pbfInUrbanBoundary, urban, "urban_boundary", "PBF parcels", { $0.basicFarmland }) {
                "PBF parcel overlaps the urban development boundary by \(fixed($0, 2)) m²"
            }
        }
        if run.contains(.constructionInRedLine) {
            try insideLayer(.constructionInRedLine, redline, "eco_redline", "construction parcels", { $0.state == .industrialPark }) {
                "industrial_park parcel lies \(fixed($0, 2)) m² inside the ecological red line"
            }
        }
        if run.contains(.controlLinesOverlap) {
            var findings: [Finding] = []
            var unmeasured = 0
            if let urban, let redline, case let .area(a) = try overlap(urban.union, redline.union), a > 0 {
                findings.append(Finding(rule: .controlLinesOverlap, parcels: [], message: "the urban boundary and the red line overlap by \(fixed(a, 2)) m²", area: AreaMeasure(squareMetres: a)))
            }
            if let redline {
                for p in parcels where p.basicFarmland && mayMeet(p, redline) {
                    switch try overlap(handle(p), redline.union) {
                    case let .area(a) where a > 0:
                        findings.append(Finding(rule: .controlLinesOverlap, parcels: [p.id], message: "PBF parcel overlaps the red line by \(fixed(a, 2)) m²", area: AreaMeasure(squareMetres: a)))
                    case .unmeasurable: unmeasured += 1
                    default: break
                    }
                }
            }
            results.append(Result(rule: .controlLinesOverlap, passed: findings.isEmpty,
                detail: "\(findings.count) overlaps" + unmeasuredNote(unmeasured, "PBF parcel"), findings: findings))
        }

        // Period rules: the programme from its start to the as-of date.
        if !run.isDisjoint(with: Self.periodRules), let start, let startDate = start.asOf, let end = current.asOf {
            let basis = options.areaBasis ?? .gross
            let changes = try ChangesReport(start: start, end: current, ref: options.programme, basis: basis)
            let period = "\(startDate) to \(end)" + (options.programme.map { ", programme \($0)" } ?? "") + ", \(basis.rawValue) areas"
            let programmeParcels = options.programme.map { current.parcels(withEventsOf: $0, after: startDate) }
            if run.contains(.newCultivatedLand) {
                // Cultivated land at the start inside the programme area (all parcels without one);
                // gained: parcels of the start, cultivated now and not then (or outside the area then).
                var base = 0.0, gained = 0.0
                // Each parcel read in place through the buffers; one is copied out of a list only
                // where GEOS needs it (a programme area).
                let (thenList, nowList) = (start.parcels, parcels)
                try thenList.withUnsafeBufferPointer { (then) throws(LandtrackError) in
                    try nowList.withUnsafeBufferPointer { (now) throws(LandtrackError) in
                        try ChangesReport.forEachPair(thenList, nowList) { (i, j) throws(LandtrackError) in
                            var countedAtStart = false
                            // Inside the programme area at the start; the same geometry now is asked once.
                            var insideAtStart: Bool?
                            if let i, ChangesReport.isCultivated(then[i].state) {
                                let inside = try programme.map { (area) throws(LandtrackError) in try meets(then[i], area) } ?? true
                                insideAtStart = inside
                                if inside {
                                    base += then[i].area(then[i].areaSquareMetres, on: basis)
                                    countedAtStart = true
                                }
                            }
                            guard let j, let i, !countedAtStart, ChangesReport.isCultivated(now[j].state) else { return }
                            if let programmeParcels, !programmeParcels.contains(now[j].id) { return }
                            if let programme {
                                var inside = now[j].polygons == then[i].polygons ? insideAtStart : nil
                                if inside == nil { inside = try meets(now[j], programme) }
                                if inside == false { return }
                            }
                            gained += now[j].area(now[j].areaSquareMetres, on: basis)
                        }
                    }
                }
                let share = base > 0 ? gained / base : 0
                let ok = share >= 0.05
                results.append(Result(rule: .newCultivatedLand, passed: ok,
                    detail: "\(period): new cultivated land \(fixed(gained * 3 / 2000, 2)) mu = \(fixed(share * 100, 2)) % of \(fixed(base * 3 / 2000, 2)) mu at the start"
                        + (programme == nil ? " (no programme_area layer: all parcels)" : " (inside the programme area)"),
                    findings: ok ? [] : [Finding(rule: .newCultivatedLand, parcels: [], message: "new cultivated land is \(fixed(share * 100, 2)) %, below 5 %", area: AreaMeasure(squareMetres: gained))]))
            }
            if run.contains(.newBasicFarmland) {
                let designated = changes.basicFarmlandDesignated.squareMetres, released = changes.basicFarmlandReleased.squareMetres
                let ok = released == 0 || designated - released >= 0.05 * released
                results.append(Result(rule: .newBasicFarmland, passed: ok,
                    detail: "\(period): PBF designated \(fixed(designated * 3 / 2000, 2)) mu, released \(fixed(released * 3 / 2000, 2)) mu",
                    findings: ok ? [] : [Finding(rule: .newBasicFarmland, parcels: [], message: "net new PBF (designated − released) is \(fixed((designated - released) * 3 / 2000, 2)) mu, less than 5 % of the \(fixed(released * 3 / 2000, 2)) mu released", area: nil)]))
            }
            if run.contains(.cultivatedBalance) {
                let gained = changes.newCultivatedLand.squareMetres, lost = changes.cultivatedLandLost.squareMetres
                let ok = gained >= lost
                results.append(Result(rule: .cultivatedBalance, passed: ok,
                    detail: "\(period): gained \(fixed(gained * 3 / 2000, 2)) mu, lost \(fixed(lost * 3 / 2000, 2)) mu",
                    findings: ok ? [] : [Finding(rule: .cultivatedBalance, parcels: [], message: "cultivated land lost exceeds the land gained by \(fixed((lost - gained) * 3 / 2000, 2)) mu", area: AreaMeasure(squareMetres: lost - gained))]))
            }
        }

        if run.contains(.invalidGeometry) {
            // Two halves on two threads, each with its own GEOS context.
            let halves = ConcurrentResults<Swift.Result<[Finding], LandtrackError>>(count: 2)
            let middle = parcels.count / 2
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                let ctx = GEOSContext()
                var findings: [Finding] = []
                do throws(LandtrackError) {
                    for i in k == 0 ? 0..<middle : middle..<parcels.count where !proved[i] {
                        let p = parcels[i]
                        let v = try ctx.validity(ctx.geometry(.multiPolygon(MultiPolygon(p.polygons))))
                        if !v.isValid { findings.append(Finding(rule: .invalidGeometry, parcels: [p.id], message: "invalid geometry (GEOS: \(v.reason ?? ""))", area: nil)) }
                    }
                    halves.set(k, .success(findings))
                } catch {
                    halves.set(k, .failure(error))
                }
            }
            var findings: [Finding] = []
            for half in halves.values { findings += try half!.get() }
            results.append(Result(rule: .invalidGeometry, passed: findings.isEmpty, detail: "\(parcels.count) parcels checked", findings: findings))
        }
        if run.contains(.sliver) {
            func limit(_ state: ParcelState) -> (minimum: Double, kind: String) {
                switch state {
                case .industrialPark: (options.minimumConstruction, "construction")
                case .farmland, .reclaimedFarmland: (options.minimumFarmland, "farmland")
                default: (options.minimumOther, "other land")
                }
            }
            // Each state's message ending made once (a register of small patches has hundreds
            // of thousands of slivers), the parcels read in place, not copied out one by one.
            let endings = Dictionary(uniqueKeysWithValues: ParcelState.allCases.map { state in
                (state, " m² \(state.rawValue) parcel, below the \(JSONValue.numberText(limit(state).minimum)) m² minimum for \(limit(state).kind)")
            })
            let findings = parcels.withUnsafeBufferPointer { all in
                var findings: [Finding] = []
                for i in all.indices where all[i].areaSquareMetres < limit(all[i].state).minimum {
                    let area = all[i].areaSquareMetres
                    findings.append(Finding(rule: .sliver, parcels: [all[i].id], message: fixed(area, 2) + endings[all[i].state]!,
                                            area: AreaMeasure(squareMetres: area)))
                }
                return findings
            }
            results.append(Result(rule: .sliver, passed: findings.isEmpty,
                detail: "minimum mapping units \(JSONValue.numberText(options.minimumConstruction)) / \(JSONValue.numberText(options.minimumFarmland)) / \(JSONValue.numberText(options.minimumOther)) m² (construction / farmland / other)",
                findings: findings))
        }
        if run.contains(.recordedTransitions) {
            var findings: [Finding] = []
            var audited = 0
            // Each parcel's events in the stores' id order, walked once (not looked up by id).
            current.forEachHistory { id, events in
                // The PBF flag as it stood at each event; the red line is the construction rule's business.
                var pbf = false
                for e in events {
                    if let move = e.stateMove {
                        audited += 1
                        let decision = options.transitionRules.decide(
                            TransitionRules.Move(from: move.from, to: move.to, basicFarmland: pbf || (e.pbfAfter ?? false), insideEcoRedline: false))
                        if case let .refused(rule, _) = decision {
                            let why = rule.map { "rule \($0.id) refuses it: \($0.reason)" } ?? "no rule allows it"
                            findings.append(Finding(rule: .recordedTransitions, parcels: [id],
                                message: "\(e.effectiveDate): \(e.kind.rawValue) \(move.from.rawValue) → \(move.to.rawValue) (event \(e.eventID)) — \(why)", area: nil))
                        }
                    }
                    if let after = e.pbfAfter { pbf = after }
                }
            }
            results.append(Result(rule: .recordedTransitions, passed: findings.isEmpty,
                detail: !current.hasHistory ? "no history in the snapshot" : "\(audited) recorded state changes checked", findings: findings))
        }
        return results
    }

    public func table() -> String {
        var out = "checks " + (asOf.map { "as of \($0)" } ?? "now") + ": \(results.filter(\.passed).count) of \(results.count) rules pass\n"
            + "areas: \(basis.description)\n\n"
        for r in results {
            out += "\(r.passed ? "PASS" : "FAIL")  \(r.rule.rawValue): \(r.rule.title)\n      \(r.detail)\n      source: \(r.rule.source)\n"
            for f in r.findings.prefix(50) {
                out += "      - " + (f.parcels.isEmpty ? "" : f.parcels.prefix(8).joined(separator: ", ") + (f.parcels.count > 8 ? ", …" : "") + ": ") + f.message + "\n"
            }
            if r.findings.count > 50 { out += "      … and \(r.findings.count - 50) more\n" }
        }
        return out
    }

    public func csv() -> String {
        var out = CSV.line(["rule", "passed", "parcels", "message", "area_m2"])
        for r in results {
            if r.findings.isEmpty { out += CSV.line([r.rule.rawValue, String(r.passed), "", r.detail, ""]) }
            for f in r.findings {
                out += CSV.line([r.rule.rawValue, String(r.passed), f.parcels.joined(separator: " "), f.message, f.area.map { fixed($0.squareMetres, 4) } ?? ""])
            }
        }
        return out
    }

    public func json() -> String { String(decoding: jsonUTF8(), as: UTF8.self) }

    /// The JSON as it is written, not made into a `String` (30 MB copied once more into fresh
    /// memory, for a million parcels' check).
    public func utf8(_ format: ReportFormat) -> [UInt8] { format == .json ? jsonUTF8() : Array(render(format).utf8) }

    private func jsonUTF8() -> [UInt8] {
        // Written straight out as UTF-8 bytes, not through a tree of values nor a String grown by
        // small appends: a million-parcel check has hundreds of thousands of findings (30 MB).
        var out: [UInt8] = []
        // Room for all of it at once (grown by doubling, 30 MB were copied and written to fresh
        // memory once more): the texts' own bytes and each finding's keys and figures.
        out.reserveCapacity(results.reduce(4096) { room, r in
            r.findings.reduce(room + r.detail.utf8.count + 512) { room, f in
                f.parcels.reduce(room + f.message.utf8.count + 64) { $0 + $1.utf8.count + 3 }
            }
        })
        func text(_ s: String) { out.append(contentsOf: s.utf8) }
        func string(_ s: String) { JSONValue.writeString(s, to: &out) }
        text("{\"as_of\":" + (asOf.map { "\"\($0)\"" } ?? "null") + ",\"passed\":\(passed),\"area_basis\":\"\(basis.rawValue)\",\"rules\":[")
        for (i, r) in results.enumerated() {
            text(i > 0 ? ",\n{\"id\":" : "\n{\"id\":")
            string(r.rule.rawValue)
            text(",\"title\":")
            string(r.rule.title)
            text(",\"source\":")
            string(r.rule.source)
            text(r.passed ? ",\"passed\":true,\"detail\":" : ",\"passed\":false,\"detail\":")
            string(r.detail)
            text(",\"findings\":[")
            for (k, f) in r.findings.enumerated() {
                text(k > 0 ? ",{\"parcels\":[" : "{\"parcels\":[")
                for (m, id) in f.parcels.enumerated() {
                    if m > 0 { out.append(UInt8(ascii: ",")) }
                    string(id)
                }
                text("],\"message\":")
                string(f.message)
                text(",\"area_m2\":")
                text(f.area.map { JSONValue.numberText(($0.squareMetres * 10_000).rounded() / 10_000) } ?? "null")
                out.append(UInt8(ascii: "}"))
            }
            text("]}")
        }
        text("]}\n")
        return out
    }
}

/// A constraint layer's union in GEOS with its envelope.
struct LayerShape {
    let union: GEOSGeometryHandle
    let envelope: Envelope
}

/// Two parcels by position, the smaller first.
struct Pair: Hashable {
    let a: Int, b: Int
    init(_ i: Int, _ j: Int) { (a, b) = (min(i, j), max(i, j)) }
}

/// One slot per concurrent task, written once each under a lock.
final class ConcurrentResults<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: T) { lock.withLock { slots[i] = value } }

    var values: [T?] { lock.withLock { slots } }
}
