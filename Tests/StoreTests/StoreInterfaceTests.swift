import Foundation
import GRDB
import Testing
import Geometry
@testable import GeoPackageStore
import Parcels
import Planner
import PostGISStore
import Store
import TestSupport

@Suite("Store interface and snapshots")
struct StoreInterfaceTests {
    /// Several dates in one read give what one read per date gives; the as-of pages of the OGC
    /// API (index lookups per row, no snapshot) agree with the snapshots.
    @Test(arguments: Backend.available) func snapshotsOfSeveralDatesInOneRead(backend: Backend) throws {
        let store = try demoProgrammeStore(backend: backend)
        let dates = try ["2022-12-31", "2023-01-01", "2024-06-30", "2025-12-31"].map { try CalendarDate(parsing: $0) }
        let together = try store.snapshots(at: dates + [nil], history: true)
        for (i, date) in dates.enumerated() {
            let alone = try store.snapshot(asOf: date)
            #expect(together[i].asOf == date)
            #expect(together[i].parcels == alone.parcels, "\(date)")
            let page = try store.features(of: .parcels, bbox: nil, limit: 10_000, offset: 0, asOf: date)
            #expect(page.numberMatched == alone.parcels.count)
            #expect(page.features.map(\.id) == alone.parcels.map(\.id))
            #expect(page.features.map { $0.properties["state"]?.stringValue } == alone.parcels.map { $0.state.rawValue }, "\(date)")
            #expect(page.features.map { $0.properties["basic_farmland"] } == alone.parcels.map { .bool($0.basicFarmland) }, "\(date)")
            // History up to the date only.
            #expect(together[i].history?.values.allSatisfy { $0.allSatisfy { $0.effectiveDate <= date } } == true)
        }
        #expect(together[0].parcels.isEmpty && together[1].parcels.count == 2000)
        #expect(together.last?.parcels == (try store.snapshot().parcels))
        #expect(together.last?.parcels.allSatisfy(\.active) == true)
        // Every layer comes with every snapshot.
        #expect(ConstraintLayer.allCases.allSatisfy { !together[2].layer($0).isEmpty })
    }

    /// `copyRecord` keeps everything, ids included: GeoPackage → backend → GeoPackage gives the
    /// source's record again, and the copy's snapshots and check equal the source's.
    @Test(arguments: Backend.available) func aCopyThereAndBackIsTheSameRecord(backend: Backend) throws {
        let source = try demoProgrammeStore()
        let (_, token) = try source.createToken(owner: "Li Wei", role: .planner)
        _ = try source.revokeToken(id: token.id, at: "2025-01-01T00:00:00Z")
        _ = try source.createToken(owner: "viewer", role: .viewer)
        let there = try backend.newStore()
        let copied = try there.copyRecord(from: source)
        #expect(copied["parcel_events"] == (try source.counts())["parcel_events"])
        let back = try Backend.geoPackage.newStore()
        try back.copyRecord(from: there)
        let a = try source.record(), b = try back.record()
        #expect(a.crs == b.crs)
        #expect(a.parcels == b.parcels)
        #expect(a.events == b.events)
        #expect(a.lineage == b.lineage && !a.lineage.isEmpty)
        #expect(a.tokens == b.tokens && a.tokens.count == 2)
        #expect(ConstraintLayer.allCases.allSatisfy { a.layers[$0] == b.layers[$0] })
        let dates = try ["2024-06-30", "2025-12-31"].map { try CalendarDate(parsing: $0) }
        #expect(try there.snapshots(at: dates, history: true).map(\.parcels) == source.snapshots(at: dates, history: true).map(\.parcels))
        var options = CheckOptions()
        options.asOf = dates[1]
        #expect(try CheckReport.load(from: there, options: options).results == CheckReport.load(from: source, options: options).results)
        // A store that is not empty is refused, and keeps what it had.
        let refused = #expect(throws: LandtrackError.self) { try there.copyRecord(from: source) }
        #expect({ if case .invalidArgument = refused { true } else { false } }())
        #expect(try there.counts() == source.counts())
    }

    /// Original properties are kept as the store's text and decoded when asked for.
    @Test(arguments: Backend.available) func propertiesAreDecodedOnlyWhenAskedFor(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", false, 0, 0)])
        let a = try #require(try store.snapshot().parcels.first)
        #expect(a.properties.jsonText.contains("\"village\":\"大岗村\""))
        #expect(try a.properties.object(owner: a.id)["state"] == .string("farmland"))
    }

