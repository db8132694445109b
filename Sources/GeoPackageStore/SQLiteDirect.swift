import Foundation
import GRDB
import GRDBSQLite

// SQLite's C API on GRDB's statement handles, in one file: rows written by hand
// (`BoundStatement`) and rows read by hand (`RawRows`), where GRDB's per-value boxing cost more
// than SQLite's own work.

/// One prepared statement run row after row with its parameters bound through SQLite's C API
/// (`sqlite3_bind_*`, `sqlite3_step`, `sqlite3_reset`) on GRDB's statement handle. A first
/// import writes a hundred thousand parcel rows and as many event rows: GRDB's
/// `StatementArguments` (an array of boxed values per row, converted value by value) cost the
/// writer's thread more than SQLite's own work. The only place the GeoPackage store binds by
/// hand; errors come out as GRDB's `DatabaseError`, mapped where all others are.
struct BoundStatement {
    private let statement: Statement
    private let db: Database
    private var handle: SQLiteStatement { statement.sqliteStatement }

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.makeStatement(sql: sql)
    }

    // Parameters are numbered from 1, as in SQLite. Each bind is checked: SQLITE_RANGE,
    // SQLITE_TOOBIG or SQLITE_NOMEM end the row with the database's message.

    func bind(_ i: Int32, _ v: Int64?) throws {
        try check(v.map { sqlite3_bind_int64(handle, i, $0) } ?? sqlite3_bind_null(handle, i))
    }

    func bind(_ i: Int32, _ v: Double?) throws {
        try check(v.map { sqlite3_bind_double(handle, i, $0) } ?? sqlite3_bind_null(handle, i))
    }

    func bind(_ i: Int32, _ v: Bool?) throws {
        try bind(i, v.map { Int64($0 ? 1 : 0) })
    }

    /// A blob; an empty one is bound as an empty blob, not NULL.
    func bind(_ i: Int32, blob bytes: [UInt8]?) throws {
        guard let bytes else { return try check(sqlite3_bind_null(handle, i)) }
        let rc = bytes.withUnsafeBytes { b in
            b.count == 0 ? sqlite3_bind_zeroblob(handle, i, 0) : sqlite3_bind_blob(handle, i, b.baseAddress, Int32(b.count), Self.transient)
        }
        try check(rc)
    }

    /// A text or blob whose bytes stay where they are, unchanged, until this parameter is bound
    /// again or the statement is finalized: SQLite keeps the pointer (SQLITE_STATIC) instead of
    /// copying them (a copy is a malloc under SQLite's memory-statistics mutex and a free).
    fileprivate func bind(_ i: Int32, kept bytes: UnsafeRawBufferPointer?, asText: Bool) throws {
        guard let bytes else { return try check(sqlite3_bind_null(handle, i)) }
        guard bytes.count > 0 else {
            return try check(asText ? sqlite3_bind_text(handle, i, "", 0, Self.transient) : sqlite3_bind_zeroblob(handle, i, 0))
        }
        let rc = asText ? sqlite3_bind_text64(handle, i, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(bytes.count), nil, UInt8(SQLITE_UTF8))
            : sqlite3_bind_blob64(handle, i, bytes.baseAddress, UInt64(bytes.count), nil)
        try check(rc)
    }

    /// Runs the statement once (the bindings stay for the next row); returns the row id it
    /// inserted last.
    func run() throws -> Int64 {
        let rc = sqlite3_step(handle)
        let reset = sqlite3_reset(handle)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw error(rc == SQLITE_ERROR ? reset : rc) }
        return sqlite3_last_insert_rowid(db.sqliteConnection)
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    private func error(_ rc: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) },
                      sql: statement.sql)
    }

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

/// An INSERT of many rows at once into `table`: `INSERT INTO table (columns) VALUES (?, …), (?, …)`,
/// one statement for each count of rows asked for, prepared once. A statement's own work (its
/// program's start, an AUTOINCREMENT counter read and written) was a third of SQLite's time per
/// row when a first import inserted its rows one to a statement. Texts and blobs are copied
/// into the insert's own `KeptBytes` and bound without SQLite's copy: binding a row's texts
/// (SQLite's malloc, its mutex and the free of the last row's) was a quarter of the first
/// import's writing thread.
struct RowsInsert {
    private let db: Database
    private let head: String
    private let columns: Int
    private var statements: [Int: BoundStatement] = [:]
    private let kept = KeptBytes()

    init(_ db: Database, into table: String, columns: [String]) {
        self.db = db
        head = "INSERT INTO \"\(table)\" (\(columns.joined(separator: ", "))) VALUES "
        self.columns = columns.count
    }

    /// One row's parameters, numbered from 1 as its columns are.
    struct Row {
        fileprivate let statement: BoundStatement
        /// The statement's parameter before the row's first.
        fileprivate let offset: Int32
        fileprivate let kept: KeptBytes

