import Foundation
import Geometry
import HTTPTypes
import Hummingbird
import Parcels
import Store

/// OGC API – Features – Part 1: Core, GeoJSON encoding (OGC 17-069r4). Positions are
/// longitude/latitude (CRS84); parcel collections take `datetime` as the date to reconstruct.
extension API {
    static let crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    static let conformanceClasses = [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        crsConformance,
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    ]

    func link(_ href: String, _ rel: String, _ type: String, _ title: String? = nil) -> JSONValue {
        var o = JSONObject()
        o.append("href", .string(href))
        o.append("rel", .string(rel))
        o.append("type", .string(type))
        if let title { o.append("title", .string(title)) }
        return .object(o)
    }

    func landingPage(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let b = base(request)
        var o = JSONObject()
        o.append("title", .string(title))
        o.append("description", .string("Land parcels of a consolidation programme (OGC API – Features), with the planner's reports."))
        o.append("links", .array([
            link("\(b)/", "self", "application/json", "this document"),
            link("\(b)/api", "service-desc", Self.openAPIType, "the API definition (OpenAPI 3.0)"),
            link("\(b)/api.html", "service-doc", "text/html", "the API documentation"),
            link("\(b)/conformance", "conformance", "application/json", "conformance classes"),
            link("\(b)/collections", "data", "application/json", "the store's layers"),
            link("\(b)/map", "alternate", "text/html", "the programme map"),
            link("\(b)/summary", "related", "application/json", "summary (landtrack summary)"),
            link("\(b)/changes", "related", "application/json", "changes (landtrack changes; ?from=&to=)"),
            link("\(b)/contiguity", "related", "application/json", "contiguous blocks (landtrack contiguity)"),
            link("\(b)/checks", "related", "application/json", "rule checks (landtrack check)"),
        ]))
        return reply(JSONValue.object(o).jsonText)
    }

    func conformance(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        return reply(JSONValue.object(JSONObject([("conformsTo", .array(Self.conformanceClasses.map { .string($0) }))])).jsonText)
    }

    func collectionDescription(_ layer: StoreLayer, base b: String, offered: [OfferedCRS]) throws -> JSONValue {
        var o = JSONObject()
        o.append("id", .string(layer.table))
        switch layer {
        case .parcels:
            o.append("title", .string("parcels"))
            o.append("description", .string("Land parcels: state, permanent basic farmland flag, village, land use, geodesic area (m², mu). "
                + "datetime=YYYY-MM-DD gives the parcels as they stood on that date."))
        case let .constraint(c):
            o.append("title", .string(c.rawValue))
            o.append("description", .string("Constraint layer \(c.rawValue)"))
        }
        var extent = JSONObject()
        if let e = try store.extent(of: layer) {
            extent.append("spatial", .object(JSONObject([
                ("bbox", .array([.array([e.minX, e.minY, e.maxX, e.maxY].map { .number($0) })])), ("crs", .string(Self.crs84)),
            ])))
        }
        if layer == .parcels, let span = try store.historySpan() {
            extent.append("temporal", .object(JSONObject([("interval", .array([.array([.string(span.first.description), .null])]))])))
        }
        if !extent.isEmpty { o.append("extent", .object(extent)) }
        o.append("itemType", .string("feature"))
        o.append("crs", .array(offered.map { .string($0.uri) }))
        o.append("storageCrs", .string(try storageCRS().uri))
        var links = [
            link("\(b)/collections/\(layer.table)", "self", "application/json"),
            link("\(b)/collections/\(layer.table)/items", "items", "application/geo+json", "the features"),
        ]
        if layer == .parcels {
            links.append(link("\(b)/collections/parcels/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
                              "the properties a filter can test"))
        }
        o.append("links", .array(links))
        return .object(o)
    }

    func collections(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let b = base(request)
        let text = try await offload {
            var o = JSONObject()
            o.append("links", .array([link("\(b)/collections", "self", "application/json")]))
            let offered = try offeredCRS()
            o.append("collections", .array(try StoreLayer.allCases.map { try collectionDescription($0, base: b, offered: offered) }))
            return JSONValue.object(o).jsonText
        }
        return reply(text)
    }

    func layer(_ context: BasicRequestContext) throws -> StoreLayer {
        let name = context.parameters.get("layer") ?? ""
        guard let layer = StoreLayer(table: name) else {
            throw APIError.notFound("no collection '\(name)'; collections: \(StoreLayer.allCases.map(\.table).joined(separator: ", "))")
        }
        return layer
    }

    func collection(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let layer = try layer(context), b = base(request)
        return reply(try await offload { try collectionDescription(layer, base: b, offered: try offeredCRS()).jsonText })
    }

