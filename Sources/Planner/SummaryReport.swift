import Geometry
import Parcels
import Store

/// Area totals grouped by any combination of state, village, land use and PBF flag:
/// `landtrack summary` prints this.
public struct SummaryReport: Sendable, RenderableReport {
    public enum Key: String, Sendable, CaseIterable {
        case state, village, landuse, pbf
    }

    public struct Row: Sendable, Hashable {
        public var values: [String]
        public var count: Int
        public var area: AreaMeasure
        /// A line of deducted area (田坎 and the like) rather than of parcels: on the net basis each
        /// group's deductions are their own line, as in the survey's tables.
        public var deducted = false
    }

    public let keys: [Key]
    public let asOf: CalendarDate?
    public let methodDescription: String
    public let method: AreaMethod
    /// Net (deductions on lines of their own) or gross.
    public let basis: AreaBasis
    public let rows: [Row]
    /// Every parcel's whole patch: the sum of the rows, deduction lines included.
    public let total: Row

    /// `basis` nil: net when the parcels carry deductions (survey data), else gross.
    public init(parcels: [Parcel], crs: CoordinateReferenceSystem, by keys: [Key], method: AreaMethod = .geodesic,
                asOf: CalendarDate? = nil, basis: AreaBasis? = nil) throws(LandtrackError) {
        self.keys = keys
        self.asOf = asOf
        self.method = method
        let basis = AreaBasis.resolve(basis, parcels: parcels)
        self.basis = basis
        let longitude = parcels.first?.polygons.first?.exterior.points.first?.x ?? 114
        let engine = try makeAreaEngine(method, geographicCRS: crs, referenceLongitude: longitude)
        methodDescription = engine.methodDescription
        // A parcel's group as one small value (no array a parcel), made texts once per group.
        struct Group: Hashable {
            var state: ParcelState?, village: String?, landuse: String?, pbf: Bool?
            func values(_ keys: [Key]) -> [String] {
                keys.map { key -> String in
                    switch key {
                    case .state: state!.rawValue
                    case .village: village!
                    case .landuse: landuse!
                    case .pbf: pbf! ? "PBF" : "not PBF"
                    }
                }
            }
        }
        let (byState, byVillage, byLanduse, byPBF) = (keys.contains(.state), keys.contains(.village), keys.contains(.landuse), keys.contains(.pbf))
        // Each group's count and area in `totals`, found through `slots`; consecutive parcels
        // mostly share a group (a village's parcels come together), and comparing with the last
        // one is far cheaper than hashing its texts again (a village name hashes through Unicode
        // normalisation).
        var slots: [Group: Int] = [:]
        var totals: [(group: Group, count: Int, area: Double)] = []
        var last: (group: Group, slot: Int)?
        var deductions: [[String]: (Int, Double)] = [:]
        var count = 0, sum = 0.0
        // By position, each field read where it is: a parcel copied out of the array would be
        // retained and released field by field, a million times.
        for i in parcels.indices {
            // Geodesic areas are the parcels' own; the other methods measure again.
            let area = method == .geodesic ? parcels[i].areaSquareMetres : try engine.area(of: parcels[i].polygons)
            let group = Group(state: byState ? parcels[i].state : nil, village: byVillage ? parcels[i].village ?? "(none)" : nil,
                              landuse: byLanduse ? parcels[i].landuseCode ?? "(none)" : nil, pbf: byPBF ? parcels[i].basicFarmland : nil)
            let deducted = basis == .net ? parcels[i].deducted(from: area) : 0
            let slot: Int
            if let last, last.group == group {
                slot = last.slot
            } else {
                if let found = slots[group] {
                    slot = found
                } else {
                    slot = totals.count
                    slots[group] = slot
                    totals.append((group, 0, 0))
                }
                last = (group, slot)
            }
            totals[slot].count += 1
            totals[slot].area += area - deducted
            if deducted > 0, let deduction = parcels[i].deduction {
                // The deducted land is its own class: its code by land use, "(deducted)" by state.
                let values = group.values(keys)
                let line = keys.map { key -> String in
                    switch key {
                    case .state: "\(deduction.label) (deducted)"
                    case .landuse: deduction.code ?? "(deducted)"
                    case .village, .pbf: values[keys.firstIndex(of: key)!]
                    }
                }
                deductions[line, default: (0, 0)].0 += 1
                deductions[line, default: (0, 0)].1 += deducted
            }
            count += 1
            sum += area
        }
        rows = (totals.map { Row(values: $0.group.values(keys), count: $0.count, area: AreaMeasure(squareMetres: $0.area)) }
            + deductions.map { Row(values: $0.key, count: $0.value.0, area: AreaMeasure(squareMetres: $0.value.1), deducted: true) })
            .sorted { a, b in a.values != b.values ? a.values.lexicographicallyPrecedes(b.values) : !a.deducted && b.deducted }
        total = Row(values: keys.map { _ in "" }, count: count, area: AreaMeasure(squareMetres: sum))
    }

