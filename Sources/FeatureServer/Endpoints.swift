import Foundation
import Hummingbird
import OpenAPIKit30
import Store

/// Every route the server answers, declared once: the router is built from this list, each
/// request's query is checked against the parameters declared here (OGC API – Features
/// /req/core/query-param-unknown), and `/api` describes exactly this list as OpenAPI 3.0.
struct Endpoint: Sendable {
    enum Method: String, Sendable { case get, post }

    /// A query parameter as a client sees it: name, JSON type, what it means.
    struct Parameter: Sendable {
        enum Kind: Sendable { case string, date, integer, number, boolean, list }
        var name: String
        var kind: Kind
        var about: String
        var required = false
    }

    /// One response a client can get besides the errors every route has (400, 401, 403, 404,
    /// 503: a JSON object with `error` and `reason`).
    struct Reply: Sendable {
        var status: Int
        var type: String
        var about: String
    }

    var method: Method
    /// Path with `{name}` segments, as Hummingbird and OpenAPI both write them.
    var path: String
    var operationID: String
    var summary: String
    var parameters: [Parameter] = []
    /// The request body's media type and meaning (writes).
    var body: (type: String, about: String)?
    var replies: [Reply]
    var handle: @Sendable (API, Request, BasicRequestContext) async throws -> Response

    var parameterNames: Set<String> { Set(parameters.map(\.name)) }
    var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }
}

extension Endpoint {
    static let json = "application/json", geojson = "application/geo+json", html = "text/html"
    static let f = Parameter(name: "f", kind: .string, about: "output format; only json is served (GeoJSON for items)")
    static let crs = Parameter(name: "crs", kind: .string, about: "the CRS of the coordinates returned, one of the collection's crs list (default CRS84)")
    static let asOf = Parameter(name: "as-of", kind: .date, about: "the store as it stood on this date (YYYY-MM-DD); default today")

