import FeatureServer
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Geometry
import GeoPackageStore
import Parcels
import Store
import Planner
import Testing
import TestSupport

/// The server running in this process on a free port, reached over loopback HTTP.
final class TestServer: Sendable {
    let port: Int
    let task: Task<Void, any Error>
    let store: any ParcelStore

    static func start(_ store: any ParcelStore, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = ServerConfiguration()
        configuration.port = 0
        // Cancelling the server at the end of a test makes Hummingbird log its shutdown as errors.
        configuration.quiet = true
        configure(&configuration)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try FeatureServer.application(configuration, store: store) { continuation.yield($0) }
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        return TestServer(port: port, task: task, store: store)
    }

    init(port: Int, task: Task<Void, any Error>, store: any ParcelStore) {
        self.port = port
        self.task = task
        self.store = store
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    struct Reply: Sendable {
        let status: Int
        let body: String
        let contentType: String?
        var json: JSONObject? { (try? JSONValue.parse(body))?.objectValue }
    }

    func request(_ path: String, token: String? = nil) async throws -> Reply {
        try await request("GET", path, token: token)
    }

    func request(_ method: String, _ path: String, body: String? = nil, token: String? = nil) async throws -> Reply {
        let url = path.hasPrefix("http") ? URL(string: path)! : URL(string: "http://127.0.0.1:\(port)\(path)")!
        var r = URLRequest(url: url)
        // These tests check answers, not speed: on a loaded 2-core machine a queued request can
        // wait longer than URLSession's default 60 s.
        r.timeoutInterval = 600
        r.httpMethod = method
        if let body { r.httpBody = Data(body.utf8) }
        if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: r)
        let http = try #require(response as? HTTPURLResponse)
        return Reply(status: http.statusCode, body: String(decoding: data, as: UTF8.self),
                     contentType: http.value(forHTTPHeaderField: "Content-Type"))
    }
}

/// Six squares at Nanhai: A–C touch (farmland), D is PBF, W wasteland, R reclaimed; the
/// urban boundary covers W.
func squares(_ backend: Backend) throws -> any ParcelStore {
    try squareParcelStore([
        ("A", "farmland", false, 0, 0, 1), ("B", "farmland", false, 1, 0, 1), ("C", "farmland", false, 2, 0, 1),
        ("D", "farmland", true, 0, 2, 1), ("W", "wasteland", false, 4, 0, 1), ("R", "reclaimed_farmland", false, 4, 2, 1),
    ], layers: [.urbanBoundary: [(3.9, -0.1, 1.2)]], backend: backend)
}

func array(_ v: JSONValue?) -> [JSONValue] { if case let .array(a)? = v { a } else { [] } }

/// curl against the in-process server, run on a dispatch thread: a synchronous wait on the
/// cooperative pool (two threads here) could starve the server's own handlers.
func curl(_ arguments: [String]) async throws -> ProcessRun {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try ProcessRun(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "--max-time", "30"] + arguments) })
        }
    }
}

@Suite("OGC API – Features")
struct OGCFeaturesTests {
    @Test(arguments: Backend.available) func landingPageConformanceAndCollections(backend: Backend) async throws {
        let server = try await TestServer.start(try squares(backend))
        defer { Task { await server.stop() } }
        let landing = try await server.request("/")
        #expect(landing.status == 200)
        let rels = array(landing.json?["links"]).compactMap { $0.objectValue?["rel"]?.stringValue }
        #expect(rels.contains("conformance") && rels.contains("data") && rels.contains("self"))
        let conformance = try await server.request("/conformance")
        #expect(conformance.json?["conformsTo"]?.jsonText.contains("ogcapi-features-1/1.0/conf/core") == true)
        let collections = try await server.request("/collections")
        let ids = array(collections.json?["collections"]).compactMap { $0.objectValue?["id"]?.stringValue }
        #expect(ids == ["parcels", "urban_boundary", "eco_redline", "programme_area", "barriers"])
        let parcels = try await server.request("/collections/parcels")
        let bbox = array(parcels.json?["extent"]?.objectValue?["spatial"]?.objectValue?["bbox"]).first
        // The squares span 113.1…113.105 °E, 23.05…23.053 °N. The GeoPackage's extent comes from
        // its R*Tree, whose 32-bit floats round outward (≈ 8e-6° here): it contains the parcels,
        // barely larger; PostGIS's is exact.
        let b = array(bbox).compactMap(\.numberValue)
        try #require(b.count == 4)
        #expect(b[0] <= 113.1 && b[1] <= 23.05 && b[2] >= 113.105 && b[3] >= 23.053)
        #expect(zip(b, [113.1, 23.05, 113.105, 23.053]).allSatisfy { abs($0 - $1) < 1e-5 })
        let missing = try await server.request("/collections/roads")
        #expect(missing.status == 404 && missing.json?["reason"]?.stringValue?.contains("roads") == true)
    }

