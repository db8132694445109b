import Foundation
import Testing
import Geometry
import GeoPackageStore
import Parcels
import Store
import Planner
import TestSupport

/// `landtrack serve` as a user starts it, read by real clients: GDAL's OAPIF driver (as QGIS
/// reads it) and curl; `landtrack token` and `landtrack map` from the command line.
@Suite("landtrack serve, token and map", .serialized)
struct ServeAndMapCommandTests {
    /// A running `landtrack serve --port 0`; the port is read from its first line.
    final class Server {
        let process = Process()
        let base: String

        init(db: String, extra: [String] = []) throws {
            process.executableURL = Run.binary
            process.arguments = ["serve", "--db", db, "--port", "0"] + extra
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += chunk
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let range = text.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) else {
                process.terminate()
                throw LandtrackError.invalidArgument("landtrack serve did not start: \(text)")
            }
            base = String(text[range])
        }

        deinit {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
    }

    func scratch() throws -> URL { try scratchFolder("landtrack-serve") }

    func curl(_ arguments: [String]) throws -> ProcessRun {
        try ProcessRun(URL(fileURLWithPath: "/usr/bin/curl"), ["-s"] + arguments)
    }

    @Test func gdalReadsTheLayersAndEveryParcel() throws {
        guard let ogrinfo = ProcessRun.installed("ogrinfo") else {
            Issue.record("ogrinfo is not installed (scripts/test.sh installs gdal-bin): the OAPIF client test did not run")
            return
        }
        let store = try demoProgrammeStore()
        let server = try Server(db: store.location)
        let summary = try ProcessRun(ogrinfo, ["-ro", "-so", "-al", "OAPIF:\(server.base)/"])
        #expect(summary.status == 0, "\(summary.stderr)")
        for layer in ["parcels", "urban_boundary", "eco_redline", "programme_area", "barriers"] {
            #expect(summary.stdout.contains("Layer name: \(layer)\n"), "\(layer) missing")
        }
        let count = try store.snapshot().parcels.count
        #expect(summary.stdout.contains("Feature Count: \(count)\n"))
        // Every feature, page by page, as GDAL walks the next links.
        let all = try ProcessRun(ogrinfo, ["-ro", "-q", "OAPIF:\(server.base)/", "parcels"])
        #expect(all.stdout.components(separatedBy: "OGRFeature(parcels)").count - 1 == count)
        // One collection by its own URL (how QGIS adds a single layer); GDAL filters on the client.
        let wasteland = try ProcessRun(ogrinfo, ["-ro", "-so", "OAPIF:\(server.base)/collections/parcels", "parcels", "-where", "state = 'wasteland'"])
        #expect(wasteland.stdout.contains("Feature Count: \(try store.snapshot().parcels.filter { $0.state == .wasteland }.count)\n"), "\(wasteland.stdout)")
    }

