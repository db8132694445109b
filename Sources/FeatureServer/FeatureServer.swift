import Foundation
import Geometry
import Hummingbird
import HummingbirdCore
import Logging
import ParcelMap
import Parcels
import Planner
import Store

/// How `landtrack serve` runs.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (reported to `onRunning`).
    public var port = 8080
    /// When true, reads need a viewer or planner token too; by default only writes do.
    public var readsNeedToken = false
    /// Larger request bodies get 413 (an import of a district's parcels fits in the default).
    public var maxBodyBytes = 64 << 20
    public var defaultPageSize = 100
    /// OGC API – Features: a larger `limit` is served as this one (not an error).
    public var maxPageSize = 10_000
    /// Feature reads and writes running at once; more requests wait their turn.
    public var maxConcurrentJobs = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// Whole-store reports (map, checks, contiguity, summary, changes) running at once: they
    /// wait in their own queue, so that many of them cannot make a feature read wait, nor the
    /// server hold many copies of a large store in memory. Default: one core left for reads.
    public var maxConcurrentReports = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    /// Open connections at most; further ones wait in the kernel's queue until one closes.
    public var maxConnections = 512
    /// A connection that sends nothing for this long is closed: a request whose headers never
    /// end, or an idle keep-alive (a response being computed is never cut).
    public var idleTimeout: Duration = .seconds(30)
    /// Non-nil: the store is served read-only, and every change answers 503 with this reason.
    public var readOnlyReason: String?
    /// Log only critical events (tests); otherwise warnings and up, or LOG_LEVEL.
    public var quiet = false
    /// The table that decides state changes (transitions and re-imports over HTTP).
    public var transitionRules = TransitionRules.standard
    /// The server's address as clients reach it (no trailing slash): links start with it.
    /// Nil: `http://host:port` as bound. Links never come from the request's Host header.
    public var publicURL: String?

    public init() {}
}

/// `landtrack serve`: the store as OGC API – Features (so GDAL's OAPIF driver and QGIS read the
/// layers live), the planner's reports as JSON (the CLI's numbers and shapes), the map, and
/// writes that need a planner's bearer token and are recorded with the token's owner.
public enum FeatureServer {
    /// Builds the application; `onRunning` gets the port once the server listens.
    public static func application(
        _ configuration: ServerConfiguration, store: any ParcelStore, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws(LandtrackError) -> some ApplicationProtocol {
        let bound = BoundAddress(host: configuration.host, port: configuration.port)
        let api = API(store: store, configuration: configuration, jobs: JobLimiter(configuration.maxConcurrentJobs),
                      reports: JobLimiter(configuration.maxConcurrentReports), bound: bound)
        let router = Router()
        // LOG_LEVEL=info logs each request (method, path and query; never the token header).
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: JSONErrorMiddleware())
        api.register(on: router)
        var logger = Logger(label: "landtrack.serve")
        logger.logLevel = configuration.quiet ? .critical
            : ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let idle = configuration.idleTimeout.components
        return Application(
            router: router,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [HTTPParseErrorResponder()],
                idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "landtrack",
                                 availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: logger)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                bound.set(port: port)
                await onRunning(port)
            },
            logger: logger)
    }
}

/// The handlers. Store calls block (SQLite, GEOS), so they run on a dispatch queue, never on
/// the server's event loops or the cooperative pool.
struct API: Sendable {
    let store: any ParcelStore
    let configuration: ServerConfiguration
    let jobs: JobLimiter
    let reports: JobLimiter
    let bound: BoundAddress

