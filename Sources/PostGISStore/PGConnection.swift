import CLibPQ
import CLibPQLoader
import Foundation
import Geometry

/// A failure PostgreSQL reported: its SQLSTATE (e.g. "40001" serialization failure) and message.
/// Internal to the backend: `PostGISStore.describe` maps it once to a `LandtrackError`.
struct PGFailure: Error, CustomStringConvertible {
    var sqlState: String?
    var message: String

    var description: String { message }

    /// A writer raced another one (serialization failure, deadlock, a row another writer added
    /// meanwhile): the transaction is run again from the start.
    var isRetryable: Bool { ["40001", "40P01", "23505"].contains(sqlState ?? "") }
}

/// A query parameter. Text parameters are sent as text and typed by the SQL's casts; bytes
/// (WKB) are sent in binary, for `bytea` parameters.
enum PGValue {
    case text(String)
    case bytes([UInt8])
    case null

    init(_ s: String?) { self = s.map { .text($0) } ?? .null }
    init(_ b: Bool?) { self = b.map { .text($0 ? "t" : "f") } ?? .null }
    init(_ i: Int64) { self = .text(String(i)) }
    init(_ i: Int) { self = .text(String(i)) }
    /// Shortest round-trip text: PostgreSQL reads it back as the same double.
    init(_ d: Double) { self = .text("\(d)") }
}

/// One result, owned: `PQclear` in `deinit`. Rows come in binary format (every query is sent
/// with resultFormat 1): integers and doubles big-endian, text and bytea as their bytes.
final class PGResult {
    let handle: OpaquePointer
    let rowCount: Int

    init(_ handle: OpaquePointer) {
        self.handle = handle
        rowCount = Int(PQntuples(handle))
    }

    deinit { PQclear(handle) }

