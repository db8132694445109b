import Foundation
import Geometry
import Parcels
import Planner
import Store

/// What `landtrack map` draws: one panel per date (one date, or two side by side to compare).
public struct MapOptions: Sendable {
    /// One panel per entry; nil is "now".
    public var dates: [CalendarDate?] = [nil]
    public var title = "landtrack map"
    /// The blocks outlined on the map (outlines are always computed).
    public var contiguity = ContiguityReport.Options()
    /// The checks listed beside the map and highlighted on it (their as-of date is each panel's).
    /// Its `areaBasis` is the summary's too (nil: net when the parcels carry deductions).
    public var checks = CheckOptions()
    public init() {}
}

/// One self-contained HTML page: the parcels coloured by state, PBF hatched, contiguous blocks
/// outlined and labelled in mu, rule violations outlined in red, the constraint layers, a
/// scale bar and a north arrow, pan/zoom and a parcel panel with the history; beside the map
/// the summary and the checks. Data and drawing code are inline: the page needs no network.
///
/// Coordinates are drawn in the CGCS2000 3° Gauss-Krüger plane of the data (PROJ transverse
/// Mercator) so that the scale bar is in metres; the north arrow shows true north, which
/// differs from grid north (up) by the meridian convergence.
public struct MapPage: Sendable {
    public let html: String
    /// Parcels drawn in each panel (the page reports the same counts through the DOM).
    public let parcelCounts: [Int]

    /// Reads every panel's date (now is today), with the history and the start of the checks'
    /// period, in one read of `store`, and draws them.
    public static func render(store: any ParcelStore, options: MapOptions) throws(LandtrackError) -> MapPage {
        precondition(!options.dates.isEmpty && options.dates.count <= 2, "one or two panels")
        let dates = options.dates.map { $0 ?? .today }
        let start = try CheckReport.periodStart(in: store, options: options.checks)
        let snapshots = try store.snapshots(at: dates + (start.map { [$0] } ?? []), history: true)
        return try render(panels: Array(snapshots.prefix(dates.count)), periodStart: start == nil ? nil : snapshots.last,
                          labels: options.dates, options: options)
    }

    /// Draws one panel per snapshot (each with its history); `periodStart` is the snapshot the
    /// checks' period rules start from; `labels` name the panels (nil: "now").
    public static func render(panels snapshots: [Snapshot], periodStart: Snapshot?, labels: [CalendarDate?],
                              options: MapOptions) throws(LandtrackError) -> MapPage {
        precondition(!snapshots.isEmpty && snapshots.count <= 2, "one or two panels")
        let crs = snapshots[0].crs
        var panels: [Panel] = []
        for (snapshot, label) in zip(snapshots, labels) {
            var contiguity = options.contiguity
            contiguity.outlines = true
            let blocks = try ContiguityReport.analyse(snapshot.parcels, crs: crs, options: contiguity)
            let summary = try SummaryReport(parcels: snapshot.parcels, crs: crs, by: [.state], asOf: label, basis: options.checks.areaBasis)
            var checkOptions = options.checks
            checkOptions.asOf = snapshot.asOf
            let checks = try CheckReport(current: snapshot, start: periodStart, options: checkOptions)
            panels.append(Panel(date: label, parcels: snapshot.parcels, blocks: blocks, summary: summary, checks: checks))
        }
        let ctx = GEOSContext()
        var layers: [(ConstraintLayer, [(name: String?, geometry: Geometry)])] = []
        for layer in ConstraintLayer.allCases {
            var features: [(name: String?, geometry: Geometry)] = []
            for f in snapshots[0].layer(layer) { features.append((f.name, try f.geometry(ctx))) }
            if !features.isEmpty { layers.append((layer, features)) }
        }
        let latest = snapshots.max { ($0.asOf ?? .today) < ($1.asOf ?? .today) }!
        let html = try Writer(crs: crs, panels: panels, layers: layers, histories: latest.history ?? [:], title: options.title).page()
        return MapPage(html: html, parcelCounts: panels.map(\.parcels.count))
    }

    struct Panel {
        var date: CalendarDate?
        var parcels: [Parcel]
        var blocks: ContiguityReport
        var summary: SummaryReport
        var checks: CheckReport
        var label: String { date.map { "as of \($0)" } ?? "now" }
    }

    /// Colours by state; the legend and the drawing code read them from the page's data.
    static func colour(_ state: ParcelState) -> String {
        switch state {
        case .wasteland: "#c8a66e"
        case .farmland: "#f1d54b"
        case .reclaimedFarmland: "#8cc84b"
        case .industrialPark: "#9b8ea6"
        case .ecoRestored: "#2e9e6a"
        case .other: "#d9d9d9"
        }
    }

