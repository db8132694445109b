import FeatureServer
import Foundation
import Geometry
import GeoPackageStore
import Parcels
import Store
import Testing
import TestSupport

/// The 2,000 sample parcels imported as they are (no history beyond the import).
func sampleStore(_ backend: Backend) throws -> any ParcelStore {
    let store = try backend.newStore()
    var options = ImportOptions()
    options.date = try CalendarDate(parsing: "2023-01-01")
    _ = try store.importParcels(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path),
                                options: options)
    return store
}

/// Every feature of a filtered listing, following the next links (pages of `limit`).
func allFeatures(_ server: TestServer, _ query: String, limit: Int = 10_000) async throws -> (ids: [String], replies: [TestServer.Reply]) {
    var ids: [String] = [], replies: [TestServer.Reply] = []
    var next: String? = "/collections/parcels/items?limit=\(limit)&" + query
    while let url = next {
        let reply = try await server.request(url)
        replies.append(reply)
        guard reply.status == 200, let json = reply.json else { break }
        ids += array(json["features"]).compactMap { $0.objectValue?["id"]?.stringValue }
        next = array(json["links"]).compactMap(\.objectValue).first { $0["rel"]?.stringValue == "next" }?["href"]?.stringValue
    }
    return (ids, replies)
}

let crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

func encoded(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed)!
}

/// OGC API – Features Part 3 filters and Part 2 CRSs, each answer compared with a truth
/// computed here from the store's snapshot (Swift predicates, GEOS intersections) or from the
/// sample's Gauss-Krüger copy projected by PROJ when it was made.
@Suite("Server filters and CRSs")
struct FilterAndCRSTests {
    /// A CQL2 filter and the same condition as a Swift predicate over the parcels (the sample
    /// has one village; the last three select nothing on purpose).
    static let cases: [(String, @Sendable (Parcel) -> Bool)] = [
        ("state = 'farmland' AND basic_farmland = FALSE", { $0.state == .farmland && !$0.basicFarmland }),
        ("state IN ('wasteland', 'reclaimed_farmland') OR basic_farmland = TRUE",
         { [.wasteland, .reclaimedFarmland].contains($0.state) || $0.basicFarmland }),
        ("NOT (state = 'farmland')", { $0.state != .farmland }),
        ("village = '黄庄村' AND state <> 'farmland'", { $0.village == "黄庄村" && $0.state != .farmland }),
        ("id LIKE 'NH-00012_' OR id LIKE '%99'", { $0.id.hasPrefix("NH-00012") && $0.id.count == 9 || $0.id.hasSuffix("99") }),
        ("area_mu >= 5 AND area_m2 < 5000", { $0.areaSquareMetres * 3 / 2000 >= 5 && $0.areaSquareMetres < 5000 }),
        ("area_m2 BETWEEN 1000 AND 2000", { (1000...2000).contains($0.areaSquareMetres) }),
        ("landuse_code NOT IN ('0101', '0102') AND landuse_code IS NOT NULL", { $0.landuseCode.map { !["0101", "0102"].contains($0) } ?? false }),
        ("area_m2 > 1e+3 AND area_m2 <= 2.5E3", { $0.areaSquareMetres > 1000 && $0.areaSquareMetres <= 2500 }),
        // LIKE is case-sensitive (SQLite's own LIKE is not).
        ("id LIKE 'nh-%'", { _ in false }),
        ("village <> '黄庄村'", { _ in false }),
        // A value that looks like SQL stays a value: it is bound, never spliced into SQL.
        ("village = 'x'' OR ''1''=''1'", { _ in false }),
    ]

    @Test(arguments: Backend.available, cases.indices)
    func cql2FiltersSelectWhatThePredicateSelects(backend: Backend, index: Int) async throws {
        let (text, predicate) = Self.cases[index]
        let store = try sampleStore(backend)
        let truth = try store.snapshot().parcels.filter(predicate).map(\.id).sorted()
        #expect(truth.isEmpty == (index >= Self.cases.count - 3), "\(text): the truth has \(truth.count) parcels")
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        // Pages of 150 through the next links: the filter travels with them.
        let (ids, replies) = try await allFeatures(server, "filter=" + encoded(text), limit: 150)
        #expect(replies.allSatisfy { $0.status == 200 }, "\(text): \(replies.last?.body.prefix(300) ?? "")")
        #expect(ids.sorted() == truth, "\(text): \(ids.count) served, \(truth.count) expected")
        #expect(replies.first?.json?["numberMatched"]?.numberValue == Double(truth.count))
    }