        func bind(_ column: Int32, _ v: Int64?) throws { try statement.bind(offset + column, v) }
        func bind(_ column: Int32, _ v: Double?) throws { try statement.bind(offset + column, v) }
        func bind(_ column: Int32, _ v: Bool?) throws { try statement.bind(offset + column, v) }

        func bind(_ column: Int32, _ v: String?) throws {
            guard var v else { return try statement.bind(offset + column, kept: nil, asText: true) }
            try statement.bind(offset + column, kept: v.withUTF8 { kept.keep(UnsafeRawBufferPointer($0)) }, asText: true)
        }

        /// A blob; an empty one is bound as an empty blob, not NULL.
        func bind(_ column: Int32, blob bytes: [UInt8]?) throws {
            try statement.bind(offset + column, kept: bytes.map { b in b.withUnsafeBytes { kept.keep($0) } }, asText: false)
        }
    }

    /// Inserts `rows` in one statement, each bound by `bind`; returns the row id SQLite
    /// inserted last.
    @discardableResult
    mutating func run<Rows: Collection>(_ rows: Rows, bind: (Rows.Element, Row) throws -> Void) throws -> Int64 {
        precondition(!rows.isEmpty, "an INSERT of no rows")
        let statement: BoundStatement
        if let made = statements[rows.count] {
            statement = made
        } else {
            let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
            statement = try BoundStatement(db, sql: head + Array(repeating: row, count: rows.count).joined(separator: ", "))
            statements[rows.count] = statement
        }
        // Every parameter of the statement is bound again below: what the last run kept is free.
        kept.reset()
        for (k, row) in rows.enumerated() { try bind(row, Row(statement: statement, offset: Int32(k * columns), kept: kept)) }
        return try statement.run()
    }
}

/// Bytes bound to statements without SQLite's copy: copied into blocks that never move, kept
/// until `reset` (when every parameter that points here is about to be bound again), freed with
/// the holder (after its statements: a statement finalized never reads its parameters).
final class KeptBytes {
    private var blocks: [UnsafeMutableRawBufferPointer] = []
    private var block = 0
    private var used = 0
    private static let blockSize = 1 << 16

    /// Makes the room of every kept byte free again.
    func reset() {
        block = 0
        used = 0
    }

    /// A copy of `bytes`, unmoved until `reset`.
    func keep(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if block == blocks.count || used + bytes.count > blocks[block].count {
            if block < blocks.count { block += 1 }
            used = 0
            // A block too small for these bytes (only one larger than blockSize) is passed over.
            while block < blocks.count && blocks[block].count < bytes.count { block += 1 }
            if block == blocks.count { blocks.append(.allocate(byteCount: max(bytes.count, Self.blockSize), alignment: 8)) }
        }
        let start = blocks[block].baseAddress! + used
        start.copyMemory(from: source, byteCount: bytes.count)
        used += bytes.count
        return UnsafeRawBufferPointer(start: start, count: bytes.count)
    }

    deinit {
        for b in blocks { b.deallocate() }
    }
}

/// Rows of a query copied out of SQLite as they are stored (each column's type and bytes), a
/// run at a time, so that decoding them (geometry blobs, texts) can be done on other threads
/// while SQLite steps on: reading a million parcels and their events spent four fifths of its
/// time making Swift values of the columns, one row after another on SQLite's thread.
struct RawRows: Sendable {
    /// One column of one row: an integer, the bits of a double, or where its bytes are.
    fileprivate struct Cell: Sendable {
        var type: Int32
        var length: Int32
        var value: Int64
    }
    let columnNames: [String]
    private let cells: [Cell]
    private let bytes: [UInt8]

    private init(columnNames: [String], cells: [Cell], bytes: [UInt8]) {
        (self.columnNames, self.cells, self.bytes) = (columnNames, cells, bytes)
    }

    var count: Int { columnNames.isEmpty ? 0 : cells.count / columnNames.count }

    /// Each row in order; a row is valid only inside `body` (it points into the run's storage,
    /// without a reference count touched per column).
    func forEachRow(_ body: (Row) throws -> Void) rethrows {
        let n = columnNames.count
        try columnNames.withUnsafeBufferPointer { names in
            try cells.withUnsafeBufferPointer { cells in
                try bytes.withUnsafeBytes { bytes in
                    for first in stride(from: 0, to: cells.count, by: n) {
                        try body(Row(names: names, cells: UnsafeBufferPointer(rebasing: cells[first..<first + n]), bytes: bytes))
                    }
                }
            }
        }
    }