    /// The routes of `Endpoint.all`; a query parameter a route does not declare is refused
    /// before its handler runs. HEAD is GET without the body; OPTIONS answers 204 with the
    /// methods a path takes (`Allow`); any other method on a known path is 405 with `Allow`.
    func register(on router: Router<BasicRequestContext>) {
        let api = self
        for endpoint in Endpoint.all {
            let handle: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
                try api.checkParameters(request, endpoint.parameterNames)
                if endpoint.method == .post, let reason = api.configuration.readOnlyReason {
                    throw APIError(status: .serviceUnavailable, code: "read-only", reason: reason)
                }
                return try await endpoint.handle(api, request, context)
            }
            router.on(RouterPath(endpoint.path), method: endpoint.method == .get ? .get : .post) { try await handle($0, $1) }
            if endpoint.method == .get {
                router.on(RouterPath(endpoint.path), method: .head) { request, context in
                    let full = try await handle(request, context)
                    return Response(status: full.status, headers: full.headers, body: ResponseBody())
                }
            }
        }
        var methods: [String: [String]] = [:]
        for e in Endpoint.all { methods[e.path, default: []] += e.method == .get ? ["GET", "HEAD"] : ["POST"] }
        for (path, allowed) in methods {
            let allow = (allowed + ["OPTIONS"]).joined(separator: ", ")
            router.on(RouterPath(path), method: .options) { _, _ in
                Response(status: .noContent, headers: [.allow: allow])
            }
            for method: HTTPRequest.Method in [.get, .post, .put, .delete, .patch] where !allowed.contains(method.rawValue) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw APIError(status: .methodNotAllowed, code: "method-not-allowed",
                                   reason: "\(path) takes \(allow), not \(method.rawValue)", headers: [.allow: allow])
                }
            }
        }
    }

    // MARK: Helpers

    /// What a piece of store work is, for the queue it waits in.
    enum Work {
        /// A token check: light, never waits.
        case token
        /// A feature read or a write: at most `maxConcurrentJobs` at once.
        case read
        /// A whole-store report: at most `maxConcurrentReports` at once, in their own queue.
        case report
    }

    /// Runs blocking store work off the event loops, in the queue its kind waits in.
    func offload<T: Sendable>(_ work: Work = .read, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let limiter: JobLimiter? = switch work {
        case .token: nil
        case .read: jobs
        case .report: reports
        }
        await limiter?.acquire()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
            DispatchQueue.global().async { continuation.resume(returning: Result { try body() }) }
        }
        await limiter?.release()
        return try result.get()
    }

    /// A response with `text` as its body: JSON unless `type` says otherwise (GeoJSON, the map page).
    func reply(_ text: String, status: HTTPResponse.Status = .ok, type: String = "application/json") -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The token's record when the request may go on; throws 401/403 otherwise. Reads pass
    /// without a token unless the server was started with --read-token; a token that is sent
    /// is always checked.
    @discardableResult
    func authorize(_ request: Request, needs role: AccessRole) async throws -> AccessToken? {
        guard let header = request.headers[.authorization] else {
            if role == .viewer && !configuration.readsNeedToken { return nil }
            throw APIError.missingToken
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.missingToken }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        guard let record = try await offload(.token, { try store.authenticate(token: token) }) else { throw APIError.invalidToken }
        guard record.role.allows(role) else { throw APIError.forbidden(record.role.rawValue) }
        return record
    }

    /// The base of every link: the configured public URL, or the address the server is bound
    /// to. Never the request's Host header (a client could put anything there).
    func base(_ request: Request) -> String {
        configuration.publicURL ?? bound.url
    }

    /// A query parameter's value (the first, when it is given twice).
    func query(_ request: Request, _ name: String) -> String? {
        Self.queryItems(request).first { $0.name == name }?.value
    }

    /// The query's parameters in order, decoded once, as HTML forms and `curl --data-urlencode`
    /// encode them: `+` is a space, `%2B` a plus sign, `%25` a percent sign.
    static func queryItems(_ request: Request) -> [(name: String, value: String)] {
        guard let query = request.uri.query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (formDecoded(parts[0]), parts.count > 1 ? formDecoded(parts[1]) : "")
        }
    }

    static func formDecoded(_ value: some StringProtocol) -> String {
        let spaced = value.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Query parameters outside `allowed` are refused (OGC API – Features /req/core/query-param-unknown).
    func checkParameters(_ request: Request, _ allowed: Set<String>) throws {
        for (name, _) in Self.queryItems(request) where !allowed.contains(name) {
            throw APIError.badRequest("unknown query parameter '\(name)'; this resource takes: \(allowed.sorted().joined(separator: ", "))",
                                      code: "unknown-parameter")
        }
    }

    func date(_ request: Request, _ name: String) throws -> CalendarDate? {
        guard let text = query(request, name) else { return nil }
        do { return try CalendarDate(parsing: text) } catch {
            throw APIError.badRequest("\(name): '\(text)' is not a date (YYYY-MM-DD): \(error)")
        }
    }

    func number(_ request: Request, _ name: String, range: ClosedRange<Double>) throws -> Double? {
        guard let text = query(request, name) else { return nil }
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw APIError.badRequest("\(name): '\(text)' must be a number from \(JSONValue.numberText(range.lowerBound)) to \(JSONValue.numberText(range.upperBound))")
        }
        return v
    }

    func flag(_ request: Request, _ name: String) throws -> Bool {
        guard let text = query(request, name) else { return false }
        switch text.lowercased() {
        case "", "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.badRequest("\(name): '\(text)' must be true or false")
        }
    }

    /// Reads a JSON object body of at most the configured size. Stricter than the file reader:
    /// a member named twice (which one would count?) and NaN/Infinity (not JSON) are refused.
    func body(_ request: Request) async throws -> JSONObject {
        var request = request
        let buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
        let value: JSONValue
        do { value = try JSONValue.parse(bytes: Array(buffer.readableBytesView)) } catch {
            throw APIError.badRequest("the body is not JSON: \(error.description)", code: "invalid-body")
        }
        guard let object = value.objectValue else { throw APIError.badRequest("the body must be a JSON object", code: "invalid-body") }
        try Self.strictJSON(value)
        return object
    }

    static func strictJSON(_ value: JSONValue) throws {
        switch value {
        case let .number(n) where !n.isFinite:
            throw APIError.badRequest("the body has \(n.isNaN ? "NaN" : n > 0 ? "Infinity" : "-Infinity"), which is not a JSON number", code: "invalid-body")
        case let .array(items):
            for item in items { try strictJSON(item) }
        case let .object(o):
            if let k = o.firstDuplicateKey { throw APIError.badRequest("the body names the member \"\(k)\" twice", code: "invalid-body") }
            for (_, v) in o.members { try strictJSON(v) }
        default: break
        }
    }

    func string(_ body: JSONObject, _ name: String, required: Bool = true) throws -> String? {
        switch body[name] {
        case let .string(s)?: return s
        case nil, .null?:
            if required { throw APIError.badRequest("the body needs \"\(name)\"", code: "invalid-body") }
            return nil
        default: throw APIError.badRequest("\"\(name)\" must be a string", code: "invalid-body")
        }
    }

    func bodyDate(_ body: JSONObject) throws -> CalendarDate {
        let text = try string(body, "date")!
        do { return try CalendarDate(parsing: text) } catch {
            throw APIError.badRequest("\"date\": '\(text)' is not a date (YYYY-MM-DD): \(error)", code: "invalid-body")
        }
    }

    func historyJSON(_ id: String) throws -> String {
        do { return try HistoryReport(store: store, parcelID: id).json() } catch { throw APIError(error) }
    }
}

/// The address the server listens on, known once it is bound (port 0 picks one).
final class BoundAddress: @unchecked Sendable {
    private let lock = NSLock()
    private let host: String
    private var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    func set(port: Int) { lock.withLock { self.port = port } }

    var url: String {
        let p = lock.withLock { port }
        return "http://\(host.contains(":") ? "[\(host)]" : host):\(p)"
    }
}

/// A counting semaphore for async code: `acquire` waits (without blocking a thread) while
/// `limit` holders are inside; waiters are let in first come, first served.
actor JobLimiter {
    private var available: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) { available = max(1, limit) }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            available += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