    /// Simple property parameters, alone and with a CQL2 filter (AND-ed).
    @Test(arguments: Backend.available) func propertyParametersFilter(backend: Backend) async throws {
        let store = try sampleStore(backend)
        let parcels = try store.snapshot().parcels
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let pbfWaste = try await allFeatures(server, "state=wasteland&basic_farmland=true")
        #expect(pbfWaste.ids.sorted() == parcels.filter { $0.state == .wasteland && $0.basicFarmland }.map(\.id).sorted())
        let village = try await allFeatures(server, "village=" + encoded("黄庄村") + "&filter=" + encoded("area_mu > 3"))
        #expect(village.ids.sorted() == parcels.filter { $0.village == "黄庄村" && $0.areaSquareMetres * 3 / 2000 > 3 }.map(\.id).sorted())
        // As a form (curl --data-urlencode) writes it: + for each space.
        let form = try await allFeatures(server, "village=" + encoded("黄庄村") + "&filter=area_mu+%3E+3")
        #expect(form.ids == village.ids && !form.ids.isEmpty)
        let bad = try await server.request("/collections/parcels/items?state=ruin")
        #expect(bad.status == 400 && bad.json?["reason"]?.stringValue?.contains("wasteland") == true, "\(bad.body)")
    }

    /// S_INTERSECTS with a polygon in CRS84, and with the same polygon in EPSG:4490's axis order
    /// (latitude first), select the parcels GEOS says meet it.
    @Test(arguments: Backend.available) func spatialFiltersMatchGEOS(backend: Backend) async throws {
        let store = try sampleStore(backend)
        let parcels = try store.snapshot().parcels
        let e = try #require(try store.extent(of: .parcels))
        let (x0, y0) = (e.minX + (e.maxX - e.minX) * 0.2, e.minY + (e.maxY - e.minY) * 0.2)
        let (x1, y1) = (e.minX + (e.maxX - e.minX) * 0.5, e.minY + (e.maxY - e.minY) * 0.45)
        let triangle = [(x0, y0), (x1, y0), (x0, y1), (x0, y0)]
        let ctx = GEOSContext()
        let area = try ctx.geometry(try Polygon(rings: [triangle.map { try Point(x: $0.0, y: $0.1) }]))
        let truth = try parcels.filter { p in try p.polygons.contains { try ctx.intersects(try ctx.geometry($0), area) } }.map(\.id).sorted()
        #expect(truth.count > 10 && truth.count < parcels.count / 2)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let lonLat = "S_INTERSECTS(geometry, POLYGON((" + triangle.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")))"
        #expect(try await allFeatures(server, "filter=" + encoded(lonLat)).ids.sorted() == truth)
        let latLon = "S_INTERSECTS(geometry, POLYGON((" + triangle.map { "\($0.1) \($0.0)" }.joined(separator: ", ") + ")))"
        let crs4490 = encoded("http://www.opengis.net/def/crs/EPSG/0/4490")
        #expect(try await allFeatures(server, "filter-crs=\(crs4490)&filter=" + encoded(latLon)).ids.sorted() == truth)
        // A BBOX literal is the envelope test's rectangle.
        let box = Envelope(minX: x0, minY: y0, maxX: x1, maxY: y1)
        let rectangle = try ctx.rectangle(box)
        let inBox = try parcels.filter { p in try p.polygons.contains { try ctx.intersects(try ctx.geometry($0), rectangle) } }.map(\.id).sorted()
        #expect(try await allFeatures(server, "filter=" + encoded("S_INTERSECTS(geometry, BBOX(\(x0), \(y0), \(x1), \(y1)))")).ids.sorted() == inBox)
    }

    /// As of a date, a filter tests the state of that date (the demo programme moved parcels since).
    @Test(arguments: Backend.available) func filtersWithDatetimeTestTheStateOfThatDate(backend: Backend) async throws {
        let store = try demoProgrammeStore(backend: backend)
        let date = try CalendarDate(parsing: "2023-06-30")
        let then = try store.snapshot(asOf: date).parcels.filter { $0.state == .wasteland && !$0.basicFarmland }.map(\.id).sorted()
        let now = try store.snapshot().parcels.filter { $0.state == .wasteland && !$0.basicFarmland }.map(\.id).sorted()
        #expect(then != now, "the programme changed no wasteland parcel: the test would not tell the dates apart")
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        #expect(try await allFeatures(server, "datetime=2023-06-30&filter=" + encoded("state = 'wasteland' AND NOT basic_farmland = TRUE")).ids.sorted() == then)
        #expect(try await allFeatures(server, "state=wasteland&basic_farmland=false").ids.sorted() == now)
        let area = try await server.request("/collections/parcels/items?datetime=2023-06-30&filter=" + encoded("area_m2 > 10"))
        #expect(area.status == 400 && area.json?["reason"]?.stringValue?.contains("datetime") == true, "\(area.body)")
    }