    static func layerLabel(_ layer: ConstraintLayer) -> String {
        switch layer {
        case .urbanBoundary: "城镇开发边界 urban development boundary"
        case .ecoRedline: "生态保护红线 ecological red line"
        case .programmeArea: "整治区域 programme area"
        case .barriers: "barriers (roads, rivers)"
        }
    }

    static func layerColour(_ layer: ConstraintLayer) -> String {
        switch layer {
        case .urbanBoundary: "#7b3fa0"
        case .ecoRedline: "#d7191c"
        case .programmeArea: "#2166ac"
        case .barriers: "#555555"
        }
    }

    /// Builds the page text.
    struct Writer {
        let crs: CoordinateReferenceSystem
        let panels: [Panel]
        let layers: [(ConstraintLayer, [(name: String?, geometry: Geometry)])]
        let histories: [String: [ParcelEvent]]
        let title: String
        /// Positions are stored as integer decimetres from `origin`, each one as the change from
        /// the previous one: short numbers, so the page stays small with 100k parcels.
        static let unit = 0.1

        func page() throws(LandtrackError) -> String {
            let all = panels.flatMap(\.parcels)
            guard let first = all.first else {
                throw .invalidInput(source: "map", problems: [Diagnostic(.noParcels, "no parcels to draw (import parcels first)")])
            }
            var envelope = first.polygons[0].envelope
            for p in all { for polygon in p.polygons { envelope = envelope.union(polygon.envelope) } }
            let plane = try CoordinateTransform.gaussKrugerPlane(from: crs, near: (envelope.minX + envelope.maxX) / 2)
            // True north relative to grid north at the centre of the map.
            let centre = try Point(x: (envelope.minX + envelope.maxX) / 2, y: (envelope.minY + envelope.maxY) / 2)
            let c0 = try plane.transform(centre), c1 = try plane.transform(try Point(x: centre.x, y: centre.y + 0.01))
            let northDegrees = atan2(c1.x - c0.x, c1.y - c0.y) * 180 / .pi
            let sw = try plane.transform(try Point(x: envelope.minX, y: envelope.minY))
            let nw = try plane.transform(try Point(x: envelope.minX, y: envelope.maxY))
            let origin = try Point(x: (min(sw.x, nw.x) / 1000).rounded(.down) * 1000, y: (sw.y / 1000).rounded(.down) * 1000)
            var encoder = ShapeEncoder(plane: plane, origin: origin)

            var data = "{\"title\":"
            JSONValue.writeString(title, to: &data)
            data += ",\"plane\":"
            JSONValue.writeString(plane.target.name, to: &data)
            data += ",\"origin\":[\(JSONValue.numberText(origin.x)),\(JSONValue.numberText(origin.y))],\"unit\":\(Self.unit)"
            data += ",\"northDegrees\":\(fixed(northDegrees, 4))"
            data += ",\"areaMethod\":"
            JSONValue.writeString(panels[0].summary.methodDescription, to: &data)
            data += ",\"states\":["
            for (i, s) in ParcelState.allCases.enumerated() {
                if i > 0 { data += "," }
                data += "{\"id\":\"\(s.rawValue)\",\"name\":\"\(s.chineseName)\",\"colour\":\"\(MapPage.colour(s))\"}"
            }
            data += "],\"layers\":["
            for (i, (layer, features)) in layers.enumerated() {
                if i > 0 { data += "," }
                data += "{\"id\":\"\(layer.rawValue)\",\"label\":\"\(MapPage.layerLabel(layer))\",\"colour\":\"\(MapPage.layerColour(layer))\",\"shapes\":["
                for (j, f) in features.enumerated() {
                    if j > 0 { data += "," }
                    data += "{\"name\":"
                    JSONValue.writeString(f.name ?? "", to: &data)
                    data += ",\"closed\":\(f.geometry.polygonalParts.isEmpty ? "false" : "true"),\"g\":"
                    try encoder.write(f.geometry, to: &data)
                    data += "}"
                }
                data += "]}"
            }
            data += "],\"panels\":["
            for (i, panel) in panels.enumerated() {
                if i > 0 { data += "," }
                try writePanel(panel, encoder: &encoder, to: &data)
            }
            data += "],\"history\":{"
            let shown = Set(all.map(\.id))
            var firstHistory = true
            for (id, events) in histories.sorted(by: { $0.key < $1.key }) where shown.contains(id) {
                if !firstHistory { data += "," }
                firstHistory = false
                JSONValue.writeString(id, to: &data)
                data += ":["
                for (k, e) in events.enumerated() {
                    if k > 0 { data += "," }
                    let cells = [e.effectiveDate.description, e.kind.rawValue, e.changeDescription, e.ref ?? "", e.recordedBy, e.note ?? ""]
                    data += JSONValue.array(cells.map { .string($0) }).jsonText
                }
                data += "]"
            }
            data += "}}"
            // The data sits inside <script>: "</script" would end the element and "<!--<script"
            // would swallow the rest of the page into it. "<", ">" and "&" only occur inside JSON
            // strings, where \u escapes mean the same characters, so no name can change the page.
            data = data.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
                .replacingOccurrences(of: "&", with: "\\u0026")
            return MapPage.template
                .replacingOccurrences(of: "{{title}}", with: html(title))
                .replacingOccurrences(of: "{{panels}}", with: panels.enumerated().map { panelHTML($0.offset, $0.element) }.joined())
                .replacingOccurrences(of: "{{compare}}", with: panels.count > 1 ? "compare" : "single")
                .replacingOccurrences(of: "{{data}}", with: data)
        }

