import Foundation
import Geometry
import Parcels
import Store

/// What a programme changed between two dates: `landtrack changes` prints this.
///
/// Parcels are compared as they stood on `from` and on `to` (net changes: a parcel moved twice
/// counts once, from its first to its last state). Parcels created by a split or merge in the
/// period come from "(new)", retired ones go to "(retired)". Areas are geodesic, net of the
/// parcels' deductions (田坎) or gross (`basis`).
public struct ChangesReport: Sendable, RenderableReport {
    public static let cultivated: Set<ParcelState> = [.farmland, .reclaimedFarmland]

    /// `cultivated` by state ordinal: asked per parcel without hashing.
    private static let cultivatedByOrdinal = ParcelState.allCases.map { cultivated.contains($0) }

    /// Whether `state` is cultivated land (`cultivated`).
    public static func isCultivated(_ state: ParcelState) -> Bool { cultivatedByOrdinal[state.ordinal] }

    public struct Cell: Sendable, Hashable {
        public var from: String
        public var to: String
        public var count: Int
        public var area: AreaMeasure
    }

    public let from: CalendarDate
    public let to: CalendarDate
    public let ref: String?
    /// State on `from` → state on `to`, by area, unchanged parcels included (diagonal).
    public let matrix: [Cell]
    /// 新增耕地: area that entered a cultivated state (farmland, reclaimed_farmland).
    public let newCultivatedLand: AreaMeasure
    /// 复垦复绿: area moved into reclaimed_farmland or eco_restored.
    public let reclaimedOrRegreened: AreaMeasure
    /// Cultivated land lost: area that left a cultivated state.
    public let cultivatedLandLost: AreaMeasure
    public let basicFarmlandDesignated: AreaMeasure
    public let basicFarmlandReleased: AreaMeasure
    /// Net (each parcel less its deduction, as on its later date) or gross.
    public let basis: AreaBasis

    /// The changes between two snapshots of one store (`start.asOf` ≤ `end.asOf`). With
    /// `ref`, only the parcels with an event of that programme reference in the period count
    /// (`end` must carry the history).
    /// `basis` nil: net when the parcels carry deductions, else gross.
    public init(start: Snapshot, end: Snapshot, ref: String? = nil, basis: AreaBasis? = nil) throws(LandtrackError) {
        guard let from = start.asOf, let to = end.asOf else { throw .invalidArgument("changes are computed between two dates") }
        guard from <= to else { throw .invalidArgument("--from \(from) is after --to \(to)") }
        self.from = from
        self.to = to
        self.ref = ref
        let basis = AreaBasis.resolve(basis, parcels: start.parcels, end.parcels)
        self.basis = basis
        var before = start.parcels, after = end.parcels
        if let ref {
            // Only parcels with an event of this programme reference in the period.
            let touched = end.parcels(withEventsOf: ref, after: from)
            before = before.filter { touched.contains($0.id) }
            after = after.filter { touched.contains($0.id) }
        }
        // Cells by state ordinals (the last two stand for "(new)" and "(retired)"), in one array:
        // no hashing per parcel.
        let states = ParcelState.allCases
        let (new, retired) = (states.count, states.count + 1)
        var cells = [(count: Int, area: Double)](repeating: (0, 0), count: (states.count + 2) * (states.count + 2))
        var gained = 0.0, regreened = 0.0, lost = 0.0, designated = 0.0, released = 0.0
        // Each parcel read in place through the buffers (never copied out of the lists).
        before.withUnsafeBufferPointer { then in
            after.withUnsafeBufferPointer { now in
                Self.forEachPair(before, after) { i, j in
                    let key = (i.map { then[$0].state.ordinal } ?? new) * (states.count + 2) + (j.map { now[$0].state.ordinal } ?? retired)
                    let area = j.map { now[$0].area(now[$0].areaSquareMetres, on: basis) } ?? then[i!].area(then[i!].areaSquareMetres, on: basis)
                    cells[key].count += 1
                    cells[key].area += area
                    // Re-parcelling keeps land where it was: only a parcel seen on both dates moves area.
                    guard let i, let j else { return }
                    let (b, a) = (then[i].state, now[j].state)
                    let (wasPBF, isPBF) = (then[i].basicFarmland, now[j].basicFarmland)
                    let wasCultivated = Self.isCultivated(b), isCultivated = Self.isCultivated(a)
                    if !wasCultivated && isCultivated { gained += area }
                    if wasCultivated && !isCultivated { lost += area }
                    if b != a && (a == .reclaimedFarmland || a == .ecoRestored) { regreened += area }
                    if !wasPBF && isPBF { designated += area }
                    if wasPBF && !isPBF { released += area }
                }
            }
        }
        func name(_ i: Int) -> String { i == new ? "(new)" : i == retired ? "(retired)" : states[i].rawValue }
        matrix = cells.indices.filter { cells[$0].count > 0 }
            .map { Cell(from: name($0 / (states.count + 2)), to: name($0 % (states.count + 2)), count: cells[$0].count,
                        area: AreaMeasure(squareMetres: cells[$0].area)) }
            .sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        newCultivatedLand = AreaMeasure(squareMetres: gained)
        reclaimedOrRegreened = AreaMeasure(squareMetres: regreened)
        cultivatedLandLost = AreaMeasure(squareMetres: lost)
        basicFarmlandDesignated = AreaMeasure(squareMetres: designated)
        basicFarmlandReleased = AreaMeasure(squareMetres: released)
    }

