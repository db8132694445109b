import Foundation
import Testing
import TestSupport

/// The CLI on a PostGIS store: `landtrack copy` there and back, the reports compared byte for
/// byte, two processes racing, and GDAL and QGIS listing the tables with their CRS.
@Suite("landtrack on PostgreSQL/PostGIS", .serialized, .enabled(if: Backend.available.contains(.postGIS), "needs PostgreSQL 15 with PostGIS"))
struct PostGISCommandTests {
    func scratch() throws -> URL { try scratchFolder("landtrack-pg-e2e") }

    /// The report commands a planner runs, each with the store last (`--db`).
    static let reports: [[String]] = [
        ["history", "NH-000123"], ["history", "NH-000123", "--format", "json"],
        ["summary", "--as-of", "2024-12-31", "--by", "village", "--by", "state"], ["summary", "--format", "csv"],
        ["changes", "--from", "2023-01-01", "--to", "2025-12-31"], ["changes", "--from", "2023-01-01", "--to", "2025-12-31", "--format", "json"],
        ["contiguity", "--gap", "0"], ["contiguity", "--gap", "2", "--format", "json"],
        ["check", "--as-of", "2025-12-31"], ["check", "--format", "json"],
        ["parcels", "--as-of", "2024-06-30", "--format", "csv"],
    ]

    /// GeoPackage → PostGIS → GeoPackage with the CLI: every report is the same, byte for byte,
    /// from all three stores; a copy into a store that has parcels is refused and changes nothing.
    @Test func copyThereAndBackGivesTheSameReports() throws {
        let dir = try scratch()
        let source = try demoProgrammeStore().path
        let postgis = try TestPostgres.server.get().newDatabase()
        let back = dir.appendingPathComponent("back.gpkg").path
        let there = try Run(["copy", "--from", source, "--to", postgis])
        #expect(there.status == 0, "\(there.stderr)")
        let again = try Run(["copy", "--from", source, "--to", postgis])
        #expect(again.status != 0 && again.stderr.contains("empty"), "\(again.stderr)")
        let home = try Run(["copy", "--from", postgis, "--to", back])
        #expect(home.status == 0, "\(home.stderr)")
        for report in Self.reports {
            let outputs = try [source, postgis, back].map { try Run(report + ["--db", $0]) }
            // check exits 1 when a rule fails (the demo programme breaks some on purpose).
            #expect(!outputs[0].stdout.isEmpty && outputs[0].stderr.isEmpty, "\(report): \(outputs[0].stderr)")
            #expect(outputs[1].stdout == outputs[0].stdout, "\(report) from PostGIS differs")
            #expect(outputs[2].stdout == outputs[0].stdout, "\(report) after the copy back differs")
            #expect(outputs.allSatisfy { $0.status == outputs[0].status })
        }
    }