    /// Values read back that are not valid are errors naming what is wrong, never replaced.
    @Test(arguments: Backend.available) func damagedValuesAreErrors(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", false, 0, 0), ("B", "farmland", false, 1, 0)])
        try executeBehindTheStore(store, backend == .geoPackage
            ? "DROP TRIGGER parcel_events_append_only_update"
            : "ALTER TABLE parcel_events DISABLE TRIGGER parcel_events_append_only")
        try executeBehindTheStore(store, """
            UPDATE parcels SET state = 'paddy' WHERE parcel_id = 'A';
            UPDATE parcels SET properties = 'not json' WHERE parcel_id = 'B';
            UPDATE parcel_events SET kind = 'teleport' WHERE parcel_id = 'B'
            """)
        let state = #expect(throws: LandtrackError.self) { try store.parcel("A") }
        guard case let .corrupt(what)? = state?.storeFailure else { Issue.record("\(String(describing: state))"); return }
        #expect(what.contains("\"paddy\""))
        #expect(throws: LandtrackError.self) { try store.snapshot() }
        let b = try #require(try store.parcel("B"))
        #expect(throws: LandtrackError.self) { try b.properties.object(owner: "B") }
        let kind = #expect(throws: LandtrackError.self) { try store.history("B") }
        if case let .corrupt(what)? = kind?.storeFailure { #expect(what.contains("teleport")) } else { Issue.record("\(String(describing: kind))") }
    }

    /// A missing store and a file that is no store are typed failures.
    @Test func openingFailuresAreTyped() throws {
        let dir = try scratchDirectory()
        let missing = #expect(throws: LandtrackError.self) { try GeoPackageStore(path: dir.appendingPathComponent("none.gpkg").path) }
        #expect(missing?.storeFailure == .missing)
        let text = dir.appendingPathComponent("text.gpkg")
        try "hello".write(to: text, atomically: true, encoding: .utf8)
        let notAStore = #expect(throws: LandtrackError.self) { try GeoPackageStore(path: text.path) }
        if case .notAStore? = notAStore?.storeFailure {} else { Issue.record("\(String(describing: notAStore))") }
    }

    /// The same on PostgreSQL: a database without landtrack's tables (not created), a database
    /// whose parcels table someone else made, a database or server that is not there.
    @Test(.enabled(if: Backend.available.contains(.postGIS), "needs PostgreSQL 15 with PostGIS"))
    func openingFailuresAreTypedOnPostGIS() throws {
        let server = try TestPostgres.server.get()
        let empty = try server.newDatabase()
        let missing = #expect(throws: LandtrackError.self) { try PostGISStore(url: empty) }
        #expect(missing?.storeFailure == .missing)
        let foreign = try server.newDatabase()
        try server.psql(databaseName(foreign), "CREATE TABLE parcels (id int)")
        let notAStore = #expect(throws: LandtrackError.self) { try PostGISStore(url: foreign, create: true) }
        if case .notAStore? = notAStore?.storeFailure {} else { Issue.record("\(String(describing: notAStore))") }
        for url in [server.url("no_such_database"), "postgresql://nobody@/nanhai?host=/nonexistent-folder"] {
            let unreachable = #expect(throws: LandtrackError.self) { try PostGISStore(url: url) }
            if case .unreachable? = unreachable?.storeFailure {} else { Issue.record("\(url): \(String(describing: unreachable))") }
        }
    }
}

/// The layout shows the architecture: only the GeoPackage backend sees SQL (GRDB; SQLite's C
/// API in its one file that binds rows), only the seams see C, and `area`/`validate` (Parcels, Geometry) link neither GRDB nor the server.
@Suite("Architecture")
struct ArchitectureTests {
    /// Every Swift source file of Sources/, by target.
    func sources() throws -> [String: [URL]] {
        let root = SharedData.repositoryRoot.appendingPathComponent("Sources")
        var out: [String: [URL]] = [:]
        for target in try FileManager.default.contentsOfDirectory(atPath: root.path) {
            let dir = root.appendingPathComponent(target)
            guard let files = FileManager.default.enumerator(atPath: dir.path) else { continue }
            for case let f as String in files where f.hasSuffix(".swift") { out[target, default: []].append(dir.appendingPathComponent(f)) }
        }
        return out
    }

