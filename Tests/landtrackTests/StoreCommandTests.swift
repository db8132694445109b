import Foundation
import Testing
import Geometry
import GeoPackageStore
import Parcels
import Store
import Planner
import TestSupport

@Suite("landtrack store commands", .serialized)
struct StoreCommandTests {
    func scratch() throws -> URL { try scratchFolder("landtrack-e2e") }

    /// import, transition, pbf, history, parcels and export, end to end; outputs compared whole
    /// with what the library renders from the same store.
    @Test func aProgrammeFromTheCommandLine() throws {
        let dir = try scratch()
        let db = dir.appendingPathComponent("nh.gpkg").path
        let imported = try Run(["import", "geodata/nanhai-sample.geojson", "--db", db, "--date", "2023-01-01", "--ref", "NH-2023"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == "geodata/nanhai-sample.geojson: 2,000 added, 0 updated, 0 unchanged, 0 rejected → \(db)\n")
        // The same file again is not read (the time is the one the store recorded); --read-again reads it.
        let recordedAt = try GeoPackageStore(path: db, readOnly: true).lastImportFingerprint()?.recordedAt
        let again = try Run(["import", "geodata/nanhai-sample.geojson", "--db", db, "--date", "2023-01-01"])
        #expect(again.stdout == "geodata/nanhai-sample.geojson: 0 added, 0 updated, 2,000 unchanged, 0 rejected (the same file, by SHA-256, "
                + "and options as the import recorded \(try #require(recordedAt)), and no parcel changed since: not read again) → \(db)\n", "\(again.stderr)")
        let read = try Run(["import", "geodata/nanhai-sample.geojson", "--db", db, "--date", "2023-01-01", "--read-again"])
        #expect(read.stdout == "geodata/nanhai-sample.geojson: 0 added, 0 updated, 2,000 unchanged, 0 rejected → \(db)\n", "\(read.stderr)")

        let moved = try Run(["transition", "NH-000001", "--to", "reclaimed_farmland", "--date", "2024-05-01", "--ref", "NH-2024-07", "--db", db, "--by", "Li Wei"])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout == "NH-000001: wasteland → reclaimed_farmland on 2024-05-01 (rule R1)\n")