    /// /api is an OpenAPI 3.0 document (the landing page's service-desc, which QGIS needs)
    /// that lists exactly the routes the server answers: every documented operation is routed
    /// (not 404/405) and refuses a parameter it does not declare; a path it does not list is 404.
    /// openapi-spec-validator (PyPI) accepts it.
    @Test(arguments: Backend.available) func apiDefinitionDescribesEveryRoute(backend: Backend) async throws {
        let server = try await TestServer.start(try squares(backend))
        defer { Task { await server.stop() } }
        let landing = try await server.request("/")
        let links = array(landing.json?["links"]).compactMap(\.objectValue)
        let desc = try #require(links.first { $0["rel"]?.stringValue == "service-desc" })
        #expect(desc["type"]?.stringValue == "application/vnd.oai.openapi+json;version=3.0")
        #expect(links.contains { $0["rel"]?.stringValue == "service-doc" && $0["type"]?.stringValue == "text/html" })
        let api = try await server.request(try #require(desc["href"]?.stringValue))
        #expect(api.status == 200 && api.contentType == "application/vnd.oai.openapi+json;version=3.0")
        let document = try #require(api.json)
        #expect(document["openapi"]?.stringValue?.hasPrefix("3.0") == true)
        let paths = try #require(document["paths"]?.objectValue)
        var operations = 0
        for (path, item) in paths.members {
            for method in ["get", "post"] {
                guard let operation = item.objectValue?[method]?.objectValue else { continue }
                operations += 1
                let concrete = path.replacingOccurrences(of: "{layer}", with: "parcels").replacingOccurrences(of: "{id}", with: "A")
                let declared = array(operation["parameters"]).compactMap { $0.objectValue?["name"]?.stringValue }
                #expect(!declared.contains("zz"))
                let routed = try await server.request(method.uppercased(), concrete + "?zz=1")
                #expect(routed.status == 400 && routed.json?["reason"]?.stringValue?.contains("zz") == true, "\(method) \(path): \(routed.status) \(routed.body)")
            }
        }
        #expect(operations == 20)
        for path in ["/collections/{layer}", "/collections/{layer}/items/{id}", "/collections/{layer}/queryables", "/summary", "/checks", "/merges", "/imports"] {
            #expect(paths[path] != nil, "\(path) is not in /api")
        }
        #expect(try await server.request("/no/such/route").status == 404)
        let doc = try await server.request("/api.html")
        #expect(doc.status == 200 && doc.body.contains("/collections/{layer}/items"))
        // The document validates against the OpenAPI 3.0 schema.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-api-\(UUID().uuidString).json")
        try api.body.write(to: file, atomically: true, encoding: .utf8)
        let python = ProcessRun.installed("python3") ?? URL(fileURLWithPath: "/usr/bin/python3")
        let validator = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try ProcessRun(python, ["-m", "openapi_spec_validator", file.path]) }) }
        }
        if validator.stderr.contains("No module named") {
            Issue.record("openapi-spec-validator is not installed (scripts/test.sh installs it with pip): the document was not validated")
        } else {
            #expect(validator.status == 0 && validator.stdout.contains("OK"), "\(validator.stdout) \(validator.stderr)")
        }
    }

    /// Links come from the bound address or --public-url, never from the Host header (which
    /// used to be copied into every href, markup included).
    @Test(arguments: Backend.available) func linksNeverComeFromTheHostHeader(backend: Backend) async throws {
        let server = try await TestServer.start(try squares(backend))
        defer { Task { await server.stop() } }
        let hostile = #"evil.example"><x>"#
        let answer = try await curl(["-H", "Host: \(hostile)", "http://127.0.0.1:\(server.port)/collections"])
        let links = try #require((try JSONValue.parse(answer.stdout)).objectValue)
        let hrefs = array(links["links"]).compactMap { $0.objectValue?["href"]?.stringValue }
            + array(links["collections"]).flatMap { array($0.objectValue?["links"]) }.compactMap { $0.objectValue?["href"]?.stringValue }
        #expect(!hrefs.isEmpty && hrefs.allSatisfy { $0.hasPrefix("http://127.0.0.1:\(server.port)/") }, "\(hrefs)")
        #expect(!answer.stdout.contains("evil"))
        let proxied = try await TestServer.start(try squares(backend)) { $0.publicURL = "https://gis.example/landtrack" }
        defer { Task { await proxied.stop() } }
        let landing = try await proxied.request("/")
        let proxiedLinks = array(landing.json?["links"]).compactMap { $0.objectValue?["href"]?.stringValue }
        #expect(proxiedLinks.allSatisfy { $0.hasPrefix("https://gis.example/landtrack/") }, "\(proxiedLinks)")
    }

    /// HEAD is GET without a body, OPTIONS lists the methods, another method on a known path is
    /// 405 with Allow (they were 404).
    @Test(arguments: Backend.available) func methodsAreAnsweredAsHTTPSays(backend: Backend) async throws {
        let server = try await TestServer.start(try squares(backend))
        defer { Task { await server.stop() } }
        func headers(_ arguments: [String]) async throws -> (status: Int, headers: String, body: String) {
            let r = try await curl(["-i"] + arguments)
            let parts = r.stdout.components(separatedBy: "\r\n\r\n")
            let status = Int(parts[0].split(separator: " ").dropFirst().first ?? "") ?? 0
            return (status, parts[0].lowercased(), parts.dropFirst().joined(separator: "\r\n\r\n"))
        }
        let base = "http://127.0.0.1:\(server.port)"
        let head = try await headers(["-I", "\(base)/collections/parcels/items?limit=2"])
        #expect(head.status == 200 && head.headers.contains("content-type: application/geo+json") && head.body.isEmpty, "\(head)")
        let options = try await headers(["-X", "OPTIONS", "\(base)/collections"])
        #expect(options.status == 204 && options.headers.contains("allow: get, head, options"), "\(options)")
        let delete = try await headers(["-X", "DELETE", "\(base)/collections/parcels/items/A"])
        #expect(delete.status == 405 && delete.headers.contains("allow: get, head, options") && delete.body.contains("\"error\":\"method-not-allowed\""), "\(delete)")
        let getMerges = try await headers(["\(base)/merges"])
        #expect(getMerges.status == 405 && getMerges.headers.contains("allow: post, options"), "\(getMerges)")
        #expect(try await server.request("/collections/parcels/items/A").status == 200)
    }

    /// A parcel retired by a merge is neither listed nor served by id now; as of a date before
    /// the merge it is both.
    @Test(arguments: Backend.available) func retiredParcelsAreServedAsTheyAreListed(backend: Backend) async throws {
        let store = try squares(backend)
        _ = try store.merge(["B", "C"], into: "BC", date: try CalendarDate(parsing: "2024-02-01"))
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let listed = array(try await server.request("/collections/parcels/items").json?["features"]).compactMap { $0.objectValue?["id"]?.stringValue }
        #expect(!listed.contains("B") && listed.contains("BC"))
        let now = try await server.request("/collections/parcels/items/B")
        #expect(now.status == 404 && now.json?["reason"]?.stringValue?.contains("retired") == true, "\(now.body)")
        let before = try await server.request("/collections/parcels/items/B?datetime=2024-01-15")
        #expect(before.status == 200 && before.json?["id"]?.stringValue == "B")
        let listedBefore = array(try await server.request("/collections/parcels/items?datetime=2024-01-15").json?["features"]).compactMap { $0.objectValue?["id"]?.stringValue }
        #expect(listedBefore.contains("B") && !listedBefore.contains("BC"))
    }

    /// Walking the next links returns every active parcel once, as the store lists them.
    @Test(arguments: Backend.available) func pagingWalksEveryParcelOnce(backend: Backend) async throws {
        let store = try demoProgrammeStore(backend: backend)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        var next: String? = "/collections/parcels/items?limit=700"
        var seen: [String] = []
        var matched: Int?
        while let url = next {
            let page = try await server.request(url)
            #expect(page.status == 200 && page.contentType == "application/geo+json")
            let json = try #require(page.json)
            matched = json["numberMatched"]?.numberValue.map { Int($0) }
            let features = array(json["features"])
            #expect(Int(json["numberReturned"]?.numberValue ?? -1) == features.count)
            seen += features.compactMap { $0.objectValue?["id"]?.stringValue }
            next = array(json["links"]).first { $0.objectValue?["rel"]?.stringValue == "next" }?.objectValue?["href"]?.stringValue
        }
        let expected = try store.snapshot().parcels.map(\.id)
        #expect(seen == expected.sorted())
        #expect(matched == expected.count)
    }

    /// bbox keeps the parcels whose envelope meets the box (computed here from the parcels).
    @Test(arguments: Backend.available) func bboxSelectsByEnvelope(backend: Backend) async throws {
        let store = try squares(backend)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let box = try Envelope(minX: 113.1005, minY: 23.0505, maxX: 113.1015, maxY: 23.0515)
        let expected = try store.snapshot().parcels.filter { $0.polygons.contains { $0.envelope.intersects(box) } }.map(\.id)
        let page = try await server.request("/collections/parcels/items?bbox=113.1005,23.0505,113.1015,23.0515")
        let ids = array(page.json?["features"]).compactMap { $0.objectValue?["id"]?.stringValue }
        #expect(ids == expected.sorted() && ids == ["A", "B"])
    }

    /// datetime is the date the parcels are reconstructed for: the state as of then.
    @Test(arguments: Backend.available) func datetimeReconstructsTheParcels(backend: Backend) async throws {
        let store = try squares(backend)
        try store.transition([TransitionRequest(parcelID: "W", to: .reclaimedFarmland, date: try CalendarDate(parsing: "2024-06-01"))])
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        for (date, state) in [("2024-01-01", "wasteland"), ("2024-06-01T08:00:00Z", "reclaimed_farmland")] {
            let item = try await server.request("/collections/parcels/items/W?datetime=\(date)")
            #expect(item.json?["properties"]?.objectValue?["state"]?.stringValue == state, "\(date)")
        }
        // A NUL in the path is no id (W\0x used to be looked up as something else).
        let nul = try await server.request("/collections/parcels/items/W%00x")
        #expect(nul.status == 400 && nul.json?["error"]?.stringValue == "bad-id", "\(nul.body)")
        #expect(try await server.request("/parcels/W%01/history").status == 400)
        let before = try await server.request("/collections/parcels/items?datetime=2022-12-31")
        #expect(before.json?["numberMatched"]?.numberValue == 0)
        let interval = try await server.request("/collections/parcels/items?datetime=2023-01-01/2024-01-01")
        #expect(interval.status == 400 && interval.json?["reason"]?.stringValue?.contains("interval") == true)
    }

    @Test(arguments: Backend.available) func oneFeatureAndItsAreas(backend: Backend) async throws {
        let store = try squares(backend)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let item = try await server.request("/collections/parcels/items/A")
        let p = try #require(item.json?["properties"]?.objectValue)
        let area = try #require(try store.parcel("A")).areaSquareMetres
        #expect(abs((p["area_m2"]?.numberValue ?? 0) - area) <= 0.005)
        #expect(abs((p["area_mu"]?.numberValue ?? 0) - area * 3 / 2000) <= 0.00005)
        #expect(item.json?["geometry"]?.objectValue?["type"]?.stringValue == "MultiPolygon")
        let layer = try await server.request("/collections/urban_boundary/items/1")
        #expect(layer.status == 200 && layer.json?["properties"]?.objectValue?["name"]?.stringValue == "urban_boundary")
        #expect(try await server.request("/collections/parcels/items/ZZ").status == 404)
    }

    @Test(arguments: Backend.available, [
        ("/collections/parcels/items?limit=0", "limit"),
        ("/collections/parcels/items?limit=ten", "limit"),
        ("/collections/parcels/items?offset=-1", "offset"),
        ("/collections/parcels/items?bbox=23.05,113.1,23.06,113.2", "bbox"),
        ("/collections/parcels/items?bbox=1,2,3", "bbox"),
        ("/collections/parcels/items?bbox=113,24,114,23", "bbox"),
        ("/collections/parcels/items?colour=red", "colour"),
        ("/collections/parcels/items?datetime=yesterday", "datetime"),
        // Text after the date used to be ignored.
        ("/collections/parcels/items?datetime=2024-01-01garbage", "datetime"),
        ("/collections/parcels/items/A?datetime=2024-01-01T08:00", "datetime"),
        ("/summary?by=district", "district"),
        ("/summary?as-of=2024-13-01", "as-of"),
        ("/summary?area=sideways", "area"),
        ("/changes?from=2023-01-01&to=2024-01-01&area=both", "area"),
        ("/contiguity?gap=-3", "gap"),
        ("/changes?from=2024-01-01", "from and to"),
        ("/checks?rules=speed-limit", "speed-limit"),
    ])
    func malformedRequestsGetAReason(backend: Backend, request: (String, String)) async throws {
        let (path, named) = request
        let server = try await TestServer.start(try squares(backend))
        defer { Task { await server.stop() } }
        let reply = try await server.request(path)
        #expect(reply.status == 400, "\(path): \(reply.body)")
        #expect(reply.json?["reason"]?.stringValue?.contains(named) == true, "\(path): \(reply.body)")
    }

    /// With one job at a time, parallel requests queue and all succeed, with the same answer.
    @Test(arguments: Backend.available) func requestsQueueForTheJobLimit(backend: Backend) async throws {
        let server = try await TestServer.start(try squares(backend)) {
            $0.maxConcurrentJobs = 1
            $0.maxConcurrentReports = 1
        }
        defer { Task { await server.stop() } }
        let replies = try await withThrowingTaskGroup(of: TestServer.Reply.self) { group in
            for _ in 0..<8 { group.addTask { try await server.request("/summary?by=state") } }
            var out: [TestServer.Reply] = []
            for try await r in group { out.append(r) }
            return out
        }
        #expect(replies.count == 8 && replies.allSatisfy { $0.status == 200 && $0.body == replies[0].body })
    }

    @Test(arguments: Backend.available) func largeLimitsAreServedAsTheMaximum(backend: Backend) async throws {
        let server = try await TestServer.start(try squares(backend)) { $0.maxPageSize = 4 }
        defer { Task { await server.stop() } }
        let page = try await server.request("/collections/parcels/items?limit=1000000")
        #expect(page.status == 200 && page.json?["numberReturned"]?.numberValue == 4 && page.json?["numberMatched"]?.numberValue == 6)
        let unknown = try await server.request("/no/such/thing")
        #expect(unknown.status == 404 && unknown.contentType == "application/json")
    }
}