    /// Three-valued logic, the same on both backends: the squares have no land-use code, so
    /// neither a comparison nor its NOT selects them; IS NULL does.
    @Test(arguments: Backend.available) func missingValuesFollowThreeValuedLogic(backend: Backend) async throws {
        let server = try await TestServer.start(try squares(backend))
        defer { Task { await server.stop() } }
        #expect(try await allFeatures(server, "filter=" + encoded("landuse_code = '0101'")).ids.isEmpty)
        #expect(try await allFeatures(server, "filter=" + encoded("NOT landuse_code = '0101'")).ids.isEmpty)
        #expect(try await allFeatures(server, "filter=" + encoded("landuse_code IS NULL")).ids.count == 6)
        #expect(try await allFeatures(server, "filter=" + encoded("NOT landuse_code = '0101' OR state = 'wasteland'")).ids == ["W"])
    }

    /// Filters that cannot be run get a 400 that says where and what (never a 500).
    @Test(arguments: [
        ("state = 'ruin'", "not a state"),
        ("colour = 'red'", "not a queryable"),
        ("state > 'farmland'", "= or <>"),
        ("area_m2 = 'big'", "needs a number"),
        ("basic_farmland = 1", "TRUE or FALSE"),
        ("village = 'x", "not closed"),
        ("state = 'farmland' garbage", "after a complete condition"),
        ("S_INTERSECTS(geometry, POINT(113.1 23.05))", "POLYGON"),
        ("S_INTERSECTS(geometry, POLYGON((113 23, 113.2 23.2, 113 23.2, 113.2 23, 113 23)))", "not valid"),
        ("S_INTERSECTS(geometry, POLYGON((113 23, 113.2 23)))", "not valid"),
    ])
    func badFiltersAreRefusedWithAReason(_ case: (String, String)) async throws {
        let server = try await TestServer.start(try squares(.geoPackage))
        defer { Task { await server.stop() } }
        let reply = try await server.request("/collections/parcels/items?filter=" + encoded(`case`.0))
        #expect(reply.status == 400 && reply.json?["error"]?.stringValue == "invalid-filter", "\(`case`.0): \(reply.body)")
        #expect(reply.json?["reason"]?.stringValue?.contains(`case`.1) == true, "\(`case`.0): \(reply.body)")
    }

