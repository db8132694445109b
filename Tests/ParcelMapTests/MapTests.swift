import Foundation
import Testing
import Geometry
import ParcelMap
import GeoPackageStore
import Parcels
import Store
import Planner
import TestSupport

/// The page's inline data, parsed.
func mapData(_ html: String) throws -> JSONObject {
    let start = try #require(html.range(of: "<script type=\"application/json\" id=\"map-data\">"))
    let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
    return try #require(try JSONValue.parse(String(html[start.upperBound..<end.lowerBound])).objectValue)
}

/// Decodes a shape stream as the page does: per shape, its rings as plane positions (metres).
func decodeShapes(_ g: JSONObject, origin: (Double, Double), unit: Double) throws -> [[[(Double, Double)]]] {
    guard case let .array(n)? = g["n"], case let .array(r)? = g["r"], case let .array(c)? = g["c"] else {
        throw LandtrackError.invalidArgument("not a shape stream")
    }
    var (x, y, k, ring) = (0.0, 0.0, 0, 0)
    var shapes: [[[(Double, Double)]]] = []
    for count in n {
        var rings: [[(Double, Double)]] = []
        for _ in 0..<Int(count.numberValue!) {
            var positions: [(Double, Double)] = []
            for _ in 0..<Int(r[ring].numberValue!) {
                x += c[k].numberValue!
                y += c[k + 1].numberValue!
                k += 2
                positions.append((origin.0 + x * unit, origin.1 + y * unit))
            }
            ring += 1
            rings.append(positions)
        }
        shapes.append(rings)
    }
    return shapes
}

@Suite("Map page")
struct MapTests {
    /// Three touching farmland squares (one block of ≈ 51 mu), a lone small PBF square (a PBF
    /// fragment under 10 mu), a wasteland square inside the urban boundary.
    func store() throws -> GeoPackageStore {
        try squareParcelStore([
            ("A", "farmland", false, 0, 0, 1), ("B", "farmland", false, 1, 0, 1), ("C", "reclaimed_farmland", false, 2, 0, 1),
            ("P", "farmland", true, 5, 5, 0.3), ("W", "wasteland", false, 8, 0, 1),
        ], layers: [.urbanBoundary: [(7.5, -0.5, 2)]])
    }

    @Test func thePageIsSelfContained() throws {
        let page = try MapPage.render(store: try store(), options: MapOptions())
        #expect(page.parcelCounts == [5])
        // Nothing fetched at view time: no external scripts, styles, images or fonts.
        for needle in ["<script src", "<link", "http://", "https://", "url(", "@import"] {
            #expect(!page.html.contains(needle), "the page refers to something outside it: \(needle)")
        }
        #expect(page.html.hasPrefix("<!DOCTYPE html>"))
    }

