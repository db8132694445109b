import Foundation
import Geometry
import Hummingbird
import Logging
import NIOHTTP1

/// Every error the server answers with: a status and a JSON body
/// `{"error": code, "reason": sentence, "problems": [...]}`. Library errors are mapped here,
/// in one place, so a refusal reads the same on the CLI and over HTTP.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var reason: String
    var problems: [Diagnostic] = []
    var refusals: [Refusal] = []
    var headers: HTTPFields = [:]

    static func badRequest(_ reason: String, code: String = "bad-request") -> APIError {
        APIError(status: .badRequest, code: code, reason: reason)
    }

    static func notFound(_ reason: String) -> APIError { APIError(status: .notFound, code: "not-found", reason: reason) }

    static let missingToken = APIError(
        status: .unauthorized, code: "unauthorized",
        reason: "this request needs a bearer token: Authorization: Bearer lt_… (landtrack token create)",
        headers: [.wwwAuthenticate: "Bearer realm=\"landtrack\""])

    static let invalidToken = APIError(
        status: .unauthorized, code: "unauthorized", reason: "the bearer token is unknown or revoked",
        headers: [.wwwAuthenticate: "Bearer realm=\"landtrack\", error=\"invalid_token\""])

    static func forbidden(_ role: String) -> APIError {
        APIError(status: .forbidden, code: "forbidden", reason: "changes need a token with the planner role; this token's role is \(role)")
    }

    init(status: HTTPResponse.Status, code: String, reason: String, problems: [Diagnostic] = [], refusals: [Refusal] = [],
         headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.reason = reason
        self.problems = problems
        self.refusals = refusals
        self.headers = headers
    }

    /// Library errors, mapped here once: problems in a request's data are 422, refusals by
    /// the store 422 (404 for unknown parcels, 409 for a conflict with the store, 400 for an id
    /// that cannot be one), unreadable requests 400, a busy or read-only store 503, anything
    /// else 500.
    init(_ error: LandtrackError) {
        switch error {
        case let .invalidInput(source, problems):
            self.init(status: .unprocessableContent, code: "refused",
                      reason: problems.count == 1 ? problems[0].message : "\(source): \(problems.count) problems", problems: problems)
        case let .refused(refusals):
            let status: HTTPResponse.Status, code: String
            if refusals.allSatisfy({ if case .unknownParcel = $0.reason { true } else { false } }) {
                (status, code) = (.notFound, "not-found")
            } else if refusals.contains(where: { if case .invalidID = $0.reason { true } else { false } }) {
                (status, code) = (.badRequest, "bad-id")
            } else if refusals.contains(where: { switch $0.reason { case .parcelExists, .changedMeanwhile: true; default: false } }) {
                (status, code) = (.conflict, "conflict")
            } else {
                (status, code) = (.unprocessableContent, "refused")
            }
            self.init(status: status, code: code,
                      reason: refusals.count == 1 ? refusals[0].description : "\(refusals.count) refusals; nothing was changed",
                      problems: [], refusals: refusals)
        case .json, .geometry:
            self.init(status: .badRequest, code: "invalid-body", reason: error.description)
        case let .invalidArgument(message):
            self.init(status: .badRequest, code: "bad-request", reason: message)
        case let .store(_, failure):
            switch failure {
            case .locked: self.init(status: .serviceUnavailable, code: "busy", reason: failure.description)
            case .readOnly: self.init(status: .serviceUnavailable, code: "read-only", reason: failure.description)
            case .unreachable: self.init(status: .serviceUnavailable, code: "database-unreachable", reason: failure.description)
            case .replaced: self.init(status: .serviceUnavailable, code: "store-replaced", reason: failure.description)
            default: self.init(status: .internalServerError, code: "store", reason: error.description)
            }
        case .geos, .proj, .io, .library:
            self.init(status: .internalServerError, code: "internal", reason: error.description)
        }
    }

    /// Any error thrown by a handler or by Hummingbird itself (unknown route, body too large).
    init(any error: any Error) {
        switch error {
        case let e as APIError: self = e
        case let e as LandtrackError: self.init(e)
        case let e as HTTPParserError: self.init(httpParseError: e)
        case let e as any HTTPResponseError:
            let reason: String = switch e.status {
            case .notFound: "no such resource; the landing page / lists what there is"
            case .contentTooLarge: "the request body is larger than the server accepts"
            case .methodNotAllowed: "this resource does not take that method"
            default: e.status.reasonPhrase
            }
            self.init(status: e.status, code: e.status == .notFound ? "not-found" : "http-\(e.status.code)", reason: reason)
        default:
            self.init(status: .internalServerError, code: "internal", reason: "\(error)")
        }
    }

    var response: Response {
        var h = headers
        h[.contentType] = "application/json"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(string: jsonBody)))
    }

    /// The JSON object every error is answered with.
    var jsonBody: String {
        var body = "{\"error\":\"\(code)\",\"reason\":"
        JSONValue.writeString(reason, to: &body)
        body += ",\"status\":\(status.code),\"problems\":["
        for (i, p) in problems.prefix(100).enumerated() {
            if i > 0 { body += "," }
            var o = JSONObject()
            o.append("code", .string(p.code.rawValue))
            o.append("message", .string(p.message))
            if let id = p.featureID { o.append("feature_id", .string(id)) }
            if let index = p.featureIndex { o.append("feature", .number(Double(index))) }
            body += JSONValue.object(o).jsonText
        }
        for (i, r) in refusals.prefix(100).enumerated() {
            if i > 0 || !problems.isEmpty { body += "," }
            var o = JSONObject()
            o.append("code", .string(r.code))
            o.append("message", .string(r.description))
            if let id = r.parcelID { o.append("parcel_id", .string(id)) }
            body += JSONValue.object(o).jsonText
        }
        return body + "]}\n"
    }
}

/// Turns every error into its JSON answer: no request gets an HTML error page or a crash.
/// Server-side failures (5xx: a store that is unreachable, replaced or damaged) are logged too.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let answer = APIError(any: error)
            if answer.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path): \(answer.status.code) \(answer.code): \(answer.reason)")
            }
            return answer.response
        }
    }
}