    /// Part 2: the collection lists its CRSs and storage CRS; EPSG:4490 coordinates come latitude
    /// first; EPSG:4526 (CGCS2000 GK zone 38, zone-prefixed) equal the sample's Gauss-Krüger copy
    /// to 2 mm, northing first; Content-Crs names the CRS; a bbox in zone 38 metres selects what
    /// GEOS says meets it in the sample's own Gauss-Krüger coordinates.
    @Test(arguments: Backend.available) func coordinatesInTheRequestedCRS(backend: Backend) async throws {
        let store = try sampleStore(backend)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let epsg4490 = "http://www.opengis.net/def/crs/EPSG/0/4490", epsg4526 = "http://www.opengis.net/def/crs/EPSG/0/4526"
        let collection = try await server.request("/collections/parcels")
        let offered = array(collection.json?["crs"]).compactMap(\.stringValue)
        #expect(Set([crs84, epsg4490, epsg4526, "http://www.opengis.net/def/crs/EPSG/0/4547"]).isSubset(of: Set(offered)), "\(offered)")
        #expect(collection.json?["storageCrs"]?.stringValue == crs84)

        func coordinates(_ reply: TestServer.Reply) -> [[Double]] {
            let geometry = reply.json?["geometry"]?.objectValue
            var rings = array(geometry?["coordinates"])
            if geometry?["type"]?.stringValue == "MultiPolygon" { rings = array(rings.first) }
            return array(rings.first).map { array($0).compactMap(\.numberValue) }
        }
        let plain = try await server.request("/collections/parcels/items/NH-000001")
        let latFirst = try await server.request("/collections/parcels/items/NH-000001?crs=" + encoded(epsg4490))
        #expect(latFirst.status == 200, "\(latFirst.body)")
        #expect(coordinates(latFirst).map { [$0[1], $0[0]] } == coordinates(plain))
        let gk = try await server.request("/collections/parcels/items/NH-000001?crs=" + encoded(epsg4526))
        let gkRing = coordinates(gk).map { [$0[1], $0[0]] }      // northing first → easting first
        let sample = try JSONValue.parse(try String(contentsOf: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample-gk38.geojson"), encoding: .utf8))
        let features = array(sample.objectValue?["features"]).compactMap(\.objectValue)
        let first = try #require(features.first { $0["properties"]?.objectValue?["id"]?.stringValue == "NH-000001" })
        let truth = array(array(first["geometry"]?.objectValue?["coordinates"]).first).map { array($0).compactMap(\.numberValue) }
        // The same ring, possibly from another starting vertex or winding: compare as sets of positions.
        #expect(gkRing.count == truth.count)
        for p in truth {
            #expect(gkRing.contains { abs($0[0] - p[0]) < 0.002 && abs($0[1] - p[1]) < 0.002 }, "\(p) is not among the served positions")
        }

        // Content-Crs on items and on one item.
        let header = try await curl(["-D", "-", "-o", "/dev/null", "http://127.0.0.1:\(server.port)/collections/parcels/items?limit=1&crs=" + encoded(epsg4526)])
        #expect(header.stdout.lowercased().contains("content-crs: <\(epsg4526.lowercased())>"), "\(header.stdout)")
        let plainHeader = try await curl(["-D", "-", "-o", "/dev/null", "http://127.0.0.1:\(server.port)/collections/parcels/items/NH-000001"])
        #expect(plainHeader.stdout.lowercased().contains("content-crs: <\(crs84.lowercased())>"), "\(plainHeader.stdout)")

        // bbox in zone 38 metres (northing first, as EPSG:4526 orders them) around a few of the
        // first 40 parcels: compared with GEOS on the sample's own GK coordinates (only those 40
        // are in the GK copy, so the box lies inside their extent and the truth counts only them).
        let ctx = GEOSContext()
        var gkParcels: [(String, GEOSGeometryHandle)] = []
        for f in features {
            let ring = array(array(f["geometry"]?.objectValue?["coordinates"]).first).map { array($0).compactMap(\.numberValue) }
            gkParcels.append((f["properties"]!.objectValue!["id"]!.stringValue!, try ctx.geometry(try Polygon(rings: [ring.map { try Point(x: $0[0], y: $0[1]) }]))))
        }
        let xs = truth.map { $0[0] }, ys = truth.map { $0[1] }
        let box = Envelope(minX: xs.min()! - 5, minY: ys.min()! - 5, maxX: xs.max()! + 5, maxY: ys.max()! + 5)
        let rectangle = try ctx.rectangle(box)
        let inBox = try gkParcels.filter { try ctx.intersects($0.1, rectangle) }.map(\.0).sorted()
        #expect(inBox.contains("NH-000001"))
        let bbox = "\(box.minY),\(box.minX),\(box.maxY),\(box.maxX)"
        let served = try await allFeatures(server, "bbox=\(bbox)&bbox-crs=" + encoded(epsg4526))
        #expect(served.replies.first?.status == 200, "\(served.replies.first?.body.prefix(300) ?? "")")
        let known = Set(gkParcels.map(\.0))
        #expect(served.ids.filter(known.contains).sorted() == inBox)

        let unknown = try await server.request("/collections/parcels/items?crs=" + encoded("http://www.opengis.net/def/crs/EPSG/0/3857"))
        #expect(unknown.status == 400 && unknown.json?["reason"]?.stringValue?.contains(epsg4490) == true, "\(unknown.body)")
    }

    /// Queryables: a JSON Schema naming every property a filter takes; constraint layers have
    /// none, and refuse datetime (they have no history) rather than ignore it.
    @Test func queryablesAndConstraintLayers() async throws {
        let server = try await TestServer.start(try squares(.geoPackage))
        defer { Task { await server.stop() } }
        let q = try await server.request("/collections/parcels/queryables")
        #expect(q.status == 200 && q.contentType == "application/schema+json")
        let names = Set(q.json?["properties"]?.objectValue?.members.map(\.0) ?? [])
        #expect(names == Set(Queryable.allCases.map(\.rawValue) + ["area_mu", "geometry"]))
        #expect(try await server.request("/collections/urban_boundary/queryables").status == 404)
        let dated = try await server.request("/collections/urban_boundary/items?datetime=2024-01-01")
        #expect(dated.status == 400 && dated.json?["reason"]?.stringValue?.contains("no history") == true, "\(dated.body)")
        let filtered = try await server.request("/collections/urban_boundary/items?filter=" + encoded("state = 'farmland'"))
        #expect(filtered.status == 400, "\(filtered.body)")
    }
}
