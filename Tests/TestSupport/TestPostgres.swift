import Foundation
@testable import GeoPackageStore
import GRDB
import Geometry
import PostGISStore
import Store

/// The store backends a store test runs against. PostGIS cases run when the machine has
/// PostgreSQL 15 with PostGIS (CI installs postgresql-15-postgis-3); elsewhere they are left
/// out, and the suite says so once on stderr.
public enum Backend: String, Sendable, CustomStringConvertible, CaseIterable {
    case geoPackage = "GeoPackage"
    case postGIS = "PostGIS"

    public var description: String { rawValue }

    /// The backends this machine can run.
    public static var available: [Backend] {
        switch TestPostgres.server {
        case .success: return [.geoPackage, .postGIS]
        case let .failure(why):
            TestPostgres.sayOnce("PostGIS store cases skipped: \(why.reason)")
            return [.geoPackage]
        }
    }

    /// A new, empty store location of this backend: a .gpkg path in a new temporary folder, or
    /// the URI of a new database on the test server.
    public func newLocation() throws -> String {
        switch self {
        case .geoPackage:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return dir.appendingPathComponent("store.gpkg").path
        case .postGIS:
            return try TestPostgres.server.get().newDatabase()
        }
    }

    /// Opens (creating) a store at `location`.
    public func open(_ location: String, create: Bool = true, readOnly: Bool = false) throws -> any ParcelStore {
        switch self {
        case .geoPackage: return try GeoPackageStore(path: location, create: create, readOnly: readOnly)
        case .postGIS: return try PostGISStore(url: location, create: create, readOnly: readOnly)
        }
    }

    /// A new, empty store.
    public func newStore() throws -> any ParcelStore { try open(newLocation()) }
}

/// A PostgreSQL server of the tests' own: `initdb` into a temporary folder, `pg_ctl` on a
/// Unix socket in that folder (no TCP port), stopped and removed when the test process exits.
/// Every test gets a database of its own, made from a template with PostGIS installed.
public final class TestPostgres: @unchecked Sendable {
    public struct Unavailable: Error { public var reason: String }

    public static let server: Result<TestPostgres, Unavailable> = {
        do { return .success(try TestPostgres()) } catch let u as Unavailable { return .failure(u) } catch {
            return .failure(Unavailable(reason: "\(error)"))
        }
    }()

    public let folder: String
    let bin: String
    let asUser: [String]
    private let lock = NSLock()
    private var databases = 0

    /// The superuser the tests connect as (initdb -U).
    public static let user = "landtrack_test"

