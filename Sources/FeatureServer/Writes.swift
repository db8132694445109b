import Foundation
import Geometry
import Hummingbird
import Parcels
import Planner
import Store

/// Changes to the store: each needs a planner's token, runs in one transaction (all or
/// nothing, as on the CLI) and is recorded with the token's owner.
extension API {
    /// What every change carries: the planner's token, the parcel in the path (if any), the
    /// JSON body and its "date", "ref" and "note".
    struct Change: Sendable {
        var token: AccessToken
        var parcelID: String
        var body: JSONObject
        var date: CalendarDate
        var ref: String?
        var note: String?
    }

    func change(_ request: Request, _ context: BasicRequestContext?) async throws -> Change {
        let token = try await authorize(request, needs: .planner)!
        let body = try await body(request)
        return Change(token: token, parcelID: context?.parameters.get("id")?.removingPercentEncoding ?? "", body: body,
                      date: try bodyDate(body), ref: try string(body, "ref", required: false), note: try string(body, "note", required: false))
    }

    func transition(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let c = try await change(request, context)
        let toText = try string(c.body, "to")!
        guard let to = ParcelState(parsing: toText) else {
            throw APIError(status: .unprocessableContent, code: "refused", reason: "\"to\": '\(toText)' is not a state; states: \(ParcelState.vocabulary)")
        }
        let r = TransitionRequest(parcelID: c.parcelID, to: to, date: c.date, ref: c.ref, note: c.note)
        return reply(try await offload { () throws -> String in
            try store.transition([r], rules: configuration.transitionRules, by: c.token.owner)
            return try historyJSON(c.parcelID)
        }, status: .created)
    }

    func basicFarmland(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let c = try await change(request, context)
        guard case let .bool(designated)? = c.body["designated"] else {
            throw APIError.badRequest("the body needs \"designated\": true (designate) or false (release)", code: "invalid-body")
        }
        return reply(try await offload { () throws -> String in
            try store.setBasicFarmland(c.parcelID, designated: designated, date: c.date, ref: c.ref, note: c.note, by: c.token.owner)
            return try historyJSON(c.parcelID)
        }, status: .created)
    }

    func merge(_ request: Request) async throws -> Response {
        let c = try await change(request, nil)
        guard case let .array(values)? = c.body["parcels"], let ids = Optional(values.compactMap(\.stringValue)), ids.count == values.count else {
            throw APIError.badRequest("the body needs \"parcels\": an array of parcel ids", code: "invalid-body")
        }
        let into = try string(c.body, "into")!
        let gap = c.body["gap"]?.numberValue ?? 0.5
        guard (0...1000).contains(gap) else { throw APIError.badRequest("\"gap\" must be 0 to 1000 metres", code: "invalid-body") }
        return reply(try await offload { () throws -> String in
            let merged = try store.merge(ids, into: into, date: c.date, gap: gap, ref: c.ref, note: c.note, by: c.token.owner)
            return try historyJSON(merged.id)
        }, status: .created)
    }

    func split(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let c = try await change(request, context)
        guard case let .object(cutterObject)? = c.body["cutter"] else {
            throw APIError.badRequest("the body needs \"cutter\": a GeoJSON LineString or Polygon (longitude, latitude)", code: "invalid-body")
        }
        // The GeoJSON reader checks a cutter as it checks parcels (closure, ranges, axis order).
        let geometryText = cutterObject["type"]?.stringValue == "Feature" ? (cutterObject["geometry"]?.jsonText ?? "null") : JSONValue.object(cutterObject).jsonText
        let document = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{},\"geometry\":\(geometryText)}]}"
        let read = try GeoJSONReader().readAll(InputBytes(name: "cutter", bytes: Array(document.utf8)))
        if let problem = read.problems.first(where: { $0.severity == .error }) {
            throw APIError(status: .unprocessableContent, code: "refused", reason: "cutter: \(problem.message)", problems: [problem])
        }
        guard let cutter = read.features.first?.geometry else {
            throw APIError(status: .unprocessableContent, code: "refused", reason: "cutter: the geometry is empty")
        }
        var names: [String]?
        switch c.body["names"] {
        case nil, .null?: break
        case let .array(values)? where values.allSatisfy({ $0.stringValue != nil }): names = values.compactMap(\.stringValue)
        default: throw APIError.badRequest("\"names\" must be an array of strings (the pieces' ids)", code: "invalid-body")
        }
        let settledNames = names
        return reply(try await offload { () throws -> String in
            let pieces = try store.split(c.parcelID, by: cutter, names: settledNames, date: c.date, ref: c.ref, note: c.note, by: c.token.owner)
            return "{\"parent\":" + (try historyJSON(c.parcelID)).trimmingCharacters(in: .newlines) + ",\"children\":["
                + (try pieces.map { try historyJSON($0.id).trimmingCharacters(in: .newlines) }).joined(separator: ",") + "]}\n"
        }, status: .created)
    }

    /// POST /imports: the body is a GeoJSON FeatureCollection of parcels; options as the CLI's
    /// (`?date=&default-state=&on-invalid=&ref=`).
    func importParcels(_ request: Request) async throws -> Response {
        let token = try await authorize(request, needs: .planner)!
        var options = ImportOptions()
        options.recordedBy = token.owner
        options.rules = configuration.transitionRules
        options.ref = query(request, "ref")
        if let date = try date(request, "date") { options.date = date }
        if let text = query(request, "default-state") {
            guard let s = ParcelState(parsing: text) else { throw APIError.badRequest("default-state: '\(text)' is not one of \(ParcelState.vocabulary)") }
            options.defaultState = s
        }
        if let text = query(request, "on-invalid") {
            guard let p = InvalidFeaturePolicy(rawValue: text) else {
                throw APIError.badRequest("on-invalid: '\(text)' is not one of \(InvalidFeaturePolicy.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard p != .skip else { throw APIError.badRequest("on-invalid: skip writes a rejects file; over HTTP use refuse or repair") }
            options.onInvalid = p
        }
        var request = request
        let buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
        let bytes = Array(buffer.readableBytesView)
        let settled = options
        return reply(try await offload { () throws -> String in
            let s = try store.importParcels(InputBytes(name: "request body", bytes: bytes), options: settled)
            var o = JSONObject()
            o.append("added", .number(Double(s.added)))
            o.append("updated", .number(Double(s.updated)))
            o.append("unchanged", .number(Double(s.unchanged)))
            o.append("rejected", .number(Double(s.rejected)))
            // The body was the last clean import's and no parcel changed since: not read again.
            o.append("same_as_last_import", .bool(s.sameAsLastImport != nil))
            o.append("recorded_by", .string(token.owner))
            o.append("notes", .array(s.notes.map { .string($0.description) }))
            return JSONValue.object(o).jsonText + "\n"
        }, status: .created)
    }
}
