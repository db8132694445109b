@testable import FeatureServer
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Geometry
import GeoPackageStore
import NIOHTTP1
import Parcels
import Store
import Testing
import TestSupport

/// A TCP connection to the test server that sends exactly the bytes given (curl and URLSession
/// would refuse to send broken HTTP), on a dispatch thread: its reads block.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw LandtrackError.invalidArgument("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// No more bytes from this side (the server sees end of input).
    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything the server sends until it closes the connection, or until `timeout` seconds
    /// pass without a byte (then `closed` is false).
    func readToEnd(timeout: Int = 60) async -> (bytes: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var tv = timeval(tv_sec: timeout, tv_usec: 0)
                setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = recv(self.fd, &buffer, buffer.count, 0)
                    if n > 0 { out += buffer[0..<n]; continue }
                    continuation.resume(returning: (String(decoding: out, as: UTF8.self), n == 0 || errno == ECONNRESET))
                    return
                }
            }
        }
    }

    /// Has the server closed this connection (without waiting)?
    var closedByServer: Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }
}

/// An HTTP response as bytes: status, lower-cased header block, body.
func parseResponse(_ text: String) -> (status: Int, headers: String, body: String) {
    let parts = text.components(separatedBy: "\r\n\r\n")
    let status = Int(parts[0].split(separator: " ").dropFirst().first ?? "") ?? 0
    return (status, parts[0].lowercased(), parts.dropFirst().joined(separator: "\r\n\r\n"))
}