    /// A write through the CLI on PostGIS, then two CLI processes racing for one parcel: one
    /// moves it, the other is refused (exit 1) with nothing written.
    @Test func twoProcessesRaceForOneParcel() throws {
        let postgis = try TestPostgres.server.get().newDatabase()
        let imported = try Run(["import", "geodata/nanhai-sample.geojson", "--db", postgis, "--date", "2023-01-01"])
        #expect(imported.status == 0 && imported.stdout.contains("2,000 added"), "\(imported.stderr)")
        let listed = try Run(["parcels", "--state", "farmland", "--format", "csv", "--db", postgis])
        let ids = listed.stdout.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) }
        let targets = Array(ids.prefix(4))
        #expect(targets.count == 4, "\(listed.stdout.prefix(300))")
        for id in targets {
            let results = try race(2) { k in
                try Run(["transition", id, "--to", "wasteland", "--date", "2024-02-01", "--by", "process \(k)", "--db", postgis])
            }
            #expect(results.map(\.status).sorted() == [0, 1], "\(id): \(results.map(\.stderr))")
            #expect(results.first { $0.status == 1 }?.stderr.contains("already") == true, "\(results.map(\.stderr))")
            let history = try Run(["history", id, "--format", "csv", "--db", postgis])
            #expect(history.stdout.split(separator: "\n").filter { $0.contains(",transition,") }.count == 1, "\(history.stdout)")
        }
    }

    /// ogrinfo (GDAL's PostgreSQL driver) and QGIS list the landtrack tables as layers with
    /// their geometry type and CRS, and read every row.
    @Test func gdalAndQGISListTheLayers() throws {
        guard let ogrinfo = ProcessRun.installed("ogrinfo") else {
            Issue.record("ogrinfo is not installed (scripts/test.sh installs gdal-bin)")
            return
        }
        let server = try TestPostgres.server.get()
        let postgis = server.url("pg_ogr")
        try server.psql("postgres", "CREATE DATABASE pg_ogr TEMPLATE landtrack_template")
        let copied = try Run(["copy", "--from", try demoProgrammeStore().path, "--to", postgis])
        #expect(copied.status == 0, "\(copied.stderr)")
        let connection = "PG:host=\(server.folder) dbname=pg_ogr user=\(TestPostgres.user)"
        let list = try ProcessRun(ogrinfo, ["-ro", "-q", connection])
        #expect(list.status == 0, "\(list.stderr)")
        for layer in ["parcels (Multi Polygon)", "urban_boundary", "eco_redline", "programme_area", "barriers"] {
            #expect(list.stdout.contains(layer), "\(layer) not in \(list.stdout)")
        }
        let parcels = try ProcessRun(ogrinfo, ["-ro", "-so", connection, "parcels"])
        #expect(parcels.stdout.contains("Geometry: Multi Polygon"), "\(parcels.stdout)")
        let all = try server.psql("pg_ogr", "SELECT count(*) FROM parcels").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(parcels.stdout.contains("Feature Count: \(all)"), "\(parcels.stdout)")
        // The demo programme is in WGS 84 lon/lat: the layer says so.
        #expect(parcels.stdout.contains("ID[\"EPSG\",4326]") || parcels.stdout.contains("AUTHORITY[\"EPSG\",\"4326\"]"), "\(parcels.stdout)")
        #expect(parcels.stdout.contains("Data axis to CRS axis mapping: 2,1"), "\(parcels.stdout)")

        // QGIS's own PostgreSQL provider (python3-qgis, headless): the tables it lists with a
        // geometry column, their CRS, and each layer loaded with every row.
        guard FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/qgis/core/__init__.py") else {
            Issue.record("python3-qgis is not installed (scripts/test.sh installs it): the QGIS listing did not run")
            return
        }
        let qgis = try ProcessRun(URL(fileURLWithPath: "/usr/bin/python3"),
                                  [SharedData.repositoryRoot.appendingPathComponent("Tests/clients/qgis_postgis_layers.py").path,
                                   server.folder, "pg_ogr", TestPostgres.user],
                                  environment: ["QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": NSTemporaryDirectory()])
        #expect(qgis.status == 0, "\(qgis.stderr)")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(qgis.stdout.utf8)) as? [String: Any])
        let tables = (listed["tables"] as? [[String: Any]] ?? []).filter { ($0["geometry_column"] as? String) == "geom" }
        let byName = Dictionary(tables.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName.keys.sorted() == ["barriers", "eco_redline", "parcels", "programme_area", "urban_boundary"], "\(qgis.stdout)")
        for (name, table) in byName {
            #expect(table["valid"] as? Bool == true && table["layer_crs"] as? String == "EPSG:4326", "\(name): \(table)")
            let rows = try server.psql("pg_ogr", "SELECT count(*) FROM \(name)").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect((table["features"] as? NSNumber)?.stringValue == rows, "\(name): \(table)")
        }
        #expect((byName["parcels"]?["types"] as? [String]) == ["MultiPolygon"])
    }
}