    /// `datetime`: one date (or a date-time, whose date is taken). Intervals are refused: a
    /// parcel layer answers "as it stood on", not "changed during".
    func asOf(_ request: Request) throws -> CalendarDate? {
        guard let text = query(request, "datetime") else { return nil }
        guard !text.contains("/") else {
            throw APIError.badRequest("datetime: give one date (the parcels as they stood on it), not an interval ('\(text)')")
        }
        // A date, or an RFC 3339 date-time (whose date is taken); nothing else after the date.
        let dateTime = #"^\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?$"#
        guard text.range(of: dateTime, options: .regularExpression) != nil else {
            throw APIError.badRequest("datetime: '\(text)' is not a date (YYYY-MM-DD) or an RFC 3339 date-time (YYYY-MM-DDThh:mm:ssZ)")
        }
        do { return try CalendarDate(parsing: String(text.prefix(10))) } catch {
            throw APIError.badRequest("datetime: '\(text)' is not a date (YYYY-MM-DD or an RFC 3339 date-time): \(error)")
        }
    }

    /// `bbox` in `bbox-crs` (CRS84 by default) and the axis order of that CRS. A box in
    /// longitude/latitude is an envelope test; a box in a projected CRS (Gauss-Krüger metres)
    /// becomes an area in the store's CRS, tested exactly.
    func bbox(_ request: Request, crs: OfferedCRS) throws -> (envelope: Envelope?, area: [Polygon]?) {
        guard let text = query(request, "bbox") else {
            if query(request, "bbox-crs") != nil { throw APIError.badRequest("bbox-crs is given without a bbox") }
            return (nil, nil)
        }
        let numbers = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        let order = crs.crs.isGeographic
            ? (crs.northFirst ? "min latitude, min longitude, max latitude, max longitude" : "min longitude, min latitude, max longitude, max latitude")
            : "min northing, min easting, max northing, max easting (metres)"
        guard numbers.count == 4 || numbers.count == 6, numbers.allSatisfy({ $0?.isFinite == true }) else {
            throw APIError.badRequest("bbox: '\(text)' must be four numbers in \(crs.uri): \(order)")
        }
        let v = numbers.map { $0! }
        var (x0, y0, x1, y1) = v.count == 4 ? (v[0], v[1], v[2], v[3]) : (v[0], v[1], v[3], v[4])
        if crs.northFirst { (x0, y0, x1, y1) = (y0, x0, y1, x1) }
        guard y0 <= y1, x0 <= x1 || !crs.crs.isGeographic else {
            throw APIError.badRequest(x0 > x1 ? "bbox: boxes across the antimeridian are not supported" : "bbox: '\(text)': a minimum is above its maximum (\(order))")
        }
        guard x0 <= x1 else { throw APIError.badRequest("bbox: '\(text)': a minimum is above its maximum (\(order))") }
        if crs.crs.isGeographic {
            guard (-180...180).contains(x0), (-180...180).contains(x1), (-90...90).contains(y0), (-90...90).contains(y1) else {
                throw APIError.badRequest("bbox: '\(text)' is out of range (longitude −180…180, latitude −90…90; \(order))")
            }
            return (Envelope(minX: x0, minY: y0, maxX: x1, maxY: y1), nil)
        }
        // Projected: east-first here; `AreaIntoStore` is told the box is east-first already.
        let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        return (nil, [try Polygon(rings: [ring.map { try Point(x: $0.0, y: $0.1) }])])
    }

