import Foundation
import Geometry
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

    func collectionDescription(_ layer: StoreLayer, base b: String) throws -> JSONValue {
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
        o.append("crs", .array([.string(Self.crs84)]))
        o.append("links", .array([
            link("\(b)/collections/\(layer.table)", "self", "application/json"),
            link("\(b)/collections/\(layer.table)/items", "items", "application/geo+json", "the features"),
        ]))
        return .object(o)
    }

    func collections(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let b = base(request)
        let text = try await offload {
            var o = JSONObject()
            o.append("links", .array([link("\(b)/collections", "self", "application/json")]))
            o.append("collections", .array(try StoreLayer.allCases.map { try collectionDescription($0, base: b) }))
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
        return reply(try await offload { try collectionDescription(layer, base: b).jsonText })
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

    func bbox(_ request: Request) throws -> Envelope? {
        guard let text = query(request, "bbox") else { return nil }
        if let crs = query(request, "bbox-crs"), crs != Self.crs84 {
            throw APIError.badRequest("bbox-crs: only \(Self.crs84) (longitude, latitude) is supported")
        }
        let numbers = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == 4 || numbers.count == 6, numbers.allSatisfy({ $0?.isFinite == true }) else {
            throw APIError.badRequest("bbox: '\(text)' must be four numbers: min longitude, min latitude, max longitude, max latitude")
        }
        let v = numbers.map { $0! }
        let (x0, y0, x1, y1) = v.count == 4 ? (v[0], v[1], v[2], v[3]) : (v[0], v[1], v[3], v[4])
        guard (-180...180).contains(x0), (-180...180).contains(x1), (-90...90).contains(y0), (-90...90).contains(y1) else {
            throw APIError.badRequest("bbox: '\(text)' is out of range (longitude −180…180, latitude −90…90; longitude first)")
        }
        guard y0 <= y1 else { throw APIError.badRequest("bbox: the minimum latitude \(y0) is above the maximum \(y1)") }
        guard x0 <= x1 else { throw APIError.badRequest("bbox: boxes across the antimeridian are not supported") }
        return Envelope(minX: x0, minY: y0, maxX: x1, maxY: y1)
    }

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
        let box = try bbox(request)
        let date = layer == .parcels ? try asOf(request) : nil
        let b = base(request), bboxText = query(request, "bbox")
        let (limit, offset) = (requestedLimit, requestedOffset)
        let text = try await offload { () throws -> String in
            let page = try store.features(of: layer, bbox: box, limit: limit, offset: offset, asOf: date)
            var extra: [String] = []
            if let t = bboxText { extra.append("bbox=\(t)") }
            if let date { extra.append("datetime=\(date)") }
            func href(_ offset: Int) -> String {
                "\(b)/collections/\(layer.table)/items?" + (["limit=\(limit)", "offset=\(offset)"] + extra).joined(separator: "&")
            }
            var links = [link(href(offset), "self", "application/geo+json")]
            if offset + page.features.count < page.numberMatched { links.append(link(href(offset + limit), "next", "application/geo+json", "next page")) }
            if offset > 0 { links.append(link(href(max(0, offset - limit)), "prev", "application/geo+json", "previous page")) }
            links.append(link("\(b)/collections/\(layer.table)", "collection", "application/json"))
            var out = "{\"type\":\"FeatureCollection\",\"numberMatched\":\(page.numberMatched),\"numberReturned\":\(page.features.count)"
            out += ",\"timeStamp\":\"\(ISO8601DateFormatter().string(from: Date()))\",\"links\":" + JSONValue.array(links).jsonText
            out += ",\"features\":["
            for (i, f) in page.features.enumerated() {
                out += (i > 0 ? ",\n" : "\n") + featureText(f)
            }
            return out + "]}\n"
        }
        return reply(text, type: "application/geo+json")
    }

    func featureText(_ f: LayerFeature) -> String {
        var out = "{\"type\":\"Feature\",\"id\":"
        JSONValue.writeString(f.id, to: &out)
        out += ",\"geometry\":" + f.geometryJSON + ",\"properties\":" + JSONValue.object(f.properties).jsonText + "}"
        return out
    }

    func item(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let layer = try layer(context)
        let id = context.parameters.get("id")?.removingPercentEncoding ?? ""
        if layer == .parcels, let refusal = ParcelID.refusal(id) { throw APIError(.refused([refusal])) }
        let date = layer == .parcels ? try asOf(request) : nil
        let b = base(request)
        let found = try await offload { () throws -> (LayerFeature?, Bool) in
            // Now (no datetime), a retired parcel is not served, as it is not listed: items and
            // items/{id} show the same parcels. With a datetime it is, if it existed then.
            if layer == .parcels, date == nil {
                guard let p = try store.parcel(id) else { return (nil, false) }
                return p.active ? (LayerFeature(p), false) : (nil, true)
            }
            return (try store.feature(of: layer, id: id, asOf: date), false)
        }
        guard let f = found.0 else {
            if found.1 {
                throw APIError.notFound("parcel \(quoted(id)) was retired by a split or merge; its successors are listed, and datetime=YYYY-MM-DD shows it as it stood before")
            }
            throw APIError.notFound("no feature \(quoted(id)) in \(layer.table)" + (date.map { " as of \($0)" } ?? ""))
        }
        var text = featureText(f)
        text.removeLast()
        text += ",\"links\":" + JSONValue.array([
            link("\(b)/collections/\(layer.table)/items/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)", "self", "application/geo+json"),
            link("\(b)/collections/\(layer.table)", "collection", "application/json"),
        ]).jsonText + "}\n"
        return reply(text, type: "application/geo+json")
    }
}