    /// Decoding the positions as the page does gives back each parcel's shape in the
    /// Gauss-Krüger plane: its planar area equals the planar area engine's in that plane
    /// (the engine projects the lon/lat parcel itself), within what 0.1 m rounding allows.
    @Test func positionsDecodeToTheParcelsInThePlane() throws {
        let store = try store()
        let page = try MapPage.render(store: store, options: MapOptions())
        let data = try mapData(page.html)
        guard case let .array(o)? = data["origin"], case let .array(panels)? = data["panels"] else { Issue.record("no origin/panels"); return }
        let panel = try #require(panels.first?.objectValue)
        guard case let .array(ids)? = panel["ids"] else { Issue.record("no ids"); return }
        let shapes = try decodeShapes(try #require(panel["g"]?.objectValue), origin: (o[0].numberValue!, o[1].numberValue!),
                                      unit: try #require(data["unit"]?.numberValue))
        #expect(shapes.count == ids.count)
        let crs = try store.crs()
        // Nanhai (113.1°E) lies in CGCS2000 3° zone 38 (central meridian 114°E), as the map's plane.
        #expect(data["plane"]?.stringValue?.contains("114E") == true)
        let planar = try PlanarAreaEngine(geographicCRS: crs, projectedCRS: try CoordinateReferenceSystem.gaussKruger3Degree(containing: 113.1))
        for (id, shape) in zip(ids.map { $0.stringValue! }, shapes) {
            let parcel = try #require(try store.parcel(id))
            var area = 0.0, perimeter = 0.0
            for ring in shape {
                for i in ring.indices {
                    let (a, b) = (ring[i], ring[(i + 1) % ring.count])
                    area += a.0 * b.1 - b.0 * a.1
                    perimeter += hypot(b.0 - a.0, b.1 - a.1)
                }
            }
            let expected = try planar.area(of: parcel.polygons)
            #expect(abs(abs(area / 2) - expected) <= perimeter * 0.05 + 1e-6, "\(id): decoded \(abs(area / 2)) m², planar \(expected) m²")
        }
    }

    /// The block, the violation and the layer reach the page: block membership, the PBF
    /// fragment flagged with its rule, the urban boundary drawn.
    @Test func blocksViolationsAndLayersAreOnThePage() throws {
        let page = try MapPage.render(store: try store(), options: MapOptions())
        let data = try mapData(page.html)
        let panel = try #require((data["panels"].flatMap { if case let .array(a) = $0 { a } else { nil } })?.first?.objectValue)
        guard case let .array(ids)? = panel["ids"], case let .array(block)? = panel["block"], case let .array(blocks)? = panel["blocks"] else {
            Issue.record("missing arrays"); return
        }
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($0.element.stringValue!, $0.offset) })
        let blockOf = { (id: String) in Int(block[index[id]!].numberValue!) }
        #expect(blockOf("A") >= 0 && blockOf("A") == blockOf("B") && blockOf("B") == blockOf("C"))
        #expect(blockOf("W") == -1)
        #expect(blockOf("P") >= 0 && blockOf("P") != blockOf("A"))
        // The block of A, B, C: three squares' geodesic areas, in mu.
        let store = try store()
        let abc = try ["A", "B", "C"].map { try #require(try store.parcel($0)).areaSquareMetres }.reduce(0, +) * 3 / 2000
        let shown = try #require(blocks[blockOf("A")].objectValue?["mu"]?.numberValue)
        #expect(abs(shown - abc) <= 0.05)
        let rules = try #require(panel["rules"]?.objectValue)
        #expect(rules["\(index["P"]!)"]?.jsonText.contains("pbf-fragmentation") == true)
        #expect(rules["\(index["A"]!)"] == nil)
        guard case let .array(layers)? = data["layers"] else { Issue.record("no layers"); return }
        #expect(layers.compactMap { $0.objectValue?["id"]?.stringValue } == ["urban_boundary"])
        // Beside the map: the summary rows by state and one row per check.
        #expect(page.html.components(separatedBy: "<tr data-state=").count - 1 == 3)
        #expect(page.html.components(separatedBy: "data-rule=").count - 1 == PlannerRule.allCases.count)
        #expect(page.html.contains("data-rule=\"pbf-fragmentation\"><td>pbf-fragmentation</td><td>VIOLATED"))
    }

    @Test func anEmptyStoreIsRefusedWithAReason() throws {
        let store = try squareParcelStore([])
        let error = #expect(throws: LandtrackError.self) { try MapPage.render(store: store, options: MapOptions()) }
        #expect(error?.description.contains("no parcels") == true)
    }
}

/// The page in a real browser: headless Chromium loads the file, draws it, and the DOM says
/// what was drawn. A screenshot is left in .build/test-artifacts for a person to look at.
@Suite("Map in Chromium", .serialized)
struct MapInBrowserTests {
    static let chromium = ProcessRun.installed("chromium") ?? ProcessRun.installed("chromium-browser")