    func imports(_ file: URL) throws -> Set<String> {
        Set(try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard let i = words.firstIndex(of: "import"), i <= 1 else { return nil }
            return words.count > i + 1 ? String(words[i + 1]) : nil
        })
    }

    @Test func onlyTheBackendSeesSQLAndOnlyTheSeamsSeeC() throws {
        let all = try sources()
        #expect(all.keys.contains("GeoPackageStore") && all.keys.contains("Store"))
        for (target, files) in all {
            for file in files {
                let used = try imports(file)
                if target != "GeoPackageStore" { #expect(!used.contains("GRDB"), "\(target)/\(file.lastPathComponent) imports GRDB") }
                // SQLite's own C API: one file of the GeoPackage backend binds rows by hand.
                if target != "GeoPackageStore" || file.lastPathComponent != "SQLiteDirect.swift" {
                    #expect(!used.contains("GRDBSQLite"), "\(target)/\(file.lastPathComponent) imports SQLite's C API")
                }
                if target != "Geometry" { #expect(used.isDisjoint(with: ["CGEOS", "CPROJ", "CPROJLoader"]), "\(target)/\(file.lastPathComponent) imports C") }
                if target != "VectorSources" { #expect(used.isDisjoint(with: ["CGDAL", "CGDALLoader"]), "\(target)/\(file.lastPathComponent) imports GDAL's C API") }
                if target != "PostGISStore" { #expect(used.isDisjoint(with: ["CLibPQ", "CLibPQLoader"]), "\(target)/\(file.lastPathComponent) imports libpq") }
                if ["Geometry", "Parcels", "Store", "GeoPackageStore", "Planner"].contains(target) {
                    #expect(used.isDisjoint(with: ["Hummingbird", "FeatureServer", "ParcelMap"]), "\(target)/\(file.lastPathComponent)")
                }
                if ["Geometry", "Parcels"].contains(target) {
                    #expect(used.isDisjoint(with: ["Store", "GeoPackageStore", "Planner"]), "\(target)/\(file.lastPathComponent)")
                }
            }
        }
    }

    /// The package's own declaration: what Parcels and Geometry (all that area and validate
    /// need) depend on, transitively.
    @Test func areaAndValidateNeedNoDatabase() throws {
        let swift = ProcessRun.installed("swift")
        guard let swift else { Issue.record("swift is not on PATH"); return }
        // A scratch path of its own: the running `swift test` holds the lock on .build.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-dump-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dump = try ProcessRun(swift, ["package", "--package-path", SharedData.repositoryRoot.path, "--scratch-path", scratch.path, "dump-package"])
        #expect(dump.status == 0, "\(dump.stderr)")
        let package = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var deps: [String: [String]] = [:]
        for t in package["targets"] as? [[String: Any]] ?? [] {
            let name = t["name"] as! String
            deps[name] = (t["dependencies"] as? [[String: Any]] ?? []).compactMap { d in
                if let byName = d["byName"] as? [Any], let n = byName.first as? String { return n }
                if let product = d["product"] as? [Any], let n = product.first as? String { return n }
                if let target = d["target"] as? [Any], let n = target.first as? String { return n }
                return nil
            }
        }
        func closure(_ name: String) -> Set<String> {
            var seen: Set<String> = [], stack = [name]
            while let n = stack.popLast() {
                if seen.insert(n).inserted { stack += deps[n] ?? [] }
            }
            return seen
        }
        #expect(closure("Parcels").isDisjoint(with: ["GRDB", "Store", "GeoPackageStore", "Hummingbird", "FeatureServer"]), "\(closure("Parcels"))")
        #expect(closure("Store").isDisjoint(with: ["GRDB", "Hummingbird", "CGDAL", "VectorSources"]), "\(closure("Store"))")
        #expect(closure("VectorSources").isDisjoint(with: ["Store", "GRDB", "CLibPQ", "Hummingbird"]), "\(closure("VectorSources"))")
        #expect(closure("Planner").isDisjoint(with: ["GRDB", "GeoPackageStore", "Hummingbird"]), "\(closure("Planner"))")
        #expect(closure("GeoPackageStore").contains("GRDB"))
    }
}
