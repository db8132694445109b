import Foundation
import GRDB
import GRDBSQLite

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

    func bind(_ i: Int32, _ v: String?) throws {
        guard var v else { return try check(sqlite3_bind_null(handle, i)) }
        // SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.
        let rc = v.withUTF8 { u in
            u.count == 0 ? sqlite3_bind_text(handle, i, "", 0, Self.transient)
                : u.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(handle, i, $0.baseAddress, Int32(u.count), Self.transient) }
        }
        try check(rc)
    }

    /// A blob; an empty one is bound as an empty blob, not NULL.
    func bind(_ i: Int32, blob bytes: [UInt8]?) throws {
        guard let bytes else { return try check(sqlite3_bind_null(handle, i)) }
        let rc = bytes.withUnsafeBytes { b in
            b.count == 0 ? sqlite3_bind_zeroblob(handle, i, 0) : sqlite3_bind_blob(handle, i, b.baseAddress, Int32(b.count), Self.transient)
        }
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