    func browser(_ arguments: [String]) throws -> ProcessRun {
        try ProcessRun(try #require(Self.chromium), ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"] + arguments)
    }

    /// The values of an attribute in the drawn document (the elements before the page's scripts).
    func attribute(_ name: String, in dom: String) -> [String] {
        let elements = dom.components(separatedBy: "<script")[0]
        return elements.components(separatedBy: "\(name)=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    @Test func chromiumDrawsEveryParcelAndTheLegend() throws {
        guard Self.chromium != nil else {
            Issue.record("chromium is not installed (scripts/test.sh installs it): the map was not tested in a browser")
            return
        }
        let store = try demoProgrammeStore()
        let (d1, d2) = (try CalendarDate(parsing: "2023-01-01"), try CalendarDate(parsing: "2025-12-31"))
        var options = MapOptions()
        options.dates = [d1, d2]
        let page = try MapPage.render(store: store, options: options)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-map-\(UUID().uuidString).html")
        try page.html.write(to: file, atomically: true, encoding: .utf8)
        let probe = "NH-000123"
        let run = try browser(["--window-size=1600,900", "--dump-dom", file.absoluteString + "#parcel=\(probe)"])
        let dom = run.stdout.components(separatedBy: "<script")[0]
        #expect(attribute("data-ready", in: run.stdout) == ["1"], "the page did not finish drawing: \(run.stderr.suffix(500))")

        // The parcel count drawn per panel equals the store's parcels on each date (the
        // #parcel link zooms in, so count at the whole-programme view: a second load).
        let whole = try browser(["--window-size=1600,900", "--dump-dom", file.absoluteString]).stdout
        let drawn = attribute("data-drawn-parcels", in: whole).compactMap(Int.init)
        #expect(drawn == [try store.snapshot(asOf: d1).parcels.count, try store.snapshot(asOf: d2).parcels.count])

        // The legend: every state, PBF, blocks, violations and each constraint layer of the store.
        let legend = Set(attribute("data-legend", in: dom))
        let layers = try ConstraintLayer.allCases.filter { !(try store.snapshot()).layer($0).isEmpty }.map(\.rawValue)
        #expect(legend == Set(ParcelState.allCases.map(\.rawValue) + ["pbf", "block", "violation"] + layers))

        // The parcel panel of the linked parcel, with its whole history.
        #expect(attribute("data-parcel", in: dom).contains(probe))
        #expect(dom.contains("History (\(try store.history(probe).count))"))

        // Beside the map: each panel's checks agree with the check report of its date.
        for (i, date) in [d1, d2].enumerated() {
            var check = CheckOptions()
            check.asOf = date
            let failed = try CheckReport.load(from: store, options: check).results.filter { !$0.passed }.map(\.rule.rawValue)
            let side = dom.components(separatedBy: "id=\"side-\(i)\"")[1].components(separatedBy: "</section>")[0]
            let shown = side.components(separatedBy: "<tr class=\"fail\" data-rule=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
            #expect(Set(shown) == Set(failed), "panel \(date)")
        }

        // #bench zooms in by 1.05^20 through the fast path (the last drawing moved and scaled),
        // then draws in full: fewer parcels are in view, and the fast frame was measured.
        let bench = try browser(["--window-size=1600,900", "--dump-dom", file.absoluteString + "#bench"]).stdout
        let zoomed = attribute("data-drawn-parcels", in: bench).compactMap(Int.init)
        #expect(zoomed.count == 2 && zip(zoomed, drawn).allSatisfy { $0 > 0 && $0 < $1 }, "\(zoomed) of \(drawn)")
        #expect(attribute("data-interaction-frame-ms", in: bench).compactMap(Double.init).count == 1)

        let artifacts = SharedData.repositoryRoot.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let png = artifacts.appendingPathComponent("map-compare.png")
        try? FileManager.default.removeItem(at: png)
        _ = try browser(["--window-size=1600,900", "--screenshot=\(png.path)", file.absoluteString + "#parcel=\(probe)"])
        let size = (try? FileManager.default.attributesOfItem(atPath: png.path)[.size] as? Int) ?? 0
        #expect(size > 10_000, "no screenshot at \(png.path)")
    }

    /// Names a planner does not choose well, or an attacker chooses on purpose, cannot change
    /// the page: the script runs to its end, the legend is whole, no element is injected, and
    /// the names are shown as text.
    @Test(arguments: ["<!--<script>", "</script><img src=x onerror=\"document.title='pwned'\">", "'\"&<>`${x}\u{2028}"])
    func hostileNamesAreShownAsText(_ name: String) throws {
        guard Self.chromium != nil else {
            Issue.record("chromium is not installed (scripts/test.sh installs it): the map was not tested in a browser")
            return
        }
        let store = try squareParcelStore([("A", "farmland", false, 0, 0, 1), (name, "wasteland", true, 1, 0, 1)], village: name)
        let page = try MapPage.render(store: store, options: MapOptions())
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-hostile-\(UUID().uuidString).html")
        try page.html.write(to: file, atomically: true, encoding: .utf8)
        let link = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        let run = try browser(["--window-size=1200,800", "--dump-dom", file.absoluteString + "#parcel=\(link)"])
        #expect(attribute("data-ready", in: run.stdout) == ["1"], "the page's script stopped: \(run.stderr.suffix(500))")
        let dom = run.stdout.components(separatedBy: "<script")[0]
        #expect(Set(ParcelState.allCases.map(\.rawValue)).isSubset(of: Set(attribute("data-legend", in: dom))))
        #expect(!dom.contains("<img"), "an element was injected")
        #expect(!run.stdout.contains("<title>pwned"))
        // The linked parcel's panel shows its id and village as text (HTML-escaped in the DOM).
        func escaped(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        #expect(dom.contains("village: " + escaped(name)), "\(dom.suffix(2000))")
    }
}