        /// One panel's parcels as parallel arrays plus one stream of positions.
        func writePanel(_ panel: Panel, encoder: inout ShapeEncoder, to data: inout String) throws(LandtrackError) {
            let findings = panel.checks.results.filter { !$0.passed }
            var rulesByParcel: [String: [String]] = [:]
            for r in findings {
                for f in r.findings { for id in f.parcels { rulesByParcel[id, default: []].append(r.rule.rawValue) } }
            }
            var blockOf: [String: Int] = [:]
            for (i, b) in panel.blocks.blocks.enumerated() { for id in b.parcels { blockOf[id] = i } }
            let states = Dictionary(uniqueKeysWithValues: ParcelState.allCases.enumerated().map { ($0.element, $0.offset) })
            data += "{\"label\":\"\(panel.label)\",\"ids\":["
            for (i, p) in panel.parcels.enumerated() {
                if i > 0 { data += "," }
                JSONValue.writeString(p.id, to: &data)
            }
            data += "],\"state\":[" + panel.parcels.map { String(states[$0.state]!) }.joined(separator: ",")
            data += "],\"pbf\":[" + panel.parcels.map { $0.basicFarmland ? "1" : "0" }.joined(separator: ",")
            data += "],\"area\":[" + panel.parcels.map { fixed($0.areaSquareMetres, 2) }.joined(separator: ",")
            // Deducted shares only when some parcel has one (most stores have none).
            if panel.parcels.contains(where: { $0.deduction != nil }) {
                data += "],\"deduction\":[" + panel.parcels.map { p in
                    p.deduction.map { d in "[\(JSONValue.numberText(d.ratio)),\(JSONValue.string(d.label).jsonText)]" } ?? "0"
                }.joined(separator: ",")
            }
            data += "],\"village\":["
            for (i, p) in panel.parcels.enumerated() {
                if i > 0 { data += "," }
                JSONValue.writeString(p.village ?? "", to: &data)
            }
            data += "],\"block\":[" + panel.parcels.map { String(blockOf[$0.id] ?? -1) }.joined(separator: ",")
            data += "],\"rules\":{"
            var firstRule = true
            for (i, p) in panel.parcels.enumerated() {
                guard let rules = rulesByParcel[p.id] else { continue }
                if !firstRule { data += "," }
                firstRule = false
                data += "\"\(i)\":" + JSONValue.array(Array(Set(rules)).sorted().map { .string($0) }).jsonText
            }
            data += "},\"g\":"
            try encoder.write(panel.parcels.map(\.polygons), to: &data)
            data += ",\"blocks\":["
            for (i, b) in panel.blocks.blocks.enumerated() {
                if i > 0 { data += "," }
                data += "{\"id\":\(b.id),\"mu\":\(fixed(b.area.mu, 1)),\"parcels\":\(b.parcels.count),\"class\":"
                JSONValue.writeString(b.sizeClass ?? "", to: &data)
                data += ",\"g\":"
                try encoder.write([b.outline ?? []], to: &data)
                data += "}"
            }
            data += "]}"
        }