@Suite("Server reports")
struct ServerReportTests {
    /// The JSON endpoints answer exactly what the reports render for the CLI's --format json.
    @Test(arguments: Backend.available) func reportsAreTheCLIsJSON(backend: Backend) async throws {
        let store = try demoProgrammeStore(backend: backend)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let date = try CalendarDate(parsing: "2024-12-31")
        let (parcels, crs) = try store.plannerInput(asOf: date)
        let summary = try SummaryReport(parcels: parcels, crs: crs, by: [.village, .state], asOf: date).json()
        #expect(try await server.request("/summary?by=village,state&as-of=2024-12-31").body == summary)
        // area=net|gross as the CLI's --area (the demo has no deductions: named, equal figures).
        for basis in AreaBasis.allCases {
            let named = try SummaryReport(parcels: parcels, crs: crs, by: [.state], asOf: date, basis: basis).json()
            #expect(try await server.request("/summary?as-of=2024-12-31&area=\(basis.rawValue)").body == named)
            #expect(named.contains("\"area_basis\":\"\(basis.rawValue)\""))
        }
        var options = ContiguityReport.Options()
        options.gapMetres = 2
        options.basicFarmlandOnly = true
        let blocks = try ContiguityReport.analyse(parcels, crs: crs, options: options).json()
        #expect(try await server.request("/contiguity?gap=2&pbf-only=true&as-of=2024-12-31").body == blocks)
        let changes = try ChangesReport.load(from: store, from: try CalendarDate(parsing: "2023-01-01"), to: date).json()
        #expect(try await server.request("/changes?from=2023-01-01&to=2024-12-31").body == changes)
        var check = CheckOptions()
        check.asOf = date
        check.pbfMinimumMu = 20
        #expect(try await server.request("/checks?as-of=2024-12-31&pbf-min-mu=20").body == (try CheckReport.load(from: store, options: check)).json())
        #expect(try await server.request("/parcels/NH-000123/history").body == (try HistoryReport(store: store, parcelID: "NH-000123")).json())
        let map = try await server.request("/map?compare=2023-01-01,2025-12-31")
        #expect(map.status == 200 && map.contentType?.hasPrefix("text/html") == true && map.body.contains("id=\"side-1\""))
    }
}