    /// Steps `sql` and hands its rows to `body` in runs of `rowsPerRun` (the last may be
    /// shorter). The columns `alwaysNull` marks (`NULL AS name` in the query: columns left
    /// unread) are not asked of SQLite. Errors are GRDB's `DatabaseError`s.
    static func scan(_ db: Database, sql: String, arguments: StatementArguments = [], alwaysNull: [Bool] = [],
                     rowsPerRun: Int, _ body: (RawRows) throws -> Void) throws {
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments(arguments)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        let n = sqlite3_column_count(handle)
        let names = (0..<n).map { String(cString: sqlite3_column_name(handle, $0)) }
        // Two calls into SQLite a cell, five of a million events' fifteen known to be NULL.
        let asked = (0..<Int(n)).map { $0 >= alwaysNull.count || !alwaysNull[$0] }
        var bytesHint = 0
        var done = false
        while !done {
            // A run's cells written in place (appending them one by one checked the array's
            // room and uniqueness for every column, on the thread that steps SQLite).
            var bytes: [UInt8] = []
            bytes.reserveCapacity(bytesHint)
            var rows = 0
            var failure: (any Error)?
            let cells = [Cell](unsafeUninitializedCapacity: rowsPerRun * Int(n)) { cells, initialized in
                var k = 0
                while rows < rowsPerRun {
                    let rc = sqlite3_step(handle)
                    if rc == SQLITE_DONE { done = true; break }
                    guard rc == SQLITE_ROW else {
                        failure = DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) },
                                                sql: sql)
                        break
                    }
                    for i in 0..<n {
                        (cells.baseAddress! + k).initialize(to: asked[Int(i)] ? Self.cell(handle, i, &bytes) : Cell(type: SQLITE_NULL, length: 0, value: 0))
                        k += 1
                    }
                    rows += 1
                }
                initialized = k
            }
            if let failure { throw failure }
            // The next run's bytes in one allocation, the size of this one's and a little
            // more (growing by doubling copied each run's bytes again and again).
            bytesHint = bytes.count + bytes.count / 8
            if rows > 0 { try body(RawRows(columnNames: names, cells: cells, bytes: bytes)) }
        }
    }

    /// Column `i` of the statement's row, its bytes appended to `bytes`.
    ///
    /// Read through the column's value (`sqlite3_column_value`): each `sqlite3_column_*` call
    /// enters and leaves the connection's mutex and checks for a failed malloc, three calls a
    /// column. SQLite calls that value unprotected: safe to read with `sqlite3_value_*` on the
    /// one thread using the connection (GRDB lets no other use it meanwhile), and only until
    /// the next step, before which its bytes are copied out.
    @inline(__always)
    private static func cell(_ handle: SQLiteStatement?, _ i: Int32, _ bytes: inout [UInt8]) -> Cell {
        guard let value = sqlite3_column_value(handle, i) else { return Cell(type: SQLITE_NULL, length: 0, value: 0) }
        let type = sqlite3_value_type(value)
        switch type {
        case SQLITE_INTEGER: return Cell(type: type, length: 0, value: sqlite3_value_int64(value))
        case SQLITE_FLOAT: return Cell(type: type, length: 0, value: Int64(bitPattern: sqlite3_value_double(value).bitPattern))
        case SQLITE_TEXT, SQLITE_BLOB:
            // The pointer first, then the length (SQLite's documented order).
            let start = type == SQLITE_TEXT ? sqlite3_value_text(value).map(UnsafeRawPointer.init) : sqlite3_value_blob(value)
            let length = Int(sqlite3_value_bytes(value))
            let cell = Cell(type: type, length: Int32(length), value: Int64(bytes.count))
            if let start, length > 0 { bytes.append(contentsOf: UnsafeRawBufferPointer(start: start, count: length)) }
            return cell
        default: return Cell(type: SQLITE_NULL, length: 0, value: 0)
        }
    }

    /// One row of a run, its columns by position.
    struct Row: StoredColumns {
        fileprivate let names: UnsafeBufferPointer<String>
        fileprivate let cells: UnsafeBufferPointer<Cell>
        fileprivate let bytes: UnsafeRawBufferPointer

        var columnCount: Int { names.count }
        func columnName(_ i: Int) -> String { names[i] }

        private func raw(_ c: Cell) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: bytes[Int(c.value)..<Int(c.value) + Int(c.length)])
        }

        func text(_ i: Int) -> String? {
            let c = cells[i]
            switch c.type {
            case SQLITE_TEXT, SQLITE_BLOB: return String(decoding: raw(c), as: UTF8.self)
            case SQLITE_INTEGER: return String(c.value)
            case SQLITE_FLOAT: return String(Double(bitPattern: UInt64(bitPattern: c.value)))
            default: return nil
            }
        }

        func int64(_ i: Int) -> Int64? {
            let c = cells[i]
            switch c.type {
            case SQLITE_INTEGER: return c.value
            case SQLITE_FLOAT: return Int64(exactly: Double(bitPattern: UInt64(bitPattern: c.value)))
            default: return nil
            }
        }

        func double(_ i: Int) -> Double? {
            let c = cells[i]
            switch c.type {
            case SQLITE_FLOAT: return Double(bitPattern: UInt64(bitPattern: c.value))
            case SQLITE_INTEGER: return Double(c.value)
            default: return nil
            }
        }

        func withBlob<T>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T? {
            let c = cells[i]
            guard c.type == SQLITE_BLOB || c.type == SQLITE_TEXT else { return nil }
            return try body(raw(c))
        }
    }
}