    /// QGIS itself (python3-qgis, headless): its OAPIF provider adds the server's parcels layer
    /// (it needs the landing page's OpenAPI service-desc), pages through every parcel once, in
    /// EPSG:4326; its OGR provider opens the store file directly with the same count.
    @Test func qgisAddsTheServersLayerAndReadsEveryParcel() throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/qgis/core/__init__.py") else {
            Issue.record("python3-qgis is not installed (scripts/test.sh installs it): the QGIS client test did not run")
            return
        }
        let store = try demoProgrammeStore()
        let server = try Server(db: store.location)
        let qgis = try ProcessRun(URL(fileURLWithPath: "/usr/bin/python3"),
                                  [SharedData.repositoryRoot.appendingPathComponent("Tests/clients/qgis_oapif.py").path, server.base, store.location],
                                  environment: ["QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": NSTemporaryDirectory()])
        #expect(qgis.status == 0, "\(qgis.stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(qgis.stdout.utf8)) as? [String: Any], "\(qgis.stdout) \(qgis.stderr)")
        let oapif = try #require(seen["oapif"] as? [String: Any])
        #expect(oapif["valid"] as? Bool == true, "\(oapif)")
        let active = try store.snapshot().parcels.map(\.id)
        let ids = oapif["ids"] as? [String] ?? []
        #expect(ids.count == active.count && Set(ids) == Set(active), "QGIS read \(ids.count) parcels, the store has \(active.count)")
        #expect((oapif["count"] as? NSNumber)?.intValue == active.count)
        #expect(oapif["crs"] as? String == "EPSG:4326")
        #expect((oapif["fields"] as? [String])?.prefix(3) == ["id", "state", "basic_farmland"])
        // The same layer with a property filter: the parcels the store's snapshot has so.
        let filtered = try #require(seen["filtered"] as? [String: Any])
        let wasteland = try store.snapshot().parcels.filter { $0.state == .wasteland && !$0.basicFarmland }.map(\.id)
        #expect(filtered["valid"] as? Bool == true && Set(filtered["ids"] as? [String] ?? []) == Set(wasteland),
                "QGIS's filtered layer: \((filtered["ids"] as? [String])?.count ?? -1) parcels, the store has \(wasteland.count)")
        let file = try #require(seen["file"] as? [String: Any])
        #expect(file["valid"] as? Bool == true && file["crs"] as? String == "EPSG:4326", "\(file)")
        // The file layer holds every parcel, retired ones included (active = 0).
        #expect((file["count"] as? NSNumber)?.intValue == (try store.counts())["parcels"])
    }

    /// curl's answers are the CLI's outputs, byte for byte; a write with a planner's token
    /// shows in the CLI's history with the owner's name.
    @Test func curlGetsTheCLIsNumbersAndWritesWithAToken() throws {
        let dir = try scratch()
        let db = dir.appendingPathComponent("p.gpkg").path
        try FileManager.default.copyItem(atPath: try demoProgrammeStore().path, toPath: db)
        let token = try Run(["token", "create", "--role", "planner", "--owner", "Li Wei", "--db", db])
        #expect(token.status == 0 && token.stdout.hasPrefix("lt_"), "\(token.stderr)")
        let secret = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let list = try Run(["token", "list", "--db", db])
        #expect(list.stdout.contains("Li Wei") && list.stdout.contains("planner") && !list.stdout.contains(secret))

        let server = try Server(db: db)
        let cli = try Run(["summary", "--by", "village", "--by", "state", "--as-of", "2024-12-31", "--format", "json", "--db", db])
        #expect(try curl(["\(server.base)/summary?by=village,state&as-of=2024-12-31"]).stdout == cli.stdout)
        let checks = try Run(["check", "--as-of", "2025-12-31", "--format", "json", "--db", db])
        #expect(try curl(["\(server.base)/checks?as-of=2025-12-31"]).stdout == checks.stdout)

        let body = #"{"to":"wasteland","date":"2026-02-01","ref":"NH-2026","note":"left fallow"}"#
        let anonymous = try curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d", body, "\(server.base)/parcels/NH-000002/transitions"])
        #expect(anonymous.stdout == "401")
        let written = try curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Authorization: Bearer \(secret)", "-d", body,
                                "\(server.base)/parcels/NH-000002/transitions"])
        #expect(written.stdout == "201")
        let history = try Run(["history", "NH-000002", "--format", "csv", "--db", db])
        #expect(history.stdout.split(separator: "\n").last?.contains("transition,farmland,wasteland,,,R3,NH-2026,Li Wei,") == true, "\(history.stdout)")
        #expect(try curl(["\(server.base)/parcels/NH-000002/history"]).stdout == (try Run(["history", "NH-000002", "--format", "json", "--db", db])).stdout)
    }

    /// A store with pages overwritten in the middle (a disk or copy gone wrong) is refused at
    /// start, naming the file; before, the server started and answered 500 to everything.
    @Test(arguments: ["overwritten", "truncated"]) func aDamagedStoreIsRefusedAtStart(_ damage: String) throws {
        let dir = try scratch()
        let db = dir.appendingPathComponent("damaged.gpkg").path
        try FileManager.default.copyItem(atPath: try demoProgrammeStore().path, toPath: db)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int)
        let handle = try #require(FileHandle(forWritingAtPath: db))
        if damage == "overwritten" {
            // Whole 4 KB pages in the middle of the file (SQLite's page size here), as dd would write them.
            try handle.seek(toOffset: UInt64(size / 2 / 4096 * 4096))
            handle.write(Data(repeating: 0xA5, count: 8 * 4096))
        } else {
            try handle.truncate(atOffset: UInt64(size / 2))
        }
        try handle.close()
        let run = try Run(["serve", "--db", db, "--port", "0"])
        #expect(run.status != 0 && run.stdout.isEmpty, "the server started on a damaged store: \(run.stdout)")
        #expect(run.stderr.contains(db) && run.stderr.contains("damaged store"), "\(run.stderr)")
    }

    /// `serve --read-only`, and a store file the server cannot write (mode 444; as root, which
    /// writes any file, the immutable attribute): reads as usual, changes 503 with the reason,
    /// the file unchanged.
    @Test func aStoreServedReadOnly() throws {
        let dir = try scratch()
        let db = dir.appendingPathComponent("ro.gpkg").path
        try FileManager.default.copyItem(atPath: try demoProgrammeStore().path, toPath: db)
        let secret = try Run(["token", "create", "--role", "planner", "--owner", "Li Wei", "--db", db]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var runs = [["--read-only"]]
        if getuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: db)
            runs.append([])
        } else if let chattr = ProcessRun.installed("chattr"), try ProcessRun(chattr, ["+i", db]).status == 0 {
            runs.append([])
        } else {
            Issue.record("chattr +i failed (a file system without the immutable attribute?): the not-writable store was not tested as root")
        }
        defer { if let chattr = ProcessRun.installed("chattr") { _ = try? ProcessRun(chattr, ["-i", db]) } }
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        for extra in runs {
            let server = try Server(db: db, extra: extra)
            #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", "\(server.base)/collections/parcels/items?limit=1"]).stdout == "200")
            let body = #"{"to":"wasteland","date":"2026-02-01"}"#
            let refused = try curl(["-w", "\n%{http_code}", "-X", "POST", "-H", "Authorization: Bearer \(secret)", "-d", body,
                                    "\(server.base)/parcels/NH-000002/transitions"]).stdout
            #expect(refused.hasSuffix("\n503") && refused.contains("\"error\":\"read-only\""), "\(extra): \(refused)")
            // The reason says why: the flag, or the file the server cannot write.
            #expect(refused.contains(extra.isEmpty ? "is not writable" : "--read-only"), "\(extra): \(refused)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }

    @Test func mapCommandWritesThePage() throws {
        let dir = try scratch()
        let store = try demoProgrammeStore()
        let out = dir.appendingPathComponent("compare.html").path
        let run = try Run(["map", out, "--db", store.location, "--compare", "2023-01-01", "2025-12-31"])
        #expect(run.status == 0, "\(run.stderr)")
        let counts = try ["2023-01-01", "2025-12-31"].map { try store.snapshot(asOf: try CalendarDate(parsing: $0)).parcels.count }
        #expect(run.stdout.hasPrefix("wrote \(out): \(grouped(counts[0])) parcels as of 2023-01-01 | \(grouped(counts[1])) parcels as of 2025-12-31, "))
        #expect(FileManager.default.fileExists(atPath: out))
        for (arguments, message) in [
            (["map", out, "--db", store.location, "--compare", "2025-12-31"], "two dates"),
            (["map", out, "--db", store.location, "--compare", "2025-12-31", "2023-01-01"], "not before"),
            (["map", dir.appendingPathComponent("map.png").path, "--db", store.location], "HTML"),
            (["map", out, "--db", store.location, "--as-of", "2024-02-30"], "--as-of"),
        ] {
            let bad = try Run(arguments)
            #expect(bad.status == 64 && bad.stderr.contains(message), "\(arguments): \(bad.stderr)")
        }
        let missing = try Run(["map", out, "--db", dir.appendingPathComponent("none.gpkg").path])
        #expect(missing.status == 2 && missing.stderr.contains("no store here"))
    }
}