    /// The whole API, in the order the landing page and /api list it.
    static let all: [Endpoint] = [
        Endpoint(method: .get, path: "/", operationID: "getLandingPage", summary: "Landing page (OGC API – Features)",
                 parameters: [f], replies: [Reply(status: 200, type: json, about: "links to the API definition, conformance and the collections")],
                 handle: { api, r, _ in try await api.landingPage(r) }),
        Endpoint(method: .get, path: "/api", operationID: "getAPIDefinition", summary: "This API's OpenAPI 3.0 definition",
                 parameters: [f], replies: [Reply(status: 200, type: API.openAPIType, about: "the OpenAPI 3.0 document")],
                 handle: { api, r, _ in try await api.apiDefinition(r) }),
        Endpoint(method: .get, path: "/api.html", operationID: "getAPIDocumentation", summary: "This API's documentation as a web page",
                 replies: [Reply(status: 200, type: html, about: "every route with its parameters")],
                 handle: { api, r, _ in try await api.apiDocumentation(r) }),
        Endpoint(method: .get, path: "/conformance", operationID: "getConformance", summary: "Conformance classes",
                 parameters: [f], replies: [Reply(status: 200, type: json, about: "the conformance classes implemented")],
                 handle: { api, r, _ in try await api.conformance(r) }),
        Endpoint(method: .get, path: "/collections", operationID: "getCollections", summary: "The store's layers",
                 parameters: [f], replies: [Reply(status: 200, type: json, about: "parcels and the constraint layers")],
                 handle: { api, r, _ in try await api.collections(r) }),
        Endpoint(method: .get, path: "/collections/{layer}", operationID: "describeCollection", summary: "One layer",
                 parameters: [f], replies: [Reply(status: 200, type: json, about: "the layer's extent, CRS and links")],
                 handle: { api, r, c in try await api.collection(r, c) }),
        Endpoint(method: .get, path: "/collections/{layer}/items", operationID: "getFeatures", summary: "A page of a layer's features",
                 parameters: [
                    f,
                    Parameter(name: "limit", kind: .integer, about: "features per page (1 to 10,000; larger is served as the maximum)"),
                    Parameter(name: "offset", kind: .integer, about: "features to skip (the next link carries it)"),
                    Parameter(name: "bbox", kind: .list, about: "features that meet the box: four numbers in bbox-crs and its axis order (CRS84: minLon,minLat,maxLon,maxLat)"),
                    Parameter(name: "bbox-crs", kind: .string, about: "the bbox's CRS, one of the collection's crs list (default CRS84)"),
                    Parameter(name: "datetime", kind: .string, about: "parcels: the date (YYYY-MM-DD or an RFC 3339 instant) to reconstruct them for"),
                    crs,
                    Parameter(name: "filter", kind: .string, about: "parcels: a CQL2-text condition on the queryables, e.g. state = 'wasteland' AND area_mu > 5"),
                    Parameter(name: "filter-lang", kind: .string, about: "cql2-text (the only one)"),
                    Parameter(name: "filter-crs", kind: .string, about: "the CRS of the filter's geometries (default CRS84)"),
                    Parameter(name: "state", kind: .string, about: "parcels in this state"),
                    Parameter(name: "basic_farmland", kind: .boolean, about: "parcels that are (true) or are not (false) permanent basic farmland"),
                    Parameter(name: "village", kind: .string, about: "parcels of this village"),
                    Parameter(name: "landuse_code", kind: .string, about: "parcels with this land-use code"),
                 ],
                 replies: [Reply(status: 200, type: geojson, about: "a FeatureCollection with numberMatched, numberReturned and next/prev links")],
                 handle: { api, r, c in try await api.items(r, c) }),
        Endpoint(method: .get, path: "/collections/{layer}/items/{id}", operationID: "getFeature", summary: "One feature",
                 parameters: [f, crs, Parameter(name: "datetime", kind: .string, about: "parcels: the date to reconstruct the parcel for")],
                 replies: [Reply(status: 200, type: geojson, about: "the feature")],
                 handle: { api, r, c in try await api.item(r, c) }),
        Endpoint(method: .get, path: "/collections/{layer}/queryables", operationID: "getQueryables",
                 summary: "The properties a filter can test (parcels)",
                 parameters: [f], replies: [Reply(status: 200, type: "application/schema+json", about: "a JSON Schema of the queryables")],
                 handle: { api, r, c in try await api.queryables(r, c) }),
        Endpoint(method: .get, path: "/summary", operationID: "getSummary", summary: "Areas by state, village, land use or PBF (landtrack summary)",
                 parameters: [
                    Parameter(name: "by", kind: .list, about: "grouping keys: state, village, landuse, pbf (comma-separated)"),
                    asOf, Parameter(name: "area-method", kind: .string, about: "geodesic (default), survey or planar"),
                    Parameter(name: "area", kind: .string, about: "net (each parcel less its deduction, 田坎) or gross; default net when the parcels carry deductions"),
                 ],
                 replies: [Reply(status: 200, type: json, about: "the CLI's summary --format json")],
                 handle: { api, r, _ in try await api.summary(r) }),
        Endpoint(method: .get, path: "/changes", operationID: "getChanges", summary: "Changes over a period (landtrack changes)",
                 parameters: [
                    Parameter(name: "from", kind: .date, about: "start of the period", required: true),
                    Parameter(name: "to", kind: .date, about: "end of the period", required: true),
                    Parameter(name: "ref", kind: .string, about: "only the changes of this programme reference"),
                    Parameter(name: "area", kind: .string, about: "net (each parcel less its deduction, 田坎) or gross; default net when the parcels carry deductions"),
                 ],
                 replies: [Reply(status: 200, type: json, about: "the CLI's changes --format json")],
                 handle: { api, r, _ in try await api.changes(r) }),
        Endpoint(method: .get, path: "/contiguity", operationID: "getContiguity", summary: "Contiguous farmland blocks (landtrack contiguity)",
                 parameters: [
                    Parameter(name: "states", kind: .list, about: "states that form blocks (default: the farmland states)"),
                    Parameter(name: "all", kind: .boolean, about: "every state forms blocks"),
                    Parameter(name: "pbf-only", kind: .boolean, about: "permanent basic farmland only"),
                    Parameter(name: "gap", kind: .number, about: "metres (0 to 1000) across which parcels still join"),
                    Parameter(name: "min-mu", kind: .number, about: "blocks of at least this many mu"),
                    Parameter(name: "barriers", kind: .boolean, about: "blocks do not cross the barriers layer"),
                    asOf, Parameter(name: "format", kind: .string, about: "json (default) or geojson (block outlines)"),
                 ],
                 replies: [Reply(status: 200, type: json, about: "the CLI's contiguity --format json, or the blocks as GeoJSON")],
                 handle: { api, r, _ in try await api.contiguity(r) }),
        Endpoint(method: .get, path: "/checks", operationID: "getChecks", summary: "The programme's rule checks (landtrack check)",
                 parameters: [
                    Parameter(name: "rules", kind: .list, about: "rules to run (comma-separated; default all)"),
                    asOf, Parameter(name: "from", kind: .date, about: "start of the programme period"),
                    Parameter(name: "programme", kind: .string, about: "programme reference for the period rules"),
                    Parameter(name: "pbf-min-mu", kind: .number, about: "PBF blocks smaller than this are fragmented"),
                    Parameter(name: "max-overlap-m2", kind: .number, about: "parcel overlaps up to this area are tolerated"),
                    Parameter(name: "min-construction-m2", kind: .number, about: "construction inside the red line from this area"),
                    Parameter(name: "min-farmland-m2", kind: .number, about: "PBF inside the urban boundary from this area"),
                    Parameter(name: "min-other-m2", kind: .number, about: "other conflicts from this area"),
                    Parameter(name: "area", kind: .string, about: "net (each parcel less its deduction, 田坎) or gross; default net when the parcels carry deductions"),
                 ],
                 replies: [Reply(status: 200, type: json, about: "the CLI's check --format json")],
                 handle: { api, r, _ in try await api.checks(r) }),
        Endpoint(method: .get, path: "/parcels/{id}/history", operationID: "getHistory", summary: "A parcel's history (landtrack history)",
                 replies: [Reply(status: 200, type: json, about: "the CLI's history --format json")],
                 handle: { api, r, c in try await api.history(r, c) }),
        Endpoint(method: .get, path: "/map", operationID: "getMap", summary: "The programme map (landtrack map)",
                 parameters: [asOf, Parameter(name: "compare", kind: .list, about: "two dates, side by side"),
                              Parameter(name: "gap", kind: .number, about: "contiguity gap in metres"),
                              Parameter(name: "pbf-min-mu", kind: .number, about: "PBF fragmentation threshold"),
                              Parameter(name: "area", kind: .string, about: "net (each parcel less its deduction, 田坎) or gross; default net when the parcels carry deductions")],
                 replies: [Reply(status: 200, type: html, about: "one self-contained page")],
                 handle: { api, r, _ in try await api.map(r) }),
        Endpoint(method: .post, path: "/parcels/{id}/transitions", operationID: "postTransition", summary: "Move a parcel to another state (planner token)",
                 body: (json, #"{"to": state, "date": "YYYY-MM-DD", "ref"?, "note"?}"#),
                 replies: [Reply(status: 201, type: json, about: "the recorded event"), Reply(status: 422, type: json, about: "refused by the rules")],
                 handle: { api, r, c in try await api.transition(r, c) }),
        Endpoint(method: .post, path: "/parcels/{id}/pbf", operationID: "postBasicFarmland", summary: "Designate or release PBF (planner token)",
                 body: (json, #"{"designated": true|false, "date": "YYYY-MM-DD", "ref"?, "note"?}"#),
                 replies: [Reply(status: 201, type: json, about: "the recorded event"), Reply(status: 422, type: json, about: "refused by the rules")],
                 handle: { api, r, c in try await api.basicFarmland(r, c) }),
        Endpoint(method: .post, path: "/parcels/{id}/splits", operationID: "postSplit", summary: "Split a parcel along a line or by a polygon (planner token)",
                 body: (json, #"{"cutter": GeoJSON geometry or Feature, "names"?: [id], "date": "YYYY-MM-DD", "ref"?, "note"?}"#),
                 replies: [Reply(status: 201, type: json, about: "the new parcels"), Reply(status: 422, type: json, about: "refused")],
                 handle: { api, r, c in try await api.split(r, c) }),
        Endpoint(method: .post, path: "/merges", operationID: "postMerge", summary: "Merge touching parcels (planner token)",
                 body: (json, #"{"parcels": [id, …], "into": id, "date": "YYYY-MM-DD", "gap"?: metres, "ref"?, "note"?}"#),
                 replies: [Reply(status: 201, type: json, about: "the new parcel"), Reply(status: 422, type: json, about: "refused")],
                 handle: { api, r, _ in try await api.merge(r) }),
        Endpoint(method: .post, path: "/imports", operationID: "postImport", summary: "Import a parcel FeatureCollection (planner token)",
                 parameters: [
                    Parameter(name: "date", kind: .date, about: "effective date of the import"),
                    Parameter(name: "default-state", kind: .string, about: "state of parcels without one"),
                    Parameter(name: "on-invalid", kind: .string, about: "refuse (default) or repair"),
                    Parameter(name: "ref", kind: .string, about: "programme reference"),
                 ],
                 body: (geojson, "a GeoJSON FeatureCollection of parcels"),
                 replies: [Reply(status: 201, type: json, about: "added, updated, unchanged, rejected, same_as_last_import"), Reply(status: 422, type: json, about: "refused")],
                 handle: { api, r, _ in try await api.importParcels(r) }),
    ]
}

extension API {
    /// OGC API – Features Part 1 (/req/core/api-definition-op) names this media type for an
    /// OpenAPI 3.0 document; QGIS looks for the landing page's service-desc link with it.
    static let openAPIType = "application/vnd.oai.openapi+json;version=3.0"

    /// The OpenAPI 3.0 document of `Endpoint.all`, with `base` as the server URL.
    static func openAPIDocument(base: String, title: String) throws -> String {
        var paths = OpenAPI.PathItem.Map()
        for endpoint in Endpoint.all {
            let pathParameters: [Either<JSONReference<OpenAPI.Parameter>, OpenAPI.Parameter>] = endpoint.pathParameters.map {
                .parameter(name: $0, context: .path, schema: .string, description: $0 == "layer" ? "parcels or a constraint layer" : "a parcel id or feature id")
            }
            let queryParameters: [Either<JSONReference<OpenAPI.Parameter>, OpenAPI.Parameter>] = endpoint.parameters.map { p in
                .parameter(name: p.name, context: .query(required: p.required), schema: schema(p.kind), description: p.about)
            }
            var responses = OpenAPI.Response.Map()
            for reply in endpoint.replies {
                responses[OpenAPI.Response.StatusCode(integerLiteral: reply.status)] = .b(OpenAPI.Response(
                    description: reply.about, content: [contentType(reply.type): OpenAPI.Content(schema: .b(reply.type == "text/html" ? .string : .object))]))
            }
            responses[.default] = .b(OpenAPI.Response(
                description: "an error: a JSON object with error (a code) and reason (what is wrong)",
                content: [.json: OpenAPI.Content(schema: .b(.object))]))
            let body = endpoint.body.map {
                OpenAPI.Request(description: $0.about, content: [contentType($0.type): OpenAPI.Content(schema: .b(.object))], required: true)
            }
            let operation = OpenAPI.Operation(
                summary: endpoint.summary, operationId: endpoint.operationID, parameters: pathParameters + queryParameters,
                requestBody: body, responses: responses)
            let path = OpenAPI.Path(rawValue: endpoint.path)
            var item: OpenAPI.PathItem
            if case let .b(existing)? = paths[path] { item = existing } else { item = OpenAPI.PathItem() }
            switch endpoint.method {
            case .get: item.get = operation
            case .post: item.post = operation
            }
            paths[path] = .b(item)
        }
        let document = OpenAPI.Document(
            info: .init(title: title, description: "Land parcels of a consolidation programme as OGC API – Features, the planner's reports, and changes that need a planner's token (Authorization: Bearer …).",
                        version: "1.0"),
            servers: [OpenAPI.Server(url: URL(string: base)!)], paths: paths, components: .noComponents)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    static func schema(_ kind: Endpoint.Parameter.Kind) -> JSONSchema {
        switch kind {
        case .string: .string
        case .date: .string(format: .date)
        case .integer: .integer
        case .number: .number
        case .boolean: .boolean
        case .list: .string(description: "comma-separated values")
        }
    }

    static func contentType(_ type: String) -> OpenAPI.ContentType {
        OpenAPI.ContentType(rawValue: type) ?? .json
    }

    func apiDefinition(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let text = try Self.openAPIDocument(base: base(request), title: title)
        return reply(text, type: Self.openAPIType)
    }

    func apiDocumentation(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        func escaped(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
                .replacingOccurrences(of: "\"", with: "&quot;")
        }
        var html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escaped(title)) – API</title></head><body>"
        html += "<h1>\(escaped(title))</h1><p>The OpenAPI 3.0 definition: <a href=\"api\">api</a>. Errors are JSON objects with <code>error</code> and <code>reason</code>.</p>"
        for e in Endpoint.all {
            html += "<h2><code>\(e.method.rawValue.uppercased()) \(escaped(e.path))</code></h2><p>\(escaped(e.summary))</p>"
            if let body = e.body { html += "<p>Body (\(escaped(body.type))): <code>\(escaped(body.about))</code></p>" }
            if !e.parameters.isEmpty {
                html += "<ul>" + e.parameters.map { "<li><code>\(escaped($0.name))</code>\($0.required ? " (required)" : ""): \(escaped($0.about))</li>" }.joined() + "</ul>"
            }
        }
        html += "</body></html>"
        return reply(html, type: "text/html; charset=utf-8")
    }

    /// What the landing page and the API definition call the store (a file's name, or the
    /// database's name, never a password).
    var title: String {
        if store.location.hasPrefix("postgres"), let name = URLComponents(string: store.location)?.path.dropFirst(), !name.isEmpty {
            return "landtrack: \(name)"
        }
        return "landtrack: \(URL(fileURLWithPath: store.location).lastPathComponent)"
    }
}