    /// The filters of a request: the simple property parameters (`state=…&basic_farmland=…`) and
    /// `filter` (CQL2 text), all AND-ed; areas brought into the store's CRS.
    func filter(_ request: Request, layer: StoreLayer, offered: [OfferedCRS], storage: CoordinateReferenceSystem,
                bboxArea: [Polygon]?, bboxCRS: OfferedCRS) throws -> FeatureFilter? {
        var terms: [FeatureFilter] = []
        for q in Self.propertyParameters {
            guard let text = query(request, q.rawValue) else { continue }
            guard layer == .parcels else { throw APIError.badRequest("\(q.rawValue): property filters apply to the parcels collection only") }
            switch q.kind {
            case .text:
                if q == .state, ParcelState(rawValue: text) == nil {
                    throw APIError.badRequest("state: '\(text)' is not a state; states: \(ParcelState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                terms.append(.compare(q, .equal, .text(text)))
            case .boolean:
                guard let b = ["true": true, "false": false][text.lowercased()] else { throw APIError.badRequest("\(q.rawValue): '\(text)' must be true or false") }
                terms.append(.compare(q, .equal, .boolean(b)))
            case .number:
                guard let n = Double(text), n.isFinite else { throw APIError.badRequest("\(q.rawValue): '\(text)' must be a number") }
                terms.append(.compare(q, .equal, .number(n)))
            }
        }
        if let box = bboxArea {
            do { terms.append(.intersects(try AreaIntoStore(source: bboxCRS, storage: storage, alreadyEastFirst: true).area(box))) } catch {
                throw APIError.badRequest("bbox: the box cannot be brought into the store's CRS: \(error)")
            }
        }
        if let lang = query(request, "filter-lang"), lang != "cql2-text" {
            throw APIError.badRequest("filter-lang: only cql2-text is supported (not '\(lang)')")
        }
        let filterCRS = try requestedCRS(request, "filter-crs", offered: offered)
        if let text = query(request, "filter") {
            guard layer == .parcels else { throw APIError.badRequest("filter: filters apply to the parcels collection only") }
            let into = AreaIntoStore(source: filterCRS, storage: storage, alreadyEastFirst: false)
            do {
                var parser = try CQL2Parser(text, area: { (polygons: [Polygon]) throws(LandtrackError) -> SpatialArea in try into.area(polygons) })
                terms.append(try parser.parse())
            } catch {
                throw APIError.badRequest("filter: \(error); queryables: \(CQL2Parser.propertyNames) (see /collections/parcels/queryables)",
                                          code: "invalid-filter")
            }
        } else if query(request, "filter-crs") != nil {
            throw APIError.badRequest("filter-crs is given without a filter")
        }
        return terms.isEmpty ? nil : terms.count == 1 ? terms[0] : .and(terms)
    }

    /// Queryables that are also query parameters (Part 3, queryables-query-parameters).
    static let propertyParameters: [Queryable] = [.state, .basicFarmland, .village, .landuseCode]

    func items(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let layer = try layer(context)
        var requestedLimit = configuration.defaultPageSize
        if let text = query(request, "limit") {
            guard let n = Int(text), n >= 1 else { throw APIError.badRequest("limit: '\(text)' must be a whole number ≥ 1") }
            requestedLimit = min(n, configuration.maxPageSize)
        }
        var requestedOffset = 0
        if let text = query(request, "offset") {
            guard let n = Int(text), n >= 0 else { throw APIError.badRequest("offset: '\(text)' must be a whole number ≥ 0") }
            requestedOffset = n
        }
        if layer != .parcels, query(request, "datetime") != nil {
            throw APIError.badRequest("datetime: constraint layers have no history; datetime applies to the parcels collection")
        }
        let date = layer == .parcels ? try asOf(request) : nil
        let b = base(request)
        // Every parameter but the page's own, as sent: the next and prev links repeat them.
        let kept = Self.queryItems(request).filter { $0.name != "limit" && $0.name != "offset" }
            .map { "\($0.name)=\($0.value.addingPercentEncoding(withAllowedCharacters: Self.queryValueAllowed) ?? $0.value)" }
        let (limit, offset) = (requestedLimit, requestedOffset)
        let (text, crs) = try await offload { () throws -> (String, OfferedCRS) in
            let offered = try offeredCRS(for: request), storage = try store.crs()
            let outCRS = try requestedCRS(request, "crs", offered: offered)
            let bboxCRS = try requestedCRS(request, "bbox-crs", offered: offered)
            let box = try bbox(request, crs: bboxCRS)
            let filter = try filter(request, layer: layer, offered: offered, storage: storage, bboxArea: box.area, bboxCRS: bboxCRS)
            let page: LayerPage
            do {
                page = try store.features(of: layer, bbox: box.envelope, filter: filter, limit: limit, offset: offset, asOf: date)
            } catch let e as LandtrackError {
                if case let .invalidArgument(why) = e { throw APIError.badRequest(why, code: "invalid-filter") }
                throw e
            }
            let projection = try FeatureProjection(from: storage, to: outCRS)
            func href(_ offset: Int) -> String {
                "\(b)/collections/\(layer.table)/items?" + (["limit=\(limit)", "offset=\(offset)"] + kept).joined(separator: "&")
            }
            var links = [link(href(offset), "self", "application/geo+json")]
            if offset + page.features.count < page.numberMatched { links.append(link(href(offset + limit), "next", "application/geo+json", "next page")) }
            if offset > 0 { links.append(link(href(max(0, offset - limit)), "prev", "application/geo+json", "previous page")) }
            links.append(link("\(b)/collections/\(layer.table)", "collection", "application/json"))
            var out = "{\"type\":\"FeatureCollection\",\"numberMatched\":\(page.numberMatched),\"numberReturned\":\(page.features.count)"
            out += ",\"timeStamp\":\"\(ISO8601DateFormatter().string(from: Date()))\",\"links\":" + JSONValue.array(links).jsonText
            out += ",\"features\":["
            for (i, f) in page.features.enumerated() {
                out += (i > 0 ? ",\n" : "\n") + (try featureText(f, projection))
            }
            return (out + "]}\n", outCRS)
        }
        var response = reply(text, type: "application/geo+json")
        response.headers[Self.contentCRS] = "<\(crs.uri)>"
        return response
    }

    /// OGC API – Features Part 2: the CRS of the coordinates in a response.
    static let contentCRS = HTTPField.Name("Content-Crs")!

    /// Characters a query value keeps in a link (the rest percent-encoded).
    static let queryValueAllowed: CharacterSet = {
        var set = CharacterSet.urlQueryAllowed
        set.remove(charactersIn: "&=+#")
        return set
    }()

    func featureText(_ f: LayerFeature, _ projection: FeatureProjection) throws(LandtrackError) -> String {
        var out = "{\"type\":\"Feature\",\"id\":"
        JSONValue.writeString(f.id, to: &out)
        out += ",\"geometry\":" + (try projection.geometryJSON(f.geometry)) + ",\"properties\":" + JSONValue.object(f.properties).jsonText + "}"
        return out
    }

    func item(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let layer = try layer(context)
        let id = context.parameters.get("id")?.removingPercentEncoding ?? ""
        if layer == .parcels, let refusal = ParcelID.refusal(id) { throw APIError(.refused([refusal])) }
        if layer != .parcels, query(request, "datetime") != nil {
            throw APIError.badRequest("datetime: constraint layers have no history; datetime applies to the parcels collection")
        }
        let date = layer == .parcels ? try asOf(request) : nil
        let b = base(request)
        let found = try await offload { () throws -> (FeatureText?, Bool) in
            let projection = try FeatureProjection(from: try store.crs(), to: try requestedCRS(request, "crs", offered: try offeredCRS(for: request)))
            func text(_ f: LayerFeature?) throws(LandtrackError) -> FeatureText? {
                guard let f else { return nil }
                return FeatureText(json: try featureText(f, projection), crs: projection.target)
            }
            // Now (no datetime), a retired parcel is not served, as it is not listed: items and
            // items/{id} show the same parcels. With a datetime it is, if it existed then.
            if layer == .parcels, date == nil {
                guard let p = try store.parcel(id) else { return (nil, false) }
                return p.active ? (try text(LayerFeature(p)), false) : (nil, true)
            }
            return (try text(try store.feature(of: layer, id: id, asOf: date)), false)
        }
        guard let f = found.0 else {
            if found.1 {
                throw APIError.notFound("parcel \(quoted(id)) was retired by a split or merge; its successors are listed, and datetime=YYYY-MM-DD shows it as it stood before")
            }
            throw APIError.notFound("no feature \(quoted(id)) in \(layer.table)" + (date.map { " as of \($0)" } ?? ""))
        }
        var text = f.json
        text.removeLast()
        text += ",\"links\":" + JSONValue.array([
            link("\(b)/collections/\(layer.table)/items/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)", "self", "application/geo+json"),
            link("\(b)/collections/\(layer.table)", "collection", "application/json"),
        ]).jsonText + "}\n"
        var response = reply(text, type: "application/geo+json")
        response.headers[Self.contentCRS] = "<\(f.crs.uri)>"
        return response
    }

    /// `/collections/parcels/queryables`: the properties filters can test, as JSON Schema
    /// (OGC API – Features Part 3).
    func queryables(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let layer = try layer(context)
        guard layer == .parcels else { throw APIError.notFound("filters apply to the parcels collection; \(layer.table) has no queryables") }
        var properties = JSONObject()
        for q in Queryable.allCases {
            var p = JSONObject()
            p.append("title", .string(q.rawValue))
            p.append("description", .string(q.about))
            switch q.kind {
            case .text: p.append("type", .string("string"))
            case .boolean: p.append("type", .string("boolean"))
            case .number: p.append("type", .string("number"))
            }
            if q == .state { p.append("enum", .array(ParcelState.allCases.map { .string($0.rawValue) })) }
            properties.append(q.rawValue, .object(p))
        }
        properties.append("area_mu", .object(JSONObject([("title", .string("area_mu")), ("type", .string("number")),
                                                         ("description", .string("geodesic area in mu (1 mu = 2000/3 m²); filters compare area_m2"))])))
        properties.append("geometry", .object(JSONObject([("format", .string("geometry-multipolygon")),
                                                          ("description", .string("S_INTERSECTS(geometry, POLYGON(...)|MULTIPOLYGON(...)|BBOX(...)) in filter-crs"))])))
        var o = JSONObject()
        o.append("$schema", .string("https://json-schema.org/draft/2020-12/schema"))
        o.append("$id", .string("\(base(request))/collections/parcels/queryables"))
        o.append("type", .string("object"))
        o.append("title", .string("parcels"))
        o.append("properties", .object(properties))
        o.append("additionalProperties", .bool(false))
        return reply(JSONValue.object(o).jsonText, type: "application/schema+json")
    }
}

/// A feature's JSON text and the CRS its coordinates are in.
struct FeatureText: Sendable {
    let json: String
    let crs: OfferedCRS
}