        /// The summary and the checks of one panel, as HTML beside the map.
        func panelHTML(_ index: Int, _ panel: Panel) -> String {
            var out = "<section class=\"side\" id=\"side-\(index)\"><h2>\(html(panel.label))</h2>"
            out += "<h3>Summary by state</h3><p class=\"method\">area: \(html(panel.summary.methodDescription)); "
                + "\(html(panel.summary.basis.description)); 1 mu = 2000/3 m²</p>"
            out += "<table class=\"summary\"><thead><tr><th>state</th><th>parcels</th><th>m²</th><th>mu</th><th>ha</th></tr></thead><tbody>"
            for r in panel.summary.rows {
                let state = ParcelState(rawValue: r.values[0])
                out += "<tr data-state=\"\(html(r.values[0]))\"><td><span class=\"swatch\" style=\"background:\(state.map(MapPage.colour) ?? "#fff")\"></span>"
                    + "\(html(r.values[0])) \(state.map { html($0.chineseName) } ?? "")</td><td>\(grouped(r.count))</td>"
                    + "<td>\(fixed(r.area.squareMetres, 2))</td><td>\(fixed(r.area.mu, 2))</td><td>\(fixed(r.area.hectares, 4))</td></tr>"
            }
            let t = panel.summary.total
            out += "<tr class=\"total\"><td>total</td><td>\(grouped(t.count))</td><td>\(fixed(t.area.squareMetres, 2))</td>"
                + "<td>\(fixed(t.area.mu, 2))</td><td>\(fixed(t.area.hectares, 4))</td></tr></tbody></table>"
            let blocks = panel.blocks.blocks
            out += "<h3>Contiguous blocks</h3><p>\(grouped(blocks.count)) block\(blocks.count == 1 ? "" : "s") of \(html(panel.blocks.selection)); "
                + "\(blocks.filter { $0.area.mu >= 1000 }.count) of ≥ 1,000 mu, \(blocks.filter { $0.area.mu >= 10000 }.count) of ≥ 10,000 mu</p>"
            out += "<h3>Checks</h3><table class=\"checks\"><thead><tr><th>rule</th><th>result</th><th>detail</th></tr></thead><tbody>"
            for r in panel.checks.results {
                out += "<tr class=\"\(r.passed ? "pass" : "fail")\" data-rule=\"\(r.rule.rawValue)\"><td>\(r.rule.rawValue)</td>"
                    + "<td>\(r.passed ? "pass" : "VIOLATED")</td><td>\(html(r.detail))</td></tr>"
            }
            return out + "</tbody></table></section>"
        }

        func html(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
    }
}

/// Writes shapes as {"n":[rings per shape],"r":[positions per ring],"c":[dx,dy,…]}: positions
/// projected to the plane, in decimetres, each relative to the previous one (the first to the
/// origin; closing positions dropped: the page closes polygon rings).
struct ShapeEncoder {
    let plane: CoordinateTransform
    let origin: Point

    init(plane: CoordinateTransform, origin: Point) {
        self.plane = plane
        self.origin = origin
    }

    mutating func write(_ geometry: Geometry, to out: inout String) throws(LandtrackError) {
        let parts = geometry.polygonalParts
        if !parts.isEmpty { return try write([parts], to: &out) }
        let lines: [[Point]] = switch geometry {
        case let .lineString(l): [l.points]
        case let .multiLineString(ls): ls.map(\.points)
        case let .geometryCollection(gs): gs.compactMap { if case let .lineString(l) = $0 { l.points } else { nil } }
        default: []
        }
        try write(rings: [lines], to: &out)
    }

    mutating func write(_ shapes: [[Polygon]], to out: inout String) throws(LandtrackError) {
        try write(rings: shapes.map { $0.flatMap { $0.rings.map { Array($0.points.dropLast()) } } }, to: &out)
    }

    private mutating func write(rings shapes: [[[Point]]], to out: inout String) throws(LandtrackError) {
        var xy: [Double] = []
        xy.reserveCapacity(shapes.reduce(0) { $0 + $1.reduce(0) { $0 + 2 * $1.count } })
        for shape in shapes { for ring in shape { for p in ring { xy.append(p.x); xy.append(p.y) } } }
        try plane.transform(interleaved: &xy)
        out += "{\"n\":[" + shapes.map { String($0.count) }.joined(separator: ",") + "],\"r\":["
        out += shapes.flatMap { $0.map { String($0.count) } }.joined(separator: ",") + "],\"c\":["
        let scale = 1 / MapPage.Writer.unit
        var last = (x: 0, y: 0)
        for i in stride(from: 0, to: xy.count, by: 2) {
            let x = Int(((xy[i] - origin.x) * scale).rounded()), y = Int(((xy[i + 1] - origin.y) * scale).rounded())
            if i > 0 { out += "," }
            out += String(x - last.x) + "," + String(y - last.y)
            last = (x, y)
        }
        out += "]}"
    }
}
