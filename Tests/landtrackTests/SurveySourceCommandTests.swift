import Foundation
import Testing
import TestSupport
import Parcels

/// The commands on a bureau's kind of file: a GBK shapefile without a .cpg, in CGCS2000
/// Gauss-Krüger zone 38 (EPSG:4526), made here with ogr2ogr from the sample. Its reports equal
/// the GeoJSON's line for line (the ellipsoid named differs: CGCS2000 instead of WGS 84).
@Suite("landtrack on a GDAL source", .serialized)
struct SurveySourceCommandTests {
    let sample = "geodata/nanhai-sample.geojson"

    /// The report without the lines that name the file or describe the ellipsoid, and with the
    /// ellipsoid's name taken out of the method column.
    func body(_ text: String) -> [String] {
        let lines = text.split(separator: "\n").map { $0.replacingOccurrences(of: " (CGCS2000)", with: "").replacingOccurrences(of: " (WGS 84)", with: "") }
            .filter { !$0.contains("ellipsoid") && !$0.contains(".shp") && !$0.contains(".geojson") }
        #expect(lines.count > 5, "the comparison would be empty: \(text.prefix(300))")
        return lines
    }

    /// Each parcel's area by `landtrack area FILE --method METHOD --format csv`, by id.
    func areasByParcel(_ file: String, method: String) throws -> [String: Double] {
        var areas: [String: Double] = [:]
        for line in try Run(["area", file, "--method", method, "--format", "csv"]).stdout.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",")
            if cells.count >= 2, cells[0].hasPrefix("NH-"), let a = Double(cells[1]) { areas[String(cells[0])] = a }
        }
        return areas
    }

    /// A summary table's rows: the key columns (joined by a space; "total") → parcels and m².
    func summaryRows(_ text: String) -> [String: (count: String, m2: Double)] {
        var out: [String: (count: String, m2: Double)] = [:]
        for line in text.split(separator: "\n") {
            let cells = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard cells.count >= 5, let m2 = Double(cells[cells.count - 3]) else { continue }
            out[cells.dropLast(4).joined(separator: " ")] = (cells[cells.count - 4], m2)
        }
        return out
    }

    /// A scratch folder of its own.
    func scratch() throws -> URL { try scratchFolder("landtrack-survey") }

    /// `source` as a GBK shapefile in EPSG:4526 made by ogr2ogr (with `sql` selecting and renaming
    /// its fields), or nil, recorded, when ogr2ogr is missing (scripts/test.sh installs gdal-bin).
    func gbkShapefile(_ path: String, from source: String, sql: String? = nil) throws -> String? {
        guard let ogr2ogr = ProcessRun.installed("ogr2ogr") else {
            Issue.record("ogr2ogr is not installed (scripts/test.sh installs gdal-bin): the GDAL source was not tested end to end")
            return nil
        }
        let select = sql.map { ["-dialect", "SQLite", "-sql", $0] } ?? []
        let made = try ProcessRun(ogr2ogr, ["-f", "ESRI Shapefile", "-t_srs", "EPSG:4526", "-lco", "ENCODING=GBK"] + select + [path, source])
        #expect(made.status == 0, "\(made.stderr)")
        return made.status == 0 ? path : nil
    }

    /// GDAL is loaded only by a command on survey data: a GeoJSON summary does not open libgdal
    /// (its ~100 libraries took ~80 ms of every start), a shapefile's does; nor does it open PROJ
    /// (~10 ms) or libpq (~5 ms), which a 10 m block analysis and a PostGIS store open. The dynamic
    /// loader's own log (LD_DEBUG=files) lists the files it opened; GEOS's, which every command
    /// links, shows that the log is there.
    @Test func gdalProjAndLibpqAreLoadedOnlyWhenUsed() throws {
        let geojson = try Run(["summary", sample], environment: ["LD_DEBUG": "files"])
        #expect(geojson.status == 0, "\(geojson.stderr.suffix(300))")
        // GEOS is linked: its loading shows the dynamic linker's report is heard.
        #expect(geojson.stderr.contains("file=libgeos_c.so"))
        // PROJ and libpq are opened on first use too, and a summary of a GeoJSON file uses neither.
        for library in ["libgdal", "libproj", "libpq"] { #expect(!geojson.stderr.contains("file=\(library)"), "\(library)") }
        // A block analysis at a 10 m gap projects the parcels: PROJ is opened then.
        let projected = try Run(["contiguity", sample, "--gap", "10"], environment: ["LD_DEBUG": "files", "LANDTRACK_NO_CACHE": "1"])
        #expect(projected.status == 0, "\(projected.stderr.suffix(300))")
        #expect(projected.stderr.contains("file=libproj.so"))
        let dir = try scratch()
        guard let shp = try gbkShapefile(dir.appendingPathComponent("dltb.shp").path, from: sample) else { return }
        let shapefile = try Run(["summary", shp, "--encoding", "GBK"], environment: ["LD_DEBUG": "files"])
        #expect(shapefile.status == 0, "\(shapefile.stderr.suffix(300))")
        #expect(shapefile.stderr.contains("file=libgdal.so"))
    }

    /// A shapefile imported again is not read when none of its parts changed (they are hashed,
    /// with the layer, the encoding and GDAL's version); another --encoding, or a changed .dbf,
    /// is read and compared.
    @Test func aShapefileImportedAgainIsReadOnlyWhenItChanged() throws {
        let dir = try scratch()
        guard let shp = try gbkShapefile(dir.appendingPathComponent("dltb.shp").path, from: sample) else { return }
        let db = dir.appendingPathComponent("store.gpkg").path
        let fields = ["--pbf-field", "basic_farm", "--landuse-field", "landuse_co", "--db", db]
        let first = try Run(["import", shp] + fields)
        #expect(first.status == 0 && first.stdout.contains("2,000 added"), "\(first.stdout) \(first.stderr)")
        let again = try Run(["import", shp] + fields)
        #expect(again.stdout.contains("2,000 unchanged") && again.stdout.contains("not read again"), "\(again.stdout) \(again.stderr)")
        let encoding = try Run(["import", shp, "--encoding", "GBK"] + fields)
        #expect(encoding.stdout.contains("2,000 unchanged") && !encoding.stdout.contains("not read again"), "\(encoding.stdout) \(encoding.stderr)")
        // The shapefile made again from a file where one parcel's village changed.
        let text = try String(contentsOf: SharedData.repositoryRoot.appendingPathComponent(sample), encoding: .utf8)
        let village = #""id":"NH-000001","state":"wasteland","basic_farmland":true,"village":"黄庄村""#
        #expect(text.contains(village))
        let edited = dir.appendingPathComponent("edited.geojson").path
        try text.replacingOccurrences(of: village, with: village.replacingOccurrences(of: "黄庄村", with: "新村")).write(toFile: edited, atomically: true, encoding: .utf8)
        for part in ["shp", "shx", "dbf", "prj", "cpg"] { try? FileManager.default.removeItem(at: dir.appendingPathComponent("dltb.\(part)")) }
        guard try gbkShapefile(shp, from: edited) != nil else { return }
        let changed = try Run(["import", shp, "--encoding", "GBK"] + fields)
        #expect(changed.stdout.contains("1 updated, 1,999 unchanged") && !changed.stdout.contains("not read again"), "\(changed.stdout) \(changed.stderr)")
    }

    @Test func reportsOfAGBKShapefileEqualTheGeoJSONs() throws {
        let dir = try scratch()
        guard let shp = try gbkShapefile(dir.appendingPathComponent("dltb.shp").path, from: sample) else { return }
        try FileManager.default.removeItem(atPath: dir.appendingPathComponent("dltb.cpg").path)
        // The shapefile's 10-character field names.
        let fields = ["--encoding", "GBK", "--pbf-field", "basic_farm", "--landuse-field", "landuse_co"]

        let area = try Run(["area", shp, "--format", "csv"] + fields)
        #expect(area.status == 0, "\(area.stderr)")
        #expect(body(area.stdout) == body(try Run(["area", sample, "--format", "csv"]).stdout))
        for command in [["summary", "--by", "village", "--by", "state"], ["contiguity"], ["contiguity", "--gap", "10", "--pbf-only"]] {
            let fromShapefile = try Run(command + [shp] + fields)
            #expect(fromShapefile.status == 0, "\(command): \(fromShapefile.stderr)")
            #expect(body(fromShapefile.stdout) == body(try Run(command + [sample]).stdout), "\(command)")
        }
        let db = dir.appendingPathComponent("store.gpkg").path
        let imported = try Run(["import", shp, "--db", db] + fields)
        #expect(imported.status == 0 && imported.stdout.contains("2,000 added"), "\(imported.stdout) \(imported.stderr)")
        #expect(body(try Run(["summary", "--by", "village", "--db", db]).stdout) == body(try Run(["summary", "--by", "village", sample]).stdout))

        // Without the encoding: refused, naming the field and the way out; nothing imported.
        let refused = try Run(["import", shp, "--db", dir.appendingPathComponent("other.gpkg").path, "--pbf-field", "basic_farm"])
        #expect(refused.status != 0 && refused.stderr.contains("field village") && refused.stderr.contains("--encoding GBK"), "\(refused.stderr.prefix(400))")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("other.gpkg").path))
        // --source-layer names a layer that is not there: the layers are listed.
        let missing = try Run(["area", shp, "--source-layer", "DLTB"] + fields)
        #expect(missing.status != 0 && missing.stderr.contains("no layer \"DLTB\"") && missing.stderr.contains("dltb"), "\(missing.stderr)")
        // GeoJSON takes neither option.
        let misplaced = try Run(["area", sample, "--encoding", "GBK"])
        #expect(misplaced.status == 64 && misplaced.stderr.contains("--encoding"), "\(misplaced.stderr)")
    }

    /// `--schema sandiao` reads a layer with the survey's field names (BSM, DLBM, ZLDWMC; no state
    /// field: states from DLBM) as the GeoJSON read with its states taken from its land-use
    /// codes; a bureau's schema file does the same; a bad schema file is refused.
    @Test func theSurveysFieldNames() throws {
        let dir = try scratch()
        guard let shp = try gbkShapefile(dir.appendingPathComponent("DLTB.shp").path, from: sample,
                                         sql: "SELECT id AS BSM, landuse_code AS DLBM, village AS ZLDWMC, geometry FROM \"nanhai_parcels_2000\"") else { return }
        // States from land-use codes on both sides (the GeoJSON's own state field is not read).
        let truth = try Run(["summary", "--by", "village", "--by", "state", sample, "--state-field", "no_such_field"])
        #expect(truth.status == 0, "\(truth.stderr)")
        let survey = try Run(["summary", "--by", "village", "--by", "state", shp, "--schema", "sandiao"])
        #expect(survey.status == 0, "\(survey.stderr)")
        #expect(body(survey.stdout) == body(truth.stdout))
        let schema = dir.appendingPathComponent("bureau.json").path
        try #"{"id": "BSM", "landuse_code": "DLBM", "village": "ZLDWMC"}"#.write(toFile: schema, atomically: true, encoding: .utf8)
        #expect(body(try Run(["summary", "--by", "village", "--by", "state", shp, "--schema", schema]).stdout) == body(truth.stdout))
        // The ids are the survey's BSM.
        #expect(try Run(["area", shp, "--schema", "sandiao", "--format", "csv"]).stdout.contains("\nNH-000001,"))
        try #"{"id": "BSM", "parcel_colour": "DLBM"}"#.write(toFile: schema, atomically: true, encoding: .utf8)
        let bad = try Run(["area", shp, "--schema", schema])
        #expect(bad.status != 0 && bad.stderr.contains("parcel_colour") && bad.stderr.contains("landuse_code"), "\(bad.stderr)")
    }

    /// The survey's official areas (TBMJ) against landtrack's survey area: two parcels whose TBMJ
    /// was raised by 1 m² are named with both numbers; the rest (TBMJ rounded to 0.01 m², as the
    /// survey writes it) agree; validate still passes (a warning is not an error).
    @Test func officialAreasAreCrossChecked() throws {
        let dir = try scratch()
        let areas = try areasByParcel(sample, method: "survey")
        #expect(areas.count == 2000)
        let raised: Set<String> = ["NH-000007", "NH-001500"]
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: SharedData.repositoryRoot.appendingPathComponent(sample))) as? [String: Any])
        var features = try #require(document["features"] as? [[String: Any]])
        for i in features.indices {
            var properties = try #require(features[i]["properties"] as? [String: Any])
            let id = try #require(properties["id"] as? String)
            properties["TBMJ"] = ((areas[id] ?? 0) * 100).rounded() / 100 + (raised.contains(id) ? 1 : 0)
            features[i]["properties"] = properties
        }
        let withTBMJ = dir.appendingPathComponent("tbmj.geojson")
        try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "features": features]).write(to: withTBMJ)
        guard let shp = try gbkShapefile(dir.appendingPathComponent("DLTB.shp").path, from: withTBMJ.path,
                                         sql: "SELECT id AS BSM, landuse_code AS DLBM, village AS ZLDWMC, TBMJ, geometry FROM tbmj") else { return }
        let checked = try Run(["validate", shp, "--schema", "sandiao"])
        #expect(checked.status == 0, "\(checked.stdout.prefix(500)) \(checked.stderr)")
        #expect(checked.stdout.contains("TBMJ: 1,998 of 2,000 parcels agree with the survey area (TD/T 1055, CGCS2000) within 0.1 m² or 0.0001"), "\(checked.stdout.prefix(600))")
        let mismatches = checked.stdout.split(separator: "\n").filter { $0.contains("TBMJ is") }
        #expect(mismatches.count == 2 && raised.allSatisfy { id in mismatches.contains { $0.contains(id) && $0.contains("-1.00 m²") } }, "\(mismatches)")
        let json = try Run(["validate", shp, "--schema", "sandiao", "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let official = try #require(report["official_area"] as? [String: Any])
        #expect((official["checked"] as? NSNumber)?.intValue == 2000 && (official["agreeing"] as? NSNumber)?.intValue == 1998)
        // An import says the same, and records the parcels all the same (a warning is not a refusal).
        let imported = try Run(["import", shp, "--schema", "sandiao", "--db", dir.appendingPathComponent("store.gpkg").path])
        #expect(imported.status == 0 && imported.stdout.contains("2,000 added") && imported.stdout.contains("TBMJ: 1,998 of 2,000 parcels agree"),
                "\(imported.stdout) \(imported.stderr.prefix(300))")
        #expect(imported.stderr.split(separator: "\n").filter { $0.contains("TBMJ is") }.count == 2, "\(imported.stderr.prefix(500))")
        // A looser tolerance lets them agree.
        #expect(try Run(["validate", shp, "--schema", "sandiao", "--area-tolerance", "1.5"]).stdout.contains("TBMJ: 2,000 of 2,000"))
    }

    /// Net areas from the survey's deduction fields: farmland carries 5 % 田坎 (KCXS 0.05, KCDLBM
    /// 1203) with TBMJ, KCMJ and TBDLMJ written as the survey writes them. The 1203 line of the
    /// summary is 5 % of the farmland parcels' areas as `area` measures them one by one; the net
    /// lines and the 1203 line add up to the gross ones; the store reports what the file does.
    @Test func netAreasFromTheSurveysDeductions() throws {
        let dir = try scratch()
        let geodesic = try areasByParcel(sample, method: "geodesic"), official = try areasByParcel(sample, method: "survey")
        #expect(geodesic.count == 2000 && official.count == 2000)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: SharedData.repositoryRoot.appendingPathComponent(sample))) as? [String: Any])
        var features = try #require(document["features"] as? [[String: Any]])
        var ridges = 0.0, farmlandCount = 0
        for i in features.indices {
            var properties = try #require(features[i]["properties"] as? [String: Any])
            let id = try #require(properties["id"] as? String)
            let farmland = (properties["landuse_code"] as? String)?.hasPrefix("01") == true
            let tbmj = (official[id]! * 100).rounded() / 100, ratio = farmland ? 0.05 : 0
            let kcmj = (tbmj * ratio * 100).rounded() / 100
            properties["TBMJ"] = tbmj
            properties["KCXS"] = ratio
            properties["KCDLBM"] = farmland ? "1203" : ""
            properties["KCMJ"] = kcmj
            properties["TBDLMJ"] = ((tbmj - kcmj) * 100).rounded() / 100
            if farmland {
                ridges += geodesic[id]! * 0.05
                farmlandCount += 1
            }
            features[i]["properties"] = properties
        }
        #expect(ridges > 1000)
        let file = dir.appendingPathComponent("kc.geojson")
        try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "features": features]).write(to: file)
        guard let shp = try gbkShapefile(dir.appendingPathComponent("DLTB.shp").path, from: file.path, sql: """
            SELECT id AS BSM, landuse_code AS DLBM, village AS ZLDWMC, TBMJ, KCXS, KCDLBM, KCMJ, TBDLMJ, geometry FROM kc
            """) else { return }

        // The file's own figures agree with each other: no warning.
        let checked = try Run(["validate", shp, "--schema", "sandiao"])
        #expect(checked.status == 0 && !checked.stdout.contains("deduction-mismatch") && !checked.stdout.contains("warning"), "\(checked.stdout.prefix(600))")
        #expect(checked.stdout.contains("deductions: \(grouped(farmlandCount)) parcels carry one"),
                "\(checked.stdout.prefix(600))")

        let net = try Run(["summary", "--by", "landuse", shp, "--schema", "sandiao"])
        #expect(net.status == 0 && net.stdout.contains("areas: net"), "\(net.stderr)")
        let netRows = summaryRows(net.stdout).mapValues(\.m2)
        let grossRows = summaryRows(try Run(["summary", "--by", "landuse", shp, "--schema", "sandiao", "--area", "gross"]).stdout).mapValues(\.m2)
        #expect(abs(try #require(netRows["1203"]) - ridges) < 0.02, "\(netRows)")
        #expect(grossRows["1203"] == nil && grossRows["total"] == netRows["total"])
        let farmlandCodes = grossRows.keys.filter { $0.hasPrefix("01") }
        #expect(!farmlandCodes.isEmpty)
        for code in farmlandCodes { #expect(abs(netRows[code]! - 0.95 * grossRows[code]!) < 0.02, "\(code)") }
        // Gross, the file reports what the sample does with states from its land-use codes.
        let truth = try Run(["summary", "--by", "village", "--by", "state", sample, "--state-field", "no_such_field"])
        #expect(body(try Run(["summary", "--by", "village", "--by", "state", shp, "--schema", "sandiao", "--area", "gross"]).stdout) == body(truth.stdout))

        // The store keeps the deductions: its reports are the file's.
        let db = dir.appendingPathComponent("store.gpkg").path
        let imported = try Run(["import", shp, "--schema", "sandiao", "--db", db, "--date", "2024-01-01"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(body(try Run(["summary", "--by", "landuse", "--db", db]).stdout) == body(net.stdout))
        let check = try Run(["check", "--rules", "new-cultivated-land", "--db", db, "--format", "json"])
        #expect(check.stdout.contains("\"area_basis\":\"net\""), "\(check.stdout.prefix(300))")
        let map = dir.appendingPathComponent("map.html").path
        #expect(try Run(["map", map, "--db", db]).status == 0)
        let page = try String(contentsOfFile: map, encoding: .utf8)
        #expect(page.contains("net: each parcel") && page.contains("\"deduction\":["))
    }

    /// `import --layer-kind basic_farmland` with a PBF layer as a shapefile in EPSG:4526: the
    /// parcels designated and the shares listed for those the boundary crosses agree with GDAL's
    /// own overlay (SpatiaLite through ogr2ogr's SQLite dialect, on the lon/lat originals:
    /// area ratios in degrees differ from geodesic ones by ~1e-5 on parcels this small).
    @Test func basicFarmlandFromALayerOfPolygons() throws {
        let dir = try scratch()
        let layer = dir.appendingPathComponent("pbf.geojson").path
        try #"""
            {"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"name":"JB-1"},"geometry":{"type":"Polygon","coordinates":[[[113.0913,23.0409],[113.0985,23.0409],[113.0985,23.0465],[113.0913,23.0465],[113.0913,23.0409]]]}},
            {"type":"Feature","properties":{"name":"JB-2"},"geometry":{"type":"Polygon","coordinates":[[[113.098,23.0409],[113.1,23.0409],[113.1,23.044],[113.098,23.044],[113.098,23.0409]]]}}]}
            """#.write(toFile: layer, atomically: true, encoding: .utf8)
        guard let shp = try gbkShapefile(dir.appendingPathComponent("JBNTBHTB.shp").path, from: layer),
              let ogr2ogr = ProcessRun.installed("ogr2ogr") else { return }
        // GDAL's overlay: every parcel's share in the union of the layer, with its PBF flag.
        let both = dir.appendingPathComponent("both.gpkg").path
        #expect(try ProcessRun(ogr2ogr, ["-f", "GPKG", both, sample, "-nln", "parcels"]).status == 0)
        #expect(try ProcessRun(ogr2ogr, ["-f", "GPKG", "-append", both, layer, "-nln", "pbf"]).status == 0)
        let overlay = try ProcessRun(ogr2ogr, ["-f", "CSV", "/vsistdout/", both, "-dialect", "INDIRECT_SQLITE", "-sql", """
            SELECT p.id, p.basic_farmland, ST_Area(ST_Intersection(p.geom, u.g)) / ST_Area(p.geom) AS share,
              ST_Area(ST_Transform(ST_Intersection(p.geom, u.g), 4526)) AS overlap, ST_Area(ST_Transform(p.geom, 4526)) AS area
            FROM parcels p, (SELECT ST_Union(geom) AS g FROM pbf) u WHERE ST_Intersects(p.geom, u.g)
            """])
        #expect(overlay.status == 0, "\(overlay.stderr)")
        var gdal: [String: (pbf: Bool, share: Double, overlap: Double, area: Double)] = [:]
        for line in overlay.stdout.split(separator: "\n").dropFirst() {
            let cells = line.replacingOccurrences(of: "\"", with: "").split(separator: ",")
            if cells.count == 5, let share = Double(cells[2]), let overlap = Double(cells[3]), let area = Double(cells[4]) {
                gdal[String(cells[0])] = (cells[1] == "1", share, overlap, area)
            }
        }
        #expect(gdal.count > 50, "\(overlay.stdout.prefix(300))")
        let expectedNew = gdal.filter { !$0.value.pbf && $0.value.share >= 0.5 }.count
        // Straddling: more than a 0.01 m² sliver on each side (Gauss-Krüger m², within 1e-4 of geodesic).
        let expectedStraddling = gdal.filter { $0.value.overlap > 0.01 && $0.value.area - $0.value.overlap > 0.01 }

        let db = dir.appendingPathComponent("store.gpkg").path
        #expect(try Run(["import", sample, "--db", db, "--date", "2023-01-01"]).status == 0)
        let designated = try Run(["import", shp, "--layer-kind", "basic_farmland", "--db", db, "--date", "2024-06-30", "--ref", "PBF-2024"])
        #expect(designated.status == 0, "\(designated.stderr)")
        let lines = designated.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("JBNTBHTB.shp: \(expectedNew) parcels designated PBF (at least 50 % in 2 layer polygons)") == true, "\(lines.first ?? "")")
        var listed: [String: Double] = [:]
        for line in lines where line.hasPrefix("  NH-") && line.contains("% in the layer") {
            let id = String(line.dropFirst(2).prefix { $0 != ":" })
            let percent = line.split(separator: ":")[1].split(separator: "%")[0].trimmingCharacters(in: .whitespaces)
            if lines.firstIndex(of: line)! < (lines.firstIndex { $0.hasPrefix("PBF in the store") } ?? lines.count) { listed[id] = Double(percent)! / 100 }
        }
        #expect(Set(listed.keys) == Set(expectedStraddling.keys), "only landtrack: \(Set(listed.keys).subtracting(expectedStraddling.keys).sorted()), only GDAL: \(Set(expectedStraddling.keys).subtracting(listed.keys).map { "\($0) \(gdal[$0]!.share)" })")
        for (id, share) in listed { #expect(abs(share - gdal[id]!.share) < 2e-4, "\(id): \(share) vs GDAL \(gdal[id]!.share)") }
        // The designations are PBF events: the PBF area grew by what the summary by pbf says.
        let history = try Run(["history", try #require(gdal.first { !$0.value.pbf && $0.value.share >= 0.5 }?.key), "--db", db])
        #expect(history.stdout.contains("PBF-2024") && history.stdout.contains("from the PBF layer"), "\(history.stdout)")
        // A point layer, and a store that does not exist, are refused with reasons.
        let missing = try Run(["import", shp, "--layer-kind", "basic_farmland", "--db", dir.appendingPathComponent("none.gpkg").path])
        #expect(missing.status != 0 && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("none.gpkg").path), "\(missing.stderr)")
        let misplaced = try Run(["import", shp, "--layer-kind", "parcels", "--pbf-share", "0.4", "--db", db])
        #expect(misplaced.status == 64 && misplaced.stderr.contains("--pbf-share"), "\(misplaced.stderr)")
    }

    /// A programme's result back in the survey's schema: a GBK shapefile with its .cpg and a File
    /// Geodatabase from a store with deductions and state changes. GDAL reads what was written
    /// (fields, CRS, Chinese text through the .cpg); landtrack reads it back with `--schema
    /// sandiao` and reports what the store does; its TBMJ agrees with the survey area and its
    /// KCMJ/TBDLMJ with each other; re-imported with LT_STATE and LT_PBF it is the same record.
    @Test func exportInTheSurveysSchema() throws {
        let dir = try scratch()
        guard let ogrinfo = ProcessRun.installed("ogrinfo") else {
            Issue.record("ogrinfo is not installed (scripts/test.sh installs gdal-bin): the export was not read back by GDAL")
            return
        }
        // The sample with 5 % 田坎 on its farmland, in landtrack's own names.
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: SharedData.repositoryRoot.appendingPathComponent(sample))) as? [String: Any])
        var features = try #require(document["features"] as? [[String: Any]])
        for i in features.indices {
            var properties = try #require(features[i]["properties"] as? [String: Any])
            if (properties["landuse_code"] as? String)?.hasPrefix("01") == true {
                properties["deduction_ratio"] = 0.05
                properties["deduction_code"] = "1203"
            }
            features[i]["properties"] = properties
        }
        let file = dir.appendingPathComponent("kc.geojson")
        try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "features": features]).write(to: file)
        let db = dir.appendingPathComponent("store.gpkg").path
        #expect(try Run(["import", file.path, "--db", db, "--date", "2023-01-01"]).status == 0)
        #expect(try Run(["transition", "NH-000001", "--to", "reclaimed_farmland", "--date", "2024-01-01", "--db", db]).status == 0)

        let shp = dir.appendingPathComponent("DLTB.shp").path, gdb = dir.appendingPathComponent("result.gdb").path
        let exported = try Run(["export", shp, "--encoding", "GBK", "--db", db])
        #expect(exported.status == 0 && exported.stdout.contains("2,000 parcels, sandiao schema, EPSG:4526"), "\(exported.stdout) \(exported.stderr)")
        #expect(try String(contentsOfFile: dir.appendingPathComponent("DLTB.cpg").path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "GBK")
        let gdbRun = try Run(["export", gdb, "--db", db])
        #expect(gdbRun.status == 0 && gdbRun.stderr.isEmpty, "\(gdbRun.stdout) \(gdbRun.stderr)")

        // GDAL reads both: the survey's fields, the zone-prefixed CRS, the village in Chinese.
        for (source, layer) in [(shp, "DLTB"), (gdb, "DLTB")] {
            let info = try ProcessRun(ogrinfo, [source, layer, "-so"])
            #expect(info.status == 0, "\(info.stderr)")
            for field in ["BSM: String", "DLBM: String", "ZLDWMC: String", "TBMJ: Real", "KCDLBM: String", "KCXS: Real", "KCMJ: Real",
                          "TBDLMJ: Real", "LT_STATE: String", "LT_PBF: Integer"] {
                #expect(info.stdout.contains(field), "\(source): \(field)")
            }
            #expect(info.stdout.contains("ID[\"EPSG\",4526]") && info.stdout.contains("Feature Count: 2000"), "\(info.stdout.prefix(400))")
            let first = try ProcessRun(ogrinfo, [source, layer, "-where", "BSM = 'NH-000001'", "-geom=NO"])
            #expect(first.stdout.contains("ZLDWMC (String) = 黄庄村") && first.stdout.contains("LT_STATE (String) = reclaimed_farmland"), "\(first.stdout.suffix(500))")
        }

        // landtrack reads them back as the survey's data: the same report as the store's.
        let stored = try Run(["summary", "--by", "landuse", "--by", "village", "--db", db])
        #expect(stored.stdout.contains("1203"))
        for source in [shp, gdb] {
            let checked = try Run(["validate", source, "--schema", "sandiao"])
            #expect(checked.status == 0 && checked.stdout.contains("TBMJ: 2,000 of 2,000 parcels agree") && !checked.stdout.contains("warning"),
                    "\(checked.stdout.prefix(500))")
            let read = try Run(["summary", "--by", "landuse", "--by", "village", source, "--schema", "sandiao"]).stdout
            if source == shp {
                #expect(body(read) == body(stored.stdout))
            } else {
                // A File Geodatabase keeps coordinates on its 0.1 mm grid (OpenFileGDB's default XY
                // resolution for metres, as ArcGIS's): areas agree to 1e-7, the rest exactly.
                let a = summaryRows(read), b = summaryRows(stored.stdout)
                #expect(a.keys.sorted() == b.keys.sorted() && a.count > 3)
                for (key, row) in b {
                    #expect(a[key]?.count == row.count && abs(a[key]!.m2 - row.m2) <= 1e-7 * row.m2, "\(key): \(String(describing: a[key])) vs \(row)")
                }
            }
        }
        // Re-imported with its state and PBF columns, it is the same record.
        let again = dir.appendingPathComponent("again.gpkg").path
        let reimported = try Run(["import", shp, "--schema", "sandiao", "--state-field", "LT_STATE", "--pbf-field", "LT_PBF", "--db", again])
        #expect(reimported.status == 0, "\(reimported.stderr)")
        for by in [["--by", "state", "--by", "pbf"], ["--by", "landuse"]] {
            #expect(body(try Run(["summary"] + by + ["--db", again]).stdout) == body(try Run(["summary"] + by + ["--db", db]).stdout), "\(by)")
        }
        // Another CRS on request; an existing export is never overwritten.
        let geographic = dir.appendingPathComponent("geo.gdb").path
        #expect(try Run(["export", geographic, "--crs", "EPSG:4490", "--db", db]).status == 0)
        #expect(try ProcessRun(ogrinfo, [geographic, "DLTB", "-so"]).stdout.contains("ID[\"EPSG\",4490]"))
        let again2 = try Run(["export", shp, "--db", db])
        #expect(again2.status != 0 && again2.stderr.contains("exists already"), "\(again2.stderr)")
        let misplaced = try Run(["export", dir.appendingPathComponent("x.geojson").path, "--schema", "sandiao", "--db", db])
        #expect(misplaced.status == 64 && misplaced.stderr.contains("--schema"), "\(misplaced.stderr)")
    }
}