    /// Calls `body` with each id's position in the two lists (nil where it exists on one date
    /// only), in id order. Snapshots list parcels in id order (both stores read them in byte
    /// order): the two lists are walked together; lists in another order are paired through a
    /// dictionary. Positions, not parcels: a parcel handed over as a value was copied, a retain
    /// and a release for each of its parts (two million of them at a million parcels a date).
    public static func forEachPair<E: Error>(_ before: [Parcel], _ after: [Parcel],
                                             _ body: (_ before: Int?, _ after: Int?) throws(E) -> Void) throws(E) {
        let precedes = ParcelID.precedes
        // Ids read in place in the lists' buffers (through the arrays, each was copied out).
        func inOrder(_ list: UnsafeBufferPointer<Parcel>) -> Bool {
            list.indices.dropFirst().allSatisfy { ParcelID.order(list[$0 - 1].id, list[$0].id) < 0 }
        }
        let ordered = before.withUnsafeBufferPointer { b in after.withUnsafeBufferPointer { a in inOrder(b) && inOrder(a) } }
        guard ordered else {
            let then = Dictionary(before.indices.map { (before[$0].id, $0) }, uniquingKeysWith: { a, _ in a })
            let now = Dictionary(after.indices.map { (after[$0].id, $0) }, uniquingKeysWith: { a, _ in a })
            for id in Set(then.keys).union(now.keys).sorted(by: precedes) { try body(then[id], now[id]) }
            return
        }
        try before.withUnsafeBufferPointer { (b) throws(E) in
            try after.withUnsafeBufferPointer { (a) throws(E) in
                var i = 0, j = 0
                while i < b.count || j < a.count {
                    let order = j == a.count ? -1 : i == b.count ? 1 : ParcelID.order(b[i].id, a[j].id)
                    if order < 0 {
                        try body(i, nil)
                        i += 1
                    } else if order > 0 {
                        try body(nil, j)
                        j += 1
                    } else {
                        try body(i, j)
                        i += 1
                        j += 1
                    }
                }
            }
        }
    }

    /// Reads the two dates in one read of `store` and computes the changes.
    public static func load(from store: any ParcelStore, from: CalendarDate, to: CalendarDate, ref: String? = nil,
                            basis: AreaBasis? = nil) throws(LandtrackError) -> ChangesReport {
        guard from <= to else { throw .invalidArgument("--from \(from) is after --to \(to)") }
        // Areas and states only: no geometry or properties are read.
        let snapshots = try store.snapshots(at: [from, to], history: ref != nil, content: [])
        return try ChangesReport(start: snapshots[0], end: snapshots[1], ref: ref, basis: basis)
    }

    private var figures: [(String, String, AreaMeasure)] {
        [("new_cultivated_land", "new cultivated land (新增耕地)", newCultivatedLand),
         ("reclaimed_or_regreened", "reclaimed or re-greened (复垦复绿)", reclaimedOrRegreened),
         ("cultivated_land_lost", "cultivated land lost", cultivatedLandLost),
         ("pbf_designated", "PBF designated", basicFarmlandDesignated),
         ("pbf_released", "PBF released", basicFarmlandReleased)]
    }

    public func table() -> String {
        var m = TextTable(headers: ["from state", "to state", "parcels", "area (m²)", "area (mu)"], rightAligned: [2, 3, 4])
        for c in matrix where c.from != c.to {
            m.append([c.from, c.to, grouped(c.count), fixed(c.area.squareMetres, 2), fixed(c.area.mu, 2)])
        }
        var f = TextTable(headers: ["figure", "area (m²)", "area (mu)", "area (ha)"], rightAligned: [1, 2, 3])
        for (_, label, a) in figures { f.append([label, fixed(a.squareMetres, 2), fixed(a.mu, 2), fixed(a.hectares, 4)]) }
        let unchanged = matrix.filter { $0.from == $0.to }.reduce(0) { $0 + $1.count }
        return "changes from \(from) to \(to)" + (ref.map { " (programme \($0))" } ?? "")
            + "; net per parcel, areas geodesic, 1 mu = 2000/3 m²\nareas: \(basis.description)\n\n" + f.render()
            + "\nstate changes (\(grouped(unchanged)) parcels unchanged):\n" + m.render()
    }

    public func csv() -> String {
        var out = CSV.line(["from_state", "to_state", "parcel_count", "area_m2", "area_mu", "area_basis"])
        for c in matrix { out += CSV.line([c.from, c.to, String(c.count), fixed(c.area.squareMetres, 4), fixed(c.area.mu, 6), basis.rawValue]) }
        return out
    }

    public func json() -> String {
        var out = "{\"from\":\"\(from)\",\"to\":\"\(to)\",\"ref\":" + (ref.map { JSONValue.string($0).jsonText } ?? "null")
        out += ",\"area_method\":\"geodesic\",\"area_basis\":\"\(basis.rawValue)\""
        for (key, _, a) in figures {
            out += ",\"\(key)\":{\"area_m2\":\(fixed(a.squareMetres, 4)),\"area_mu\":\(fixed(a.mu, 6))}"
        }
        out += ",\"matrix\":["
        for (i, c) in matrix.enumerated() {
            if i > 0 { out += "," }
            out += "\n{\"from\":" + JSONValue.string(c.from).jsonText + ",\"to\":" + JSONValue.string(c.to).jsonText
            out += ",\"parcel_count\":\(c.count),\"area_m2\":\(fixed(c.area.squareMetres, 4)),\"area_mu\":\(fixed(c.area.mu, 6))}"
        }
        return out + "]}\n"
    }
}