@Suite("Server writes and tokens")
struct ServerWriteTests {
    func tokens(_ store: any ParcelStore) throws -> (planner: String, viewer: String) {
        (try store.createToken(owner: "Li Wei", role: .planner).token, try store.createToken(owner: "Wang Fang", role: .viewer).token)
    }

    /// Without a planner's token a write gets 401/403 and changes nothing; with one it is
    /// recorded with the token's owner.
    @Test(arguments: Backend.available) func writesNeedAPlannersToken(backend: Backend) async throws {
        let store = try squares(backend)
        let (planner, viewer) = try tokens(store)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let body = #"{"to":"wasteland","date":"2024-03-01","ref":"NH-2024","note":"abandoned"}"#
        let before = try store.history("A").count
        for (token, status) in [(nil, 401), ("lt_not-a-token", 401), (viewer, 403)] as [(String?, Int)] {
            let reply = try await server.request("POST", "/parcels/A/transitions", body: body, token: token)
            #expect(reply.status == status && reply.json?["reason"] != nil, "\(reply.body)")
        }
        #expect(try store.history("A").count == before)
        #expect(try store.parcel("A")?.state == .farmland)
        let done = try await server.request("POST", "/parcels/A/transitions", body: body, token: planner)
        #expect(done.status == 201)
        let last = try #require(try store.history("A").last)
        #expect(last.recordedBy == "Li Wei" && last.toState == .wasteland && last.ref == "NH-2024" && last.note?.hasPrefix("abandoned") == true)
        // A revoked token no longer writes.
        let id = try #require(try store.tokens().first { $0.owner == "Li Wei" }).id
        try store.revokeToken(id: id)
        let revoked = try await server.request("POST", "/parcels/A/transitions", body: #"{"to":"farmland","date":"2024-04-01"}"#, token: planner)
        #expect(try revoked.status == 401 && store.parcel("A")?.state == .wasteland)
        // The store keeps hashes, never the tokens.
        #expect(!(try everythingStored(store)).contains(planner))
    }

    @Test(arguments: Backend.available) func readTokenModeChecksReads(backend: Backend) async throws {
        let store = try squares(backend)
        let (_, viewer) = try tokens(store)
        let server = try await TestServer.start(store) { $0.readsNeedToken = true }
        defer { Task { await server.stop() } }
        #expect(try await server.request("/collections").status == 401)
        #expect(try await server.request("/collections", token: viewer).status == 200)
    }

    /// Refusals of the data (rules, unknown parcels, bad bodies) change nothing and say why.
    @Test(arguments: Backend.available, [
        ("/parcels/A/transitions", #"{"to":"industrial_park","date":"2024-03-01"}"#, 422, "cannot move"),
        ("/parcels/A/transitions", #"{"to":"paddy-ish","date":"2024-03-01"}"#, 422, "not a state"),
        ("/parcels/A/transitions", #"{"to":"wasteland"}"#, 400, "date"),
        ("/parcels/A/transitions", #"{"to":"wasteland","date":"2024-02-30"}"#, 400, "date"),
        ("/parcels/A/transitions", #"{"to":"wasteland","date":"#, 400, "not JSON"),
        ("/parcels/A/transitions", #"["wasteland"]"#, 400, "object"),
        ("/parcels/Q/transitions", #"{"to":"wasteland","date":"2024-03-01"}"#, 404, "Q"),
        ("/parcels/A/pbf", #"{"designated":"yes","date":"2024-03-01"}"#, 400, "designated"),
        ("/merges", #"{"parcels":["A","W"],"into":"AW","date":"2024-03-01"}"#, 422, "different states"),
        ("/merges", #"{"parcels":["A","B"],"into":"AB","date":"2024-03-01","gap":-1}"#, 400, "gap"),
        ("/parcels/A/splits", #"{"cutter":{"type":"LineString","coordinates":[[113.1005,23.0]]},"date":"2024-03-01"}"#, 422, "cutter"),
        // An id with a NUL in the path is not the parcel before it (it used to change A).
        ("/parcels/A%00evil/transitions", #"{"to":"wasteland","date":"2024-03-01"}"#, 400, "control character U+0000"),
        ("/merges", #"{"parcels":["B","C"],"into":"BC\u0001","date":"2024-03-01"}"#, 400, "control character U+0001"),
        // Two pieces with one name: refused before the database (it was a 500, UNIQUE constraint failed).
        ("/parcels/D/splits", #"{"cutter":{"type":"LineString","coordinates":[[113.1005,23.0519],[113.1005,23.0531]]},"names":["X","X"],"date":"2024-03-01"}"#, 422, "twice"),
        ("/parcels/D/splits", #"{"cutter":{"type":"LineString","coordinates":[[113.1005,23.0519],[113.1005,23.0531]]},"names":["X",7],"date":"2024-03-01"}"#, 400, "names"),
        // A member named twice (the first used to win) and NaN (not JSON) are refused.
        ("/parcels/A/transitions", #"{"to":"wasteland","to":"industrial_park","date":"2024-03-01"}"#, 400, "\"to\" twice"),
        ("/merges", #"{"parcels":["B","C"],"into":"BC","date":"2024-03-01","gap":NaN}"#, 400, "NaN"),
        ("/parcels/A/pbf", #"{"designated":true,"date":"2024-03-01","extra":{"k":1,"k":2}}"#, 400, "\"k\" twice"),
        // The re-import bypass: PBF parcel D as industrial_park (rule D1), refused as a whole.
        ("/imports?date=2024-03-01", #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"D","state":"industrial_park","basic_farmland":true},"geometry":{"type":"Polygon","coordinates":[[[113.1,23.052],[113.101,23.052],[113.101,23.053],[113.1,23.053],[113.1,23.052]]]}}]}"#, 422, "rule D1"),
    ])
    func refusalsChangeNothing(backend: Backend, request: (String, String, Int, String)) async throws {
        let (path, body, status, mentions) = request
        let store = try squares(backend)
        let (planner, _) = try tokens(store)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let before = try store.counts()
        let reply = try await server.request("POST", path, body: body, token: planner)
        #expect(reply.status == status, "\(reply.body)")
        #expect(reply.json?["reason"]?.stringValue?.contains(mentions) == true, "\(reply.body)")
        #expect(try store.counts() == before)
    }

    @Test(arguments: Backend.available) func bodiesOverTheLimitAreRefused(backend: Backend) async throws {
        let store = try squares(backend)
        let (planner, _) = try tokens(store)
        let server = try await TestServer.start(store) { $0.maxBodyBytes = 1024 }
        defer { Task { await server.stop() } }
        let big = #"{"to":"wasteland","date":"2024-03-01","note":""# + String(repeating: "x", count: 4096) + #""}"#
        let reply = try await server.request("POST", "/parcels/A/transitions", body: big, token: planner)
        #expect(reply.status == 413 && reply.json?["error"] != nil)
        #expect(try store.history("A").count == 1)
    }

    /// PBF, merge, split and import over HTTP: the same operations as the CLI's, by the owner.
    @Test(arguments: Backend.available) func pbfMergeSplitAndImport(backend: Backend) async throws {
        let store = try squares(backend)
        let (planner, viewer) = try tokens(store)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let pbf = try await server.request("POST", "/parcels/A/pbf", body: #"{"designated":true,"date":"2024-01-10"}"#, token: planner)
        #expect(try pbf.status == 201 && store.parcel("A")?.basicFarmland == true)
        let merge = try await server.request("POST", "/merges", body: #"{"parcels":["B","C"],"into":"BC","date":"2024-02-01"}"#, token: planner)
        #expect(merge.status == 201, "\(merge.body)")
        let bc = try #require(try store.parcel("BC"))
        let parts = try ["B", "C"].map { try #require(try store.parcel($0)).areaSquareMetres }.reduce(0, +)
        #expect(abs(bc.areaSquareMetres - parts) <= 0.01)
        // D spans 113.100…113.101 °E, 23.052…23.053 °N: cut it down the middle.
        let cut = #"{"cutter":{"type":"LineString","coordinates":[[113.1005,23.0519],[113.1005,23.0531]]},"names":["D1","D2"],"date":"2024-03-01"}"#
        let split = try await server.request("POST", "/parcels/D/splits", body: cut, token: planner)
        #expect(split.status == 201, "\(split.body)")
        #expect(try store.parcel("D1") != nil && store.parcel("D2") != nil && store.history("D1").last?.recordedBy == "Li Wei")
        let file = #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"N1","state":"wasteland"},"geometry":{"type":"Polygon","coordinates":[[[113.11,23.05],[113.111,23.05],[113.111,23.051],[113.11,23.051],[113.11,23.05]]]}}]}"#
        #expect(try await server.request("POST", "/imports?date=2024-05-01", body: file, token: viewer).status == 403)
        #expect(try store.parcel("N1") == nil)
        let imported = try await server.request("POST", "/imports?date=2024-05-01&ref=NH-2024", body: file, token: planner)
        #expect(imported.status == 201 && imported.json?["added"]?.numberValue == 1, "\(imported.body)")
        #expect(imported.json?["same_as_last_import"] == .bool(false))
        #expect(try store.history("N1").first?.recordedBy == "Li Wei")
        // The same body again: found unchanged without being read.
        let again = try await server.request("POST", "/imports?date=2024-05-01&ref=NH-2024", body: file, token: planner)
        #expect(again.status == 201 && again.json?["unchanged"]?.numberValue == 1 && again.json?["same_as_last_import"] == .bool(true), "\(again.body)")
        let bad = try await server.request("POST", "/imports", body: #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"N2","state":"wasteland"},"geometry":{"type":"Polygon","coordinates":[[[113.11,23.05],[113.111,23.051],[113.111,23.05],[113.11,23.051],[113.11,23.05]]]}}]}"#, token: planner)
        #expect(try bad.status == 422 && store.parcel("N2") == nil, "\(bad.body)")
    }

    /// Readers during writes see a consistent store: transitions never change the totals,
    /// so every summary read in parallel with them has the same parcel count and area.
    @Test(arguments: Backend.available) func parallelReadersAndAWriterStayConsistent(backend: Backend) async throws {
        let store = try demoProgrammeStore(backend: backend)
        let (planner, _) = try tokens(store)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let farmland = try store.snapshot().parcels.filter { $0.state == .farmland }.prefix(12).map(\.id)
        let baseline = try #require(try await server.request("/summary").json?["total"]?.jsonText)
        let results = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            group.addTask {
                for id in farmland {
                    let r = try await server.request("POST", "/parcels/\(id)/transitions", body: #"{"to":"wasteland","date":"2026-01-01"}"#, token: planner)
                    if r.status != 201 { return (r.status, r.body) }
                }
                return (201, nil)
            }
            for _ in 0..<16 {
                group.addTask {
                    let r = try await server.request("/summary")
                    return (r.status, r.json?["total"]?.jsonText)
                }
            }
            var out: [(Int, String?)] = []
            for try await r in group { out.append(r) }
            return out
        }
        #expect(results.allSatisfy { $0.0 == 200 || $0.0 == 201 }, "\(results.filter { $0.0 >= 300 })")
        #expect(results.filter { $0.0 == 200 }.allSatisfy { $0.1 == baseline })
        let after = try store.snapshot().parcels
        #expect(farmland.allSatisfy { id in after.first { $0.id == id }?.state == .wasteland })
        #expect(try farmland.allSatisfy { try store.history($0).last?.recordedBy == "Li Wei" })
    }
}