        let refused = try Run(["transition", "NH-000001", "--to", "industrial_park", "--date", "2024-06-01", "--db", db])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("rule D1 refuses it"))

        let pbf = try Run(["pbf", "NH-000001", "--release", "--date", "2024-07-01", "--db", db])
        #expect(pbf.status == 0)

        let store = try GeoPackageStore(path: db)
        let history = try Run(["history", "NH-000001", "--db", db])
        #expect(history.stdout == (try HistoryReport(store: store, parcelID: "NH-000001").table()))
        let json = try Run(["history", "NH-000001", "--format", "json", "--db", db])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect((object["events"] as! [[String: Any]]).map { $0["kind"] as! String } == ["import", "transition", "pbf"])

        let listed = try Run(["parcels", "--as-of", "2023-12-31", "--state", "wasteland", "--format", "csv", "--db", db])
        #expect(listed.stdout == ParcelListReport(try store.snapshot(asOf: CalendarDate(parsing: "2023-12-31")), state: .wasteland).csv())
        #expect(listed.stdout.contains("NH-000001,wasteland,true"))

        let out = dir.appendingPathComponent("export.geojson").path
        let exported = try Run(["export", out, "--as-of", "2024-12-31", "--db", db])
        #expect(exported.status == 0)
        let area = try Run(["area", out, "--format", "json"])
        #expect(area.status == 0)
        let total = try JSONSerialization.jsonObject(with: Data(area.stdout.utf8)) as! [String: Any]
        let m2 = ((total["total"] as! [String: Any])["area_m2"] as! NSNumber).doubleValue
        #expect(abs(m2 - (try store.snapshot().parcels.reduce(0) { $0 + $1.areaSquareMetres })) < 0.05)
    }

    /// The record issue's bypass from the command line: re-importing a PBF parcel as
    /// industrial_park is refused (exit 1) naming the parcel and the rule, and writes nothing;
    /// ids with control characters are refused before the store is opened (exit 64).
    @Test func reimportBypassAndControlCharactersFromTheCommandLine() throws {
        let dir = try scratch()
        let db = dir.appendingPathComponent("b.gpkg").path
        let sample = try String(contentsOf: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson"), encoding: .utf8)
        let pbfParcel = #""id":"NH-000002","state":"farmland","basic_farmland":true"#
        #expect(sample.contains(pbfParcel))
        _ = try Run(["import", "geodata/nanhai-sample.geojson", "--db", db, "--date", "2023-01-01"])
        let bypass = dir.appendingPathComponent("bypass.geojson")
        try sample.replacingOccurrences(of: pbfParcel, with: #""id":"NH-000002","state":"industrial_park","basic_farmland":true"#)
            .write(to: bypass, atomically: true, encoding: .utf8)
        let store = try GeoPackageStore(path: db, readOnly: true)
        let before = try store.counts()
        let refused = try Run(["import", bypass.path, "--db", db, "--date", "2024-01-01"])
        #expect(refused.status == 1)
        #expect(refused.stderr == "landtrack: refused: \(bypass.path) feature 2: parcel \"NH-000002\" cannot move farmland → industrial_park: rule D1 refuses it: permanent basic farmland may not become construction land (土地管理法 第三十五条; 自然资规〔2019〕1号); moves allowed from farmland for this parcel: wasteland\n")
        #expect(try store.counts() == before)
        let check = try Run(["check", "--rules", "recorded-transitions", "--db", db])
        #expect(check.status == 0, "\(check.stdout)")

        // (An argument cannot hold a NUL: the C strings of argv end there.)
        for args in [["transition", "NH-000001\u{1}", "--to", "farmland", "--date", "2024-01-01"], ["history", "NH-000001\u{1B}x"],
                     ["merge", "NH-000001", "NH-000003", "--into", "M\tX", "--date", "2024-01-01"]] {
            let r = try Run(args + ["--db", db])
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("control character"), "\(args): \(r.stderr)")
        }
        #expect(try store.counts() == before)
    }

    @Test func refusalsChangeNothingAndExplain() throws {
        let dir = try scratch()
        let db = dir.appendingPathComponent("s.gpkg").path
        _ = try Run(["import", "geodata/nanhai-sample-gk38.geojson", "--db", db])
        let before = try GeoPackageStore(path: db).counts()
        let bad = try Run(["import", "geodata/problem-parcels.geojson", "--db", db])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("10 problems"))
        #expect(try GeoPackageStore(path: db).counts() == before)

        // A refused first import, or a missing input, leaves no store file behind.
        let fresh = dir.appendingPathComponent("fresh.gpkg").path
        #expect(try Run(["import", "geodata/problem-parcels.geojson", "--db", fresh]).status == 1)
        #expect(try Run(["import", "geodata/no-such.geojson", "--db", fresh]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: fresh))

        let notStore = dir.appendingPathComponent("readme.gpkg")
        try "hello".write(to: notStore, atomically: true, encoding: .utf8)
        let wrong = try Run(["parcels", "--db", notStore.path])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("not a GeoPackage"))

        let unknown = try Run(["history", "NH-999999", "--db", db])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no parcel \"NH-999999\""))
    }

    /// 30,000 small squares in EPSG:4490's axis order (generated here: large data is never committed).
    func thirtyThousandSquares(in dir: URL) throws -> URL {
        var text = #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4490"}},"features":["#
        for i in 0..<30_000 {
            let x = 113.0 + Double(i % 200) * 0.0005, y = 23.1 + Double(i / 200) * 0.0005
            if i > 0 { text += "," }
            text += #"{"type":"Feature","properties":{"id":"K-\#(i)","state":"farmland"},"geometry":{"type":"Polygon","coordinates":[[[\#(y),\#(x)],[\#(y),\#(x + 0.0004)],[\#(y + 0.0004),\#(x + 0.0004)],[\#(y + 0.0004),\#(x)],[\#(y),\#(x)]]]}}"#
        }
        text += "]}"
        let file = dir.appendingPathComponent("big.geojson")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Runs `landtrack import file --db db` and kills it (SIGKILL) once `file` (of the store)
    /// has grown past `bytes`: whether it was still running then.
    func importKilled(_ file: URL, into db: String, once grown: String, past bytes: Int) throws -> Bool {
        let process = Process()
        process.executableURL = Run.binary
        process.arguments = ["import", file.path, "--db", db]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: grown)[.size] as? Int) ?? 0
            if size > bytes { break }
            usleep(2_000)
        }
        let killedMidway = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return killedMidway
    }

    /// An import killed midway (SIGKILL) leaves the store as it was; a rerun completes.
    @Test func aKilledImportLeavesTheStoreAsItWas() throws {
        let dir = try scratch()
        let db = dir.appendingPathComponent("k.gpkg").path
        _ = try Run(["import", "geodata/nanhai-sample-gk38.geojson", "--db", db])
        let before = try GeoPackageStore(path: db).counts()
        let file = try thirtyThousandSquares(in: dir)
        // Killed once the write transaction has spilled pages into the WAL.
        #expect(try importKilled(file, into: db, once: db + "-wal", past: 512 * 1024),
                "the import finished before it could be killed; the test proves nothing")
        #expect(try GeoPackageStore(path: db).counts() == before)
        let rerun = try Run(["import", file.path, "--db", db])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("30,000 added"))
    }

    /// A first import, written without the WAL (SQLite's rollback journal instead), killed once
    /// it has written pages into the file itself: the journal it leaves takes the store back to
    /// what it was, a store without parcels, which the rerun fills.
    @Test func aKilledFirstImportLeavesAStoreWithoutParcels() throws {
        let dir = try scratch()
        let db = dir.appendingPathComponent("first.gpkg").path
        let file = try thirtyThousandSquares(in: dir)
        #expect(try importKilled(file, into: db, once: db, past: 4 * 1024 * 1024),
                "the import finished before it could be killed; the test proves nothing")
        #expect(FileManager.default.fileExists(atPath: db + "-journal"), "the import wrote through the rollback journal")
        let counts = try GeoPackageStore(path: db).counts()
        #expect(counts["parcels"] == 0 && counts["parcel_events"] == 0, "\(counts)")
        #expect(!FileManager.default.fileExists(atPath: db + "-journal"), "opening the store rolled the journal back")
        let rerun = try Run(["import", file.path, "--db", db])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("30,000 added"))
    }

    /// summary and contiguity print what the planner library renders, from a file and from the store.
    @Test func plannerCommands() throws {
        let file = "geodata/nanhai-sample.geojson"
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent(file).path))
        var options = ContiguityReport.Options()
        options.gapMetres = 10
        let blocks = try Run(["contiguity", file, "--gap", "10", "--format", "json"])
        #expect(blocks.status == 0, "\(blocks.stderr)")
        #expect(blocks.stdout == (try ContiguityReport.analyse(parcels, crs: crs, options: options).json()))

        let dir = try scratch()
        let db = dir.appendingPathComponent("p.gpkg").path
        _ = try Run(["import", file, "--db", db, "--date", "2023-01-01"])
        let summary = try Run(["summary", "--db", db, "--by", "village", "--by", "state", "--format", "csv"])
        #expect(summary.status == 0, "\(summary.stderr)")
        let fromStore = try GeoPackageStore(path: db).snapshot()
        #expect(summary.stdout == (try SummaryReport(parcels: fromStore.parcels, crs: fromStore.crs, by: [.village, .state]).csv()))

        let wrong = try Run(["contiguity", file, "--as-of", "2024-01-01"])
        #expect(wrong.status == 64)
        #expect(wrong.stderr.contains("--as-of reads the store"))
    }

    /// `summary` of a file prints what a run without the cache prints: when it fills the cache,
    /// when it reads it (geodesic areas: the kept ones, no polygon read) and with a method that
    /// measures the polygons again (they are read from the cache then).
    @Test func summaryFromTheCachePrintsWhatTheFileGives() throws {
        let file = "geodata/nanhai-sample.geojson"
        let environment = ["XDG_CACHE_HOME": try scratch().path]
        for arguments in [["--by", "village", "--by", "state", "--format", "json"], ["--by", "pbf", "--area-method", "planar", "--format", "csv"],
                          ["--by", "landuse", "--area-method", "survey"]] {
            let uncached = try Run(["summary", file] + arguments, environment: ["LANDTRACK_NO_CACHE": "1"])
            #expect(uncached.status == 0 && uncached.stdout.contains("mu"), "\(uncached.stderr)")
            for round in 1...2 {
                let run = try Run(["summary", file] + arguments, environment: environment)
                #expect(run.status == 0 && run.stdout == uncached.stdout, "\(arguments), run \(round)")
            }
        }
    }

    /// The first contiguity command on a file that selects at least half its parcels keeps gap
    /// 0's contact graph beside them in the cache (one that selects few does not make it); the
    /// next ones (another gap, PBF only, all states) read it, unchanged, and print what a run
    /// without the cache prints; a damaged graph is refused, made and kept again.
    @Test func contiguityKeepsTheContactGraphInTheCache() throws {
        let file = "geodata/nanhai-sample.geojson"
        let cacheHome = try scratch()
        let environment = ["XDG_CACHE_HOME": cacheHome.path]
        let folder = cacheHome.appendingPathComponent("landtrack")
        func graphs() -> [URL] {
            ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []).filter { $0.pathExtension == "contacts" }
        }
        func inode(_ url: URL) throws -> Int { try #require(FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? Int) }
        let few = ["--states", "industrial_park", "--format", "json"]
        let fewUncached = try Run(["contiguity", file] + few, environment: ["LANDTRACK_NO_CACHE": "1"])
        let fewRun = try Run(["contiguity", file] + few, environment: environment)
        #expect(fewRun.status == 0 && fewRun.stdout == fewUncached.stdout && fewRun.stdout.contains("\"block_count\":"))
        #expect(graphs().isEmpty, "a graph made for a selection of few parcels")
        let commands = [["--gap", "0"], ["--gap", "10", "--format", "json"], ["--pbf-only", "--format", "csv"], ["--all", "--gap", "2", "--format", "json"], few]
        let uncached = try commands.map { try Run(["contiguity", file] + $0, environment: ["LANDTRACK_NO_CACHE": "1"]) }
        var keptInode: Int?
        for (k, command) in commands.enumerated() {
            let run = try Run(["contiguity", file] + command, environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(uncached[k].status == 0 && run.stdout == uncached[k].stdout, "\(command)")
            let kept = try #require(graphs().first)
            #expect(graphs().count == 1)
            // Written once, by the first command; read by the others.
            if let keptInode { #expect(try inode(kept) == keptInode, "\(command) wrote the graph again") }
            keptInode = try inode(kept)
        }
        let kept = try #require(graphs().first)
        let whole = try Data(contentsOf: kept)
        try Data(whole.prefix(whole.count - 8)).write(to: kept)
        let rerun = try Run(["contiguity", file, "--gap", "10", "--format", "json"], environment: environment)
        #expect(rerun.stdout == uncached[1].stdout)
        #expect(try Data(contentsOf: kept) == whole)
    }
}