    // PostgreSQL type OIDs (pg_type.dat) of the columns the backend reads.
    static let boolOID: Oid = 16, byteaOID: Oid = 17, int8OID: Oid = 20, int4OID: Oid = 23, textOID: Oid = 25,
               float8OID: Oid = 701, varcharOID: Oid = 1043

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    private func raw(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer? {
        guard !isNull(row, column), let p = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return UnsafeRawBufferPointer(start: p, count: Int(PQgetlength(handle, Int32(row), Int32(column))))
    }

    private func check(_ column: Int, _ oids: Oid...) throws {
        let t = PQftype(handle, Int32(column))
        guard oids.contains(t) else {
            let name = String(cString: PQfname(handle, Int32(column)))
            throw PGFailure(sqlState: nil, message: "column \(name) has type OID \(t), not the one landtrack reads")
        }
    }

    func text(_ row: Int, _ column: Int) throws -> String? {
        try check(column, Self.textOID, Self.varcharOID)
        guard let b = raw(row, column) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    func bool(_ row: Int, _ column: Int) throws -> Bool? {
        try check(column, Self.boolOID)
        return raw(row, column).map { $0.first == 1 }
    }

    func int64(_ row: Int, _ column: Int) throws -> Int64? {
        try check(column, Self.int8OID, Self.int4OID)
        guard let b = raw(row, column) else { return nil }
        var v: Int64 = 0
        for byte in b { v = v << 8 | Int64(byte) }
        return b.count == 4 ? Int64(Int32(truncatingIfNeeded: v)) : v
    }

    func double(_ row: Int, _ column: Int) throws -> Double? {
        try check(column, Self.float8OID)
        guard let b = raw(row, column), b.count == 8 else { return nil }
        var bits: UInt64 = 0
        for byte in b { bits = bits << 8 | UInt64(byte) }
        return Double(bitPattern: bits)
    }

    /// A bytea column's bytes, without copying them.
    func withBytes<T>(_ row: Int, _ column: Int, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        try check(column, Self.byteaOID)
        guard let b = raw(row, column) else { return nil }
        return try body(b)
    }

    func bytes(_ row: Int, _ column: Int) throws -> [UInt8]? {
        try withBytes(row, column) { Array($0) }
    }
}

/// One connection to a PostgreSQL server, owned: `PQfinish` in `deinit`. Used by one thread
/// at a time (the store's pool hands it out); statements are prepared once per connection.
final class PGConnection {
    let handle: OpaquePointer
    private var prepared: [String: String] = [:]
    /// The `COPY … FROM STDIN` statement left open by `copyIn`.
    private var openCopy: String?
    /// A statement `send` left running on the server, its result not yet taken by `receive`.
    private var inFlight = false

    /// `PQconnectdb`: returns a connection even when it failed; its status says which.
    init(_ conninfo: String) throws {
        // libpq is opened on the first connection (landtrack is not linked with it).
        var reason = [CChar](repeating: 0, count: 512)
        guard landtrack_pq_load(&reason, reason.count) == 1 else {
            throw PGFailure(sqlState: nil, message: String(cString: reason))
        }
        guard let c = PQconnectdb(conninfo) else { throw PGFailure(sqlState: nil, message: "out of memory") }
        handle = c
        guard PQstatus(c) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PGFailure(sqlState: "08006", message: message)
        }
        // Notices (e.g. "relation already exists, skipping") are not for the user.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    var isUsable: Bool { PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// The failure of a result (`PGRES_FATAL_ERROR` and the like), nil when it succeeded.
    private func failure(_ result: OpaquePointer?) -> PGFailure? {
        guard let result else {
            return PGFailure(sqlState: "08006", message: String(cString: PQerrorMessage(handle)))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_COPY_IN, PGRES_COPY_OUT: return nil
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            let message = primary ?? String(cString: PQresultErrorMessage(result))
            return PGFailure(sqlState: state, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Runs one or more statements without parameters (`PQexec`: text protocol, migrations, BEGIN/COMMIT).
    func run(_ sql: String) throws {
        try settle()
        let r = PQexec(handle, sql)
        defer { if let r { PQclear(r) } }
        if let f = failure(r) { throw f }
    }

    /// Runs one statement with parameters through a statement prepared once on this connection
    /// (`PQprepare`, then `PQexecPrepared` with binary results).
    @discardableResult
    func execute(_ sql: String, _ parameters: [PGValue] = []) throws -> PGResult {
        try settle()
        let name = try preparedName(sql)
        return try withParameters(parameters) { values, lengths, formats in
            PQexecPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 1)
        }
    }

    /// The name of `sql` prepared on this connection (`PQprepare` the first time).
    private func preparedName(_ sql: String) throws -> String {
        if let n = prepared[sql] { return n }
        let name = "lt\(prepared.count)"
        let r = PQprepare(handle, name, sql, 0, nil)
        defer { if let r { PQclear(r) } }
        if let f = failure(r) { throw f }
        prepared[sql] = name
        return name
    }

    /// Sends a statement without parameters (prepared once, binary results) and returns at
    /// once: the server runs it while the caller works on something else; `receive` takes its
    /// result (`PQsendQueryPrepared`: 1 when sent, 0 when not).
    func send(_ sql: String) throws {
        try settle()
        let name = try preparedName(sql)
        guard PQsendQueryPrepared(handle, name, 0, nil, nil, nil, 1) == 1 else {
            throw PGFailure(sqlState: "08006", message: String(cString: PQerrorMessage(handle)))
        }
        inFlight = true
    }

    /// Waits for the result of the statement `send` sent (`PQgetResult` until NULL: one
    /// result, then NULL).
    func receive() throws -> PGResult {
        guard inFlight else { throw PGFailure(sqlState: nil, message: "no statement was sent") }
        inFlight = false
        let result = PQgetResult(handle)
        while let extra = PQgetResult(handle) { PQclear(extra) }
        if let f = failure(result) {
            if let result { PQclear(result) }
            throw f
        }
        return PGResult(result!)
    }

    /// Takes the connection back from what a `send` or `copyIn` left open: an unread result is
    /// discarded, an open COPY ended.
    private func settle() throws {
        discardUnread()
        try endCopy()
    }

    /// Drops the result of a statement `send` sent and nobody received.
    private func discardUnread() {
        guard inFlight else { return }
        inFlight = false
        while let r = PQgetResult(handle) { PQclear(r) }
    }

    /// Runs a statement once without preparing it (DECLARE, statements with generated text).
    @discardableResult
    func executeOnce(_ sql: String, _ parameters: [PGValue] = []) throws -> PGResult {
        try settle()
        return try withParameters(parameters) { values, lengths, formats in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, lengths, formats, 1)
        }
    }

    private func withParameters(
        _ parameters: [PGValue],
        _ call: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> OpaquePointer?
    ) throws -> PGResult {
        // The parameter bytes live in one buffer for the duration of the call.
        var buffer: [UInt8] = []
        var offsets: [Int] = [], lengths: [Int32] = [], formats: [Int32] = []
        for p in parameters {
            offsets.append(buffer.count)
            switch p {
            case let .text(s):
                buffer.append(contentsOf: s.utf8)
                buffer.append(0)
                lengths.append(0)
                formats.append(0)
            case let .bytes(b):
                buffer.append(contentsOf: b)
                lengths.append(Int32(b.count))
                formats.append(1)
            case .null:
                offsets[offsets.count - 1] = -1
                lengths.append(0)
                formats.append(0)
            }
        }
        let result: OpaquePointer? = buffer.withUnsafeBufferPointer { buf in
            let base = UnsafeRawPointer(buf.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            let values: [UnsafePointer<CChar>?] = offsets.map { $0 < 0 ? nil : base.advanced(by: $0).assumingMemoryBound(to: CChar.self) }
            return values.withUnsafeBufferPointer { v in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in call(v.baseAddress, l.baseAddress, f.baseAddress) }
                }
            }
        }
        if let f = failure(result) {
            if let result { PQclear(result) }
            throw f
        }
        return PGResult(result!)
    }

    /// Sends rows (text format, already escaped) to `COPY … FROM STDIN` and leaves the COPY
    /// open: the server parses them while the caller prepares the next rows, which join the same
    /// COPY. Any other statement ends it first (`endCopy`), so a read sees every row sent.
    func copyIn(_ sql: String, _ data: [UInt8]) throws {
        if openCopy != sql {
            try settle()
            let start = PQexec(handle, sql)
            if let f = failure(start) {
                if let start { PQclear(start) }
                throw f
            }
            PQclear(start)
            openCopy = sql
        }
        let ok: Bool = data.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = min(1 << 20, raw.count - sent)
                // Blocking mode: waits while the server is behind (the socket buffer is full).
                guard PQputCopyData(handle, raw.baseAddress!.advanced(by: sent).assumingMemoryBound(to: CChar.self), Int32(n)) == 1 else {
                    return false
                }
                sent += n
            }
            return true
        }
        if !ok { try endCopy(abort: "landtrack could not send the rows") }
    }