    private init() throws {
        let bin = "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") else {
            throw Unavailable(reason: "no PostgreSQL 15 server binaries at \(bin) (apt install postgresql-15-postgis-3)")
        }
        guard FileManager.default.fileExists(atPath: "/usr/share/postgresql/15/extension/postgis.control") else {
            throw Unavailable(reason: "PostgreSQL 15 has no PostGIS extension (apt install postgresql-15-postgis-3)")
        }
        self.bin = bin
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-pg-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // initdb refuses to run as root: the server runs as the postgres user then.
        if getuid() == 0 {
            guard let pw = getpwnam("postgres") else { throw Unavailable(reason: "running as root and there is no postgres user to run the server") }
            chown(folder, pw.pointee.pw_uid, pw.pointee.pw_gid)
            asUser = ["/usr/bin/env", "-C", folder, "/usr/sbin/runuser", "-u", "postgres", "--"]
        } else {
            asUser = ["/usr/bin/env", "-C", folder]
        }
        let data = "\(folder)/data"
        try run(asUser + ["\(bin)/initdb", "-D", data, "-A", "trust", "-U", Self.user, "--no-sync", "-E", "UTF8", "--locale=C"])
        try run(asUser + ["\(bin)/pg_ctl", "-D", data, "-l", "\(folder)/server.log", "-w", "-o",
                          "-k \(folder) -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                          "start"])
        TestPostgres.stopAtExit = asUser + ["\(bin)/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
        TestPostgres.removeAtExit = folder
        atexit {
            if let stop = TestPostgres.stopAtExit { _ = TestPostgres.spawnAndWait(stop, log: "/dev/null") }
            if let dir = TestPostgres.removeAtExit { try? FileManager.default.removeItem(atPath: dir) }
        }
        try psql("postgres", "CREATE DATABASE landtrack_template")
        try psql("landtrack_template", "CREATE EXTENSION postgis")
    }

    nonisolated(unsafe) static var stopAtExit: [String]?
    nonisolated(unsafe) static var removeAtExit: String?
    nonisolated(unsafe) private static var said = Set<String>()
    private static let sayLock = NSLock()

    static func sayOnce(_ line: String) {
        sayLock.lock()
        defer { sayLock.unlock() }
        if said.insert(line).inserted { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// The URI of database `name` on this server, over its Unix socket.
    public func url(_ name: String, user: String = TestPostgres.user) -> String {
        "postgresql://\(user)@/\(name)?host=\(folder)"
    }

    /// A new database with PostGIS installed; returns its URI.
    public func newDatabase() throws -> String {
        lock.lock()
        databases += 1
        let name = "t\(databases)"
        defer { lock.unlock() }
        try psql("postgres", "CREATE DATABASE \(name) TEMPLATE landtrack_template")
        return url(name)
    }

    /// Runs SQL with psql on database `name`; returns what it printed (unaligned, tuples only).
    @discardableResult
    public func psql(_ name: String, _ sql: String, user: String = TestPostgres.user) throws -> String {
        let r = try ProcessRun(URL(fileURLWithPath: "/usr/bin/psql"),
                               ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", folder, "-U", user, "-d", name, "-c", sql])
        guard r.status == 0 else { throw PSQLFailure(message: r.stderr) }
        return r.stdout
    }

    /// Runs a psql script file on database `name` with `-v` variables; returns what it printed.
    @discardableResult
    public func psql(_ name: String, file: String, variables: [String: String], user: String = TestPostgres.user) throws -> String {
        let r = try ProcessRun(URL(fileURLWithPath: "/usr/bin/psql"),
                               ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", folder, "-U", user, "-d", name, "-f", file]
                                 + variables.sorted { $0.key < $1.key }.flatMap { ["-v", "\($0.key)=\($0.value)"] })
        guard r.status == 0 else { throw PSQLFailure(message: r.stderr) }
        return r.stdout
    }

    public struct PSQLFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    private func run(_ command: [String]) throws {
        let status = Self.spawnAndWait(command, log: "\(folder)/commands.log")
        guard status == 0 else {
            let log = (try? String(contentsOfFile: "\(folder)/commands.log", encoding: .utf8)) ?? ""
            throw Unavailable(reason: "\(command.joined(separator: " ")) failed (status \(status)): \(log.suffix(500))")
        }
    }

    /// posix_spawn and waitpid, output appended to `log`: Foundation's Process is not used for
    /// the server's commands, because pg_ctl leaves a daemon behind and Process then never
    /// sees its child exit.
    static func spawnAndWait(_ command: [String], log: String) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o666)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, command[0], &actions, nil, &argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// Runs SQL on a store behind its back (a damaged or foreign-written store for tests): GRDB
/// on the GeoPackage's own pool, psql on a PostGIS database.
public func executeBehindTheStore(_ store: any ParcelStore, _ sql: String) throws {
    switch store {
    case let g as GeoPackageStore: try g.pool.write { db in try db.execute(sql: sql) }
    case is PostGISStore: try TestPostgres.server.get().psql(databaseName(store), sql)
    default: throw TestPostgres.PSQLFailure(message: "no SQL for \(type(of: store))")
    }
}

/// Everything a store has written, as text to search: the GeoPackage file's bytes, or a
/// `pg_dump` of the PostGIS database (data and schema).
public func everythingStored(_ store: any ParcelStore) throws -> String {
    switch store {
    case let g as GeoPackageStore: return try String(contentsOfFile: g.path, encoding: .isoLatin1)
    case is PostGISStore: return try TestPostgres.server.get().dump(databaseName(store))
    default: throw TestPostgres.PSQLFailure(message: "no dump for \(type(of: store))")
    }
}

/// The database a PostGIS store's URI names.
public func databaseName(_ store: any ParcelStore) throws -> String { try databaseName(store.location) }

/// The database a `postgresql://` URI names.
public func databaseName(_ url: String) throws -> String {
    guard let name = URLComponents(string: url)?.path.dropFirst(), !name.isEmpty else {
        throw TestPostgres.PSQLFailure(message: "no database in \(url)")
    }
    return String(name)
}

extension TestPostgres {
    /// `pg_dump` of database `name` (plain SQL text).
    public func dump(_ name: String) throws -> String {
        let r = try ProcessRun(URL(fileURLWithPath: "\(bin)/pg_dump"), ["-h", folder, "-U", Self.user, "-d", name])
        guard r.status == 0 else { throw PSQLFailure(message: r.stderr) }
        return r.stdout
    }
}

/// What GDAL opens for a store: the GeoPackage's path, or a `PG:` connection string.
public func ogrSource(_ store: any ParcelStore) throws -> String {
    guard store is PostGISStore else { return store.location }
    return "PG:host=\(try TestPostgres.server.get().folder) dbname=\(try databaseName(store)) user=\(TestPostgres.user)"
}