/// The server as a careless client or an attacker meets it: broken HTTP gets a JSON 400, stalled
/// connections are closed, a connection limit holds, heavy reports do not hold up feature reads,
/// and a store that cannot be written (read-only, deleted, replaced) is never written silently.
@Suite("Server hardening")
struct ServerHardeningTests {
    /// Requests that are not HTTP/1.1 get the same JSON error as every other answer (they got
    /// an empty 400 from below the router).
    @Test(arguments: [
        ("unknown method", "FROB / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("100 KB URL", "GET /collections?" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("1,000 headers", "GET / HTTP/1.1\r\nHost: x\r\n" + (0..<1001).map { "X-H\($0): v\r\n" }.joined() + "\r\n"),
        ("bad HTTP version", "GET / HTTP/7.3\r\nHost: x\r\n\r\n"),
        ("space in the header name", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
    ])
    func brokenHTTPGetsAJSONError(_ case: (String, String)) async throws {
        let server = try await TestServer.start(try squares(.geoPackage))
        defer { Task { await server.stop() } }
        let connection = try RawConnection(port: server.port)
        connection.send(`case`.1)
        let reply = parseResponse(await connection.readToEnd().bytes)
        #expect(reply.status == 400, "\(`case`.0): \(reply)")
        #expect(reply.headers.contains("content-type: application/json"), "\(`case`.0): \(reply.headers)")
        let json = try JSONValue.parse(reply.body).objectValue
        #expect(json?["error"]?.stringValue == "bad-http" && json?["reason"]?.stringValue?.isEmpty == false, "\(`case`.0): \(reply.body)")
        #expect(try await server.request("/conformance").status == 200, "the server still answers after \(`case`.0)")
    }

    /// A connection that has sent a planner's `POST /imports` with `framing` (the body's
    /// framing header, the blank line and the body as far as it goes).
    func importRequest(_ store: any ParcelStore, _ server: TestServer, _ framing: String) throws -> RawConnection {
        let token = try store.createToken(owner: "planner", role: .planner).token
        let connection = try RawConnection(port: server.port)
        connection.send("POST /imports?date=2024-05-01 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/geo+json\r\n" + framing)
        return connection
    }

    /// A chunked import whose chunk-size line is not hexadecimal is a 400 with a reason (it was
    /// a 500), and nothing is imported.
    @Test(arguments: Backend.available) func aBadChunkIsA400(backend: Backend) async throws {
        let store = try squares(backend)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let before = try store.counts()
        let connection = try importRequest(store, server, "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"typ\r\nzz\r\nnot hex\r\n0\r\n\r\n")
        let reply = parseResponse(await connection.readToEnd().bytes)
        #expect(reply.status == 400 && reply.body.contains("\"error\":\"bad-http\"") && reply.body.contains("chunk"), "\(reply)")
        #expect(try store.counts() == before)
    }

    /// Every HTTP parse error, wherever it surfaces (below the router, or inside a handler
    /// reading a body), is a JSON 400 `bad-http` with a reason; an unknown error stays a 500.
    /// (Before, a parse error inside a body fell through to the 500.)
    @Test(arguments: [HTTPParserError.invalidEOFState, .invalidChunkSize, .invalidContentLength, .headerOverflow, .invalidMethod, .invalidVersion])
    func parseErrorsAre400s(_ error: HTTPParserError) {
        let answer = APIError(any: error)
        #expect(answer.status == .badRequest && answer.code == "bad-http" && !answer.reason.isEmpty, "\(error): \(answer)")
        #expect(APIError(any: CocoaError(.fileNoSuchFile)).status == .internalServerError)
    }

    /// A body shorter than its Content-Length (the client stops sending): nothing is imported,
    /// the server goes on answering, and if the half-closed connection still takes an answer it
    /// is a 400 (the mapping itself is `parseErrorsAre400s`).
    @Test(arguments: Backend.available) func aShortBodyIsNeverA500(backend: Backend) async throws {
        let store = try squares(backend)
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let before = try store.counts()
        let connection = try importRequest(store, server, "Content-Length: 5000\r\n\r\n{\"type\":\"FeatureCollection\",")
        connection.finishSending()
        let reply = await connection.readToEnd()
        let status = parseResponse(reply.bytes).status
        #expect(reply.bytes.isEmpty || status == 400, "\(reply.bytes)")
        #expect(try store.counts() == before)
        #expect(try await server.request("/conformance").status == 200)
    }

    /// Connections that never finish their headers are closed after the idle timeout (2,000
    /// of them all stayed open after 40 s); the server answers others meanwhile and after.
    @Test func stalledConnectionsAreClosed() async throws {
        let server = try await TestServer.start(try squares(.geoPackage)) { $0.idleTimeout = .seconds(1) }
        defer { Task { await server.stop() } }
        let stalled = try (0..<50).map { _ in try RawConnection(port: server.port) }
        for c in stalled { c.send("GET /collections HTTP/1.1\r\nHost: x\r\nX-Slow: ") }
        #expect(try await server.request("/conformance").status == 200)
        let closed = await withTaskGroup(of: Bool.self) { group in
            for c in stalled { group.addTask { await c.readToEnd(timeout: 60).closed } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(closed == stalled.count)
        #expect(try await server.request("/conformance").status == 200)
    }

    /// With a limit of three connections, a fourth client is served only once stalled ones were
    /// closed: when its answer comes, they are gone.
    @Test func theConnectionLimitHolds() async throws {
        let server = try await TestServer.start(try squares(.geoPackage)) {
            $0.maxConnections = 3
            $0.idleTimeout = .seconds(2)
        }
        defer { Task { await server.stop() } }
        let stalled = try (0..<3).map { _ in try RawConnection(port: server.port) }
        for c in stalled { c.send("GET / HTTP/1.1\r\nHost: x\r\n") }
        try await Task.sleep(for: .milliseconds(200))
        let fourth = try RawConnection(port: server.port)
        fourth.send("GET /conformance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let reply = parseResponse(await fourth.readToEnd().bytes)
        #expect(reply.status == 200, "\(reply)")
        #expect(stalled.allSatisfy { $0.closedByServer }, "the fourth connection was served while three others were open")
    }

    /// Whole-store reports queue among themselves: with every report held inside the store (one
    /// running, three queued), a feature read is still answered. It used to wait in the same
    /// queue as the reports (here: for ever).
    @Test(arguments: Backend.available) func heavyReportsDoNotHoldUpFeatureReads(backend: Backend) async throws {
        let store = ForwardingStore(try squares(backend))
        let gate = DispatchSemaphore(value: 0), entered = DispatchSemaphore(value: 0)
        store.beforeSnapshots = {
            entered.signal()
            gate.wait()
        }
        let server = try await TestServer.start(store) {
            $0.maxConcurrentReports = 1
            $0.maxConcurrentJobs = 2
        }
        defer { Task { await server.stop() } }
        let reports = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await server.request("/summary?by=state").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        // A report is inside the store, held at the gate.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in DispatchQueue.global().async { entered.wait(); c.resume() } }
        let item = try await curl(["-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20",
                                   "http://127.0.0.1:\(server.port)/collections/parcels/items?limit=5"])
        #expect(item.stdout == "200", "the feature read waited behind the held reports")
        store.beforeSnapshots = nil
        for _ in 0..<8 { gate.signal() }
        #expect(try await reports.value == [200, 200, 200, 200])
    }

    /// A store served read-only: reads answer, every change is 503 with the reason, the store
    /// is unchanged.
    @Test(arguments: Backend.available) func aReadOnlyStoreRefusesChanges(backend: Backend) async throws {
        let store = try squares(backend)
        let token = try store.createToken(owner: "planner", role: .planner).token
        let server = try await TestServer.start(store) { $0.readOnlyReason = "served read-only for the test" }
        defer { Task { await server.stop() } }
        #expect(try await server.request("/collections/parcels/items/A").status == 200)
        let before = try store.history("A").count
        let move = try await server.request("POST", "/parcels/A/transitions", body: #"{"to":"wasteland","date":"2024-03-01"}"#, token: token)
        #expect(move.status == 503 && move.json?["error"]?.stringValue == "read-only"
                && move.json?["reason"]?.stringValue == "served read-only for the test", "\(move.body)")
        #expect(try store.history("A").count == before)
    }

    /// The store file deleted, or replaced by another file, under a running server: a change is
    /// refused (503, store-replaced) instead of going into a file no one sees; the file now at
    /// the path is not touched.
    @Test(arguments: ["deleted", "replaced"]) func aReplacedStoreFileIsNeverWritten(_ how: String) async throws {
        let store = try squares(.geoPackage)
        let token = try store.createToken(owner: "planner", role: .planner).token
        let server = try await TestServer.start(store)
        defer { Task { await server.stop() } }
        let path = store.location
        let copy = path + ".copy"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try FileManager.default.removeItem(atPath: path)
        if how == "replaced" { try FileManager.default.moveItem(atPath: copy, toPath: path) }
        let move = try await server.request("POST", "/parcels/A/transitions", body: #"{"to":"wasteland","date":"2024-03-01"}"#, token: token)
        #expect(move.status == 503 && move.json?["error"]?.stringValue == "store-replaced", "\(move.body)")
        if how == "replaced" {
            let reopened = try GeoPackageStore(path: path)
            #expect(try reopened.history("A").count == 1, "the replacing file was written")
        }
    }
}