    /// Ends the COPY that `copyIn` left open, if any, and reports how it went (a row the
    /// server refused is reported here). With `abort`, the server discards the COPY.
    func endCopy(abort: String? = nil) throws {
        guard openCopy != nil else { return }
        openCopy = nil
        _ = PQputCopyEnd(handle, abort)
        var first: PGFailure?
        while let r = PQgetResult(handle) {
            if first == nil, let f = failure(r) { first = f }
            PQclear(r)
        }
        if let first { throw first }
        if let abort { throw PGFailure(sqlState: "08006", message: abort) }
    }

    /// Ends the transaction without keeping anything, whatever state it is in (an open COPY
    /// is discarded).
    func rollback() {
        discardUnread()
        try? endCopy(abort: "rolled back")
        try? run("ROLLBACK")
    }
}

/// COPY's text format: tab-separated columns, `\N` for NULL, backslash escapes.
struct CopyRows {
    var data: [UInt8] = []
    private var columnStarted = false

    var isEmpty: Bool { data.isEmpty }

    mutating func text(_ s: String?) {
        separator()
        guard let s else { data.append(contentsOf: [0x5C, 0x4E]); return }
        if !s.utf8.contains(where: { $0 == 0x5C || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            data.append(contentsOf: s.utf8)
            return
        }
        for b in s.utf8 {
            switch b {
            case 0x5C: data.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: data.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: data.append(contentsOf: [0x5C, 0x72])
            case 0x09: data.append(contentsOf: [0x5C, 0x74])
            default: data.append(b)
            }
        }
    }

    mutating func bool(_ b: Bool?) { text(b.map { $0 ? "t" : "f" }) }
    mutating func int(_ i: Int64) { text(String(i)) }
    mutating func double(_ d: Double) { text("\(d)") }

    /// Hex EWKB (the SRID after the type, as PostGIS reads it): geometry columns take it as text.
    mutating func geometry(_ wkb: [UInt8]?, srid: Int32) {
        separator()
        guard let wkb, wkb.count >= 5 else { data.append(contentsOf: [0x5C, 0x4E]); return }
        let little = wkb[0] == 1
        var type = [UInt8](wkb[1..<5])
        // wkbSRID flag 0x20000000 in the type's high byte.
        if little { type[3] |= 0x20 } else { type[0] |= 0x20 }
        let s = UInt32(bitPattern: srid)
        let sridBytes: [UInt8] = little ? [UInt8(s & 255), UInt8(s >> 8 & 255), UInt8(s >> 16 & 255), UInt8(s >> 24)]
            : [UInt8(s >> 24), UInt8(s >> 16 & 255), UInt8(s >> 8 & 255), UInt8(s & 255)]
        let header = [wkb[0]] + type + sridBytes
        // Two hex digits a byte, written straight into the grown buffer (geometries are most
        // of what an import sends).
        let start = data.count
        let count = 2 * (header.count + wkb.count - 5)
        data.append(contentsOf: repeatElement(0, count: count))
        data.withUnsafeMutableBufferPointer { out in
            var i = start
            func put(_ b: UInt8) {
                out[i] = Self.hexDigits[Int(b >> 4)]
                out[i + 1] = Self.hexDigits[Int(b & 15)]
                i += 2
            }
            for b in header { put(b) }
            wkb.withUnsafeBufferPointer { w in
                for k in 5..<w.count { put(w[k]) }
            }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    mutating func endRow() {
        data.append(0x0A)
        columnStarted = false
    }

    private mutating func separator() {
        if columnStarted { data.append(0x09) }
        columnStarted = true
    }
}