    public func table() -> String {
        var t = TextTable(headers: keys.map(\.rawValue) + ["parcels", "area (m²)", "area (mu)", "area (ha)"],
                          rightAligned: Set(keys.count..<(keys.count + 4)))
        let marksDeductions = !keys.contains(.state) && !keys.contains(.landuse)
        for r in rows {
            var values = r.values
            // By village or PBF alone, nothing else says a line is the deducted land.
            if r.deducted, marksDeductions, !values.isEmpty { values[values.count - 1] += " · deducted (田坎 etc.)" }
            t.append(values + [grouped(r.count), fixed(r.area.squareMetres, 2), fixed(r.area.mu, 2), fixed(r.area.hectares, 4)])
        }
        var totalCells = total.values
        if !totalCells.isEmpty { totalCells[0] = "total" }
        t.append((keys.isEmpty ? [] : totalCells) + [grouped(total.count), fixed(total.area.squareMetres, 2), fixed(total.area.mu, 2),
                                                     fixed(total.area.hectares, 4)])
        return "summary \(asOf.map { "as of \($0)" } ?? "now")" + (keys.isEmpty ? "" : " by \(keys.map(\.rawValue).joined(separator: ", "))")
            + "\nmethod: \(methodDescription)\nareas: \(basis.description)\(basis == .net ? "; the deducted land on lines of its own, the total the whole patches" : "")"
            + "\n1 mu = 2000/3 m², 1 ha = 15 mu\n\n" + t.render()
    }

    public func csv() -> String {
        var out = CSV.line(keys.map(\.rawValue) + ["parcel_count", "area_m2", "area_mu", "area_ha", "method", "area_basis", "deducted"])
        for r in rows + [total] {
            var values = r.values
            if r == total, !values.isEmpty { values[0] = "(total)" }
            out += CSV.line(values + [String(r.count), fixed(r.area.squareMetres, 4), fixed(r.area.mu, 6), fixed(r.area.hectares, 8), method.rawValue,
                                      r == total ? "gross" : basis.rawValue, String(r.deducted)])
        }
        return out
    }

    public func json() -> String {
        func measure(_ r: Row) -> String {
            "\"parcel_count\":\(r.count),\"area_m2\":\(fixed(r.area.squareMetres, 4)),\"area_mu\":\(fixed(r.area.mu, 6)),\"area_ha\":\(fixed(r.area.hectares, 8))"
        }
        var out = "{\"as_of\":" + (asOf.map { "\"\($0)\"" } ?? "null") + ",\"method\":\"\(method.rawValue)\",\"method_description\":"
        JSONValue.writeString(methodDescription, to: &out)
        out += ",\"area_basis\":\"\(basis.rawValue)\""
        out += ",\"by\":" + JSONValue.array(keys.map { .string($0.rawValue) }).jsonText + ",\"groups\":["
        for (i, r) in rows.enumerated() {
            if i > 0 { out += "," }
            var o = JSONObject()
            for (k, v) in zip(keys, r.values) { o.append(k.rawValue, .string(v)) }
            let head = JSONValue.object(o).jsonText
            out += "\n" + head.dropLast() + (o.isEmpty ? "" : ",") + measure(r) + (r.deducted ? ",\"deducted\":true" : "") + "}"
        }
        return out + "],\n\"total\":{" + measure(total) + "}}\n"
    }
}
