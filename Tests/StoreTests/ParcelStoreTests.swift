import Foundation
import GRDB
import Testing
import Geometry
@testable import GeoPackageStore
import Parcels
import Store
import TestSupport

/// A fresh directory for one test's files.
func scratchDirectory() throws -> URL { try scratchFolder("landtrack-test") }

let geodata = SharedData.repositoryRoot.appendingPathComponent("geodata")

/// Runs an installed tool (ogrinfo, GDAL's validator); nil when it is not installed.
func tool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String)? {
    guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
    let r = try ProcessRun(URL(fileURLWithPath: path), arguments)
    return (r.status, r.stdout + r.stderr)
}

/// The store's behaviour on both backends; tests of the GeoPackage file itself (GDAL, SQLite
/// locks, migrations) are marked GeoPackage-only by taking no backend.
@Suite("Parcel store")
struct ParcelStoreTests {
    /// The Nanhai sample imported on `date` into a new store, and a scratch folder.
    func sampleStore(_ backend: Backend, date: String = "2023-01-01") throws -> (any ParcelStore, URL) {
        let dir = try scratchDirectory()
        let store = try backend.newStore()
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: date)
        options.ref = "NH-2023"
        let summary = try store.importParcels(try InputBytes(path: geodata.appendingPathComponent("nanhai-sample.geojson").path), options: options)
        #expect(summary.added == 2000)
        return (store, dir)
    }

    func sampleStore() throws -> (GeoPackageStore, URL) {
        let (store, dir) = try sampleStore(.geoPackage)
        return (store as! GeoPackageStore, dir)
    }

    /// GDAL opens the store as it is: layers, feature counts, CRS; its GeoPackage validator passes.
    @Test func gdalReadsTheStore() throws {
        let (store, _) = try sampleStore()
        guard let info = try tool("/usr/bin/ogrinfo", ["-so", "-al", store.location]) else {
            Issue.record("ogrinfo is not installed (scripts/test.sh installs gdal-bin)")
            return
        }
        #expect(info.status == 0, "\(info.output)")
        #expect(info.output.contains("Layer name: parcels"))
        #expect(info.output.contains("Feature Count: 2000"))
        #expect(info.output.contains("Layer name: parcel_events"))
        #expect(info.output.contains("WGS 84"))
        for layer in ConstraintLayer.allCases { #expect(info.output.contains("Layer name: \(layer.rawValue)")) }
        let validator = try #require(try tool("/usr/bin/python3", ["-m", "osgeo_utils.samples.validate_gpkg", store.location]))
        #expect(validator.status == 0, "GDAL validate_gpkg: \(validator.output)")
        // GDAL's reading of the geometries agrees with the store's areas: a spatial filter uses the R*Tree.
        let filtered = try #require(try tool("/usr/bin/ogrinfo", ["-q", "-spat", "113.1", "23.05", "113.1005", "23.0505", store.location, "parcels"]))
        #expect(filtered.output.contains("parcel_id (String) = NH-"))
    }

    @Test(arguments: Backend.available) func cgcs2000DataGiveACGCS2000Store(backend: Backend) throws {
        let store = try backend.newStore()
        _ = try store.importParcels(try InputBytes(path: geodata.appendingPathComponent("nanhai-sample-gk38.geojson").path), options: ImportOptions())
        #expect(try store.crs().epsgCode == 4490)
        if let info = try tool("/usr/bin/ogrinfo", ["-so", ogrSource(store), "parcels"]) {
            #expect(info.output.contains("China Geodetic Coordinate System 2000"), "\(info.output)")
            #expect(info.output.contains("Feature Count: 40"), "\(info.output)")
        }
    }

    @Test(arguments: Backend.available) func importingTheSameFileTwiceChangesNothing(backend: Backend) throws {
        let (store, _) = try sampleStore(backend)
        let before = try store.counts()
        // Read and compared (the fingerprint would spare the reading: ImportFingerprintTests).
        var options = ImportOptions()
        options.readAgain = true
        let again = try store.importParcels(try InputBytes(path: geodata.appendingPathComponent("nanhai-sample.geojson").path), options: options)
        #expect(again.unchanged == 2000 && again.added == 0 && again.updated == 0 && again.sameAsLastImport == nil)
        #expect(try store.counts() == before)
    }

    /// A newer version of the file: changed parcels get one event each, the old values kept; the
    /// state before the change is what an as-of query before its date sees.
    @Test(arguments: Backend.available) func reimportRecordsEachChange(backend: Backend) throws {
        let (store, dir) = try sampleStore(backend)
        var text = try String(contentsOf: geodata.appendingPathComponent("nanhai-sample.geojson"), encoding: .utf8)
        let first = try #require(try store.parcel("NH-000001"))
        #expect(first.state == .wasteland)
        let original = #""id":"NH-000001","state":"wasteland""#
        #expect(text.contains(original))
        text = text.replacingOccurrences(of: original, with: #""id":"NH-000001","state":"farmland""#)
        let newer = dir.appendingPathComponent("newer.geojson")
        try text.write(to: newer, atomically: true, encoding: .utf8)
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: "2024-03-01")
        let summary = try store.importParcels(try InputBytes(path: newer.path), options: options)
        #expect(summary.updated == 1 && summary.unchanged == 1999 && summary.transitions == 1)
        let history = try store.history("NH-000001")
        // The state change is a transition decided by the table (R1: wasteland → farmland), not an import-update.
        try #require(history.map(\.kind) == [.imported, .transition])
        #expect(history[1].fromState == .wasteland && history[1].toState == .farmland && history[1].ruleID == "R1")
        #expect(history[1].note?.contains("via import of") == true)
        #expect(try store.snapshot(asOf: CalendarDate(parsing: "2023-06-01")).parcels.first { $0.id == "NH-000001" }?.state == .wasteland)
        #expect(try store.parcel("NH-000001")?.state == .farmland)
    }

    /// A newer survey that renames the village of every parcel: one import-update per parcel
    /// (sent to PostGIS as one COPY and one UPDATE … FROM), the old name kept in its event.
    @Test(arguments: Backend.available) func aReimportThatChangesEveryParcel(backend: Backend) throws {
        let (store, dir) = try sampleStore(backend)
        let text = try String(contentsOf: geodata.appendingPathComponent("nanhai-sample.geojson"), encoding: .utf8)
        let renamed = text.components(separatedBy: #""village":"黄庄村""#).count - 1
        #expect(renamed == 2000)
        let newer = dir.appendingPathComponent("renamed.geojson")
        try text.replacingOccurrences(of: #""village":"黄庄村""#, with: #""village":"黄庄新村""#).write(to: newer, atomically: true, encoding: .utf8)
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: "2024-03-01")
        let summary = try store.importParcels(try InputBytes(path: newer.path), options: options)
        #expect(summary.updated == renamed && summary.unchanged == 0 && summary.transitions == 0)
        let now = try store.snapshot(history: true)
        #expect(now.parcels.filter { $0.village == "黄庄新村" }.count == renamed)
        #expect(now.history?.values.allSatisfy { $0.map(\.kind) == [.imported, .updated] } == true)
        // The old name is kept in each event (snapshots restore state, PBF and geometry as of a
        // date; attributes are the current ones).
        let updates = try store.record().events.filter { $0.event.kind == .updated }
        #expect(updates.count == renamed && updates.allSatisfy { $0.previousAttributes?.contains("黄庄村") == true })
        // Geometry and areas untouched.
        let before = try store.snapshot(asOf: CalendarDate(parsing: "2024-02-29")).parcels
        #expect(before.count == renamed)
        #expect(zip(before, now.parcels).allSatisfy { $0.id == $1.id && $0.polygons == $1.polygons && $0.areaSquareMetres == $1.areaSquareMetres })
    }

    /// Properties are compared without the state and PBF members (those are transitions and PBF
    /// events of their own): a property of its own changed is an import-update keeping the old
    /// ones; a state changed alone is a transition and nothing else.
    @Test(arguments: Backend.available) func aChangedPropertyIsAnUpdateAndAChangedStateIsNot(backend: Backend) throws {
        let (store, dir) = try sampleStore(backend)
        let text = try String(contentsOf: geodata.appendingPathComponent("nanhai-sample.geojson"), encoding: .utf8)
        let five = #""id":"NH-000005","state":"wasteland","basic_farmland":true,"#
        let seven = #""id":"NH-000007","state":"wasteland","basic_farmland":true,"#
        #expect(text.contains(five) && text.contains(seven))
        let newer = dir.appendingPathComponent("properties.geojson")
        try text.replacingOccurrences(of: five, with: five + #""survey_note":"re-measured","#)
            .replacingOccurrences(of: seven, with: seven.replacingOccurrences(of: "wasteland", with: "eco_restored"))
            .write(to: newer, atomically: true, encoding: .utf8)
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: "2024-03-01")
        let summary = try store.importParcels(try InputBytes(path: newer.path), options: options)
        #expect(summary.updated == 2 && summary.transitions == 1 && summary.unchanged == 1998)
        let noted = try store.history("NH-000005")
        #expect(noted.map(\.kind) == [.imported, .updated] && noted[1].note?.hasSuffix("attributes changed") == true)
        let kept = try #require(try store.record().events.first { $0.event.parcelID == "NH-000005" && $0.event.kind == .updated })
        #expect(kept.previousAttributes?.contains("黄庄村") == true && kept.previousAttributes?.contains("survey_note") == false)
        #expect(try store.parcel("NH-000005")?.properties.jsonText.contains(#""survey_note":"re-measured""#) == true)
        #expect(try store.history("NH-000007").map(\.kind) == [.imported, .transition])
    }

    /// A re-import that moves a parcel's boundary keeps the old geometry in its event: as-of
    /// queries before the change see the old shape and area.
    @Test(arguments: Backend.available) func geometryChangesAreReconstructedAsOf(backend: Backend) throws {
        let (store, dir) = try sampleStore(backend)
        let before = try #require(try store.parcel("NH-000002"))
        var text = try String(contentsOf: geodata.appendingPathComponent("nanhai-sample.geojson"), encoding: .utf8)
        let old = #""id":"NH-000002","state":"farmland","basic_farmland":true,"village":"黄庄村","landuse_code":"0103"},"geometry":{"type":"Polygon","coordinates":[[[113.09919,23.0509222]"#
        #expect(text.contains(old))
        // Move the first vertex (and so the closing one) by about 1 m.
        text = text.replacingOccurrences(of: old, with: old.replacingOccurrences(of: "[[[113.09919,23.0509222]", with: "[[[113.09918,23.0509222]"))
        text = text.replacingOccurrences(of: "[113.09919,23.0509222]]]}", with: "[113.09918,23.0509222]]]}")
        let newer = dir.appendingPathComponent("moved.geojson")
        try text.write(to: newer, atomically: true, encoding: .utf8)
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: "2024-03-01")
        let summary = try store.importParcels(try InputBytes(path: newer.path), options: options)
        #expect(summary.updated == 1)
        let now = try #require(try store.parcel("NH-000002"))
        #expect(now.areaSquareMetres != before.areaSquareMetres)
        let then = try #require(try store.snapshot(asOf: CalendarDate(parsing: "2023-06-01")).parcels.first { $0.id == "NH-000002" })
        #expect(then.polygons == before.polygons)
        #expect(abs(then.areaSquareMetres - before.areaSquareMetres) < 1e-6)
        #expect(try store.snapshot(asOf: CalendarDate(parsing: "2024-03-01")).parcels.first { $0.id == "NH-000002" }?.polygons == now.polygons)
        // Without geometry or properties (what a summary reads), the same parcels with the same
        // states and areas on every date, the replaced geometry's area included.
        for date in [nil, try CalendarDate(parsing: "2023-06-01")] {
            let all = try store.snapshot(asOf: date).parcels
            let slim = try store.snapshot(asOf: date, content: []).parcels
            #expect(slim.map(\.id) == all.map(\.id) && slim.map(\.state) == all.map(\.state))
            #expect(slim.map(\.areaSquareMetres) == all.map(\.areaSquareMetres))
            #expect(slim.allSatisfy { $0.polygons.isEmpty && $0.properties.jsonText == "{}" })
            #expect(all.allSatisfy { !$0.polygons.isEmpty } && all.contains { $0.properties.jsonText != "{}" })
            let withGeometry = try store.snapshot(asOf: date, content: .geometry).parcels
            #expect(withGeometry.map(\.polygons) == all.map(\.polygons))
        }
        #expect(try store.snapshot(asOf: CalendarDate(parsing: "2023-06-01"), content: []).parcels.first { $0.id == "NH-000002" }?.areaSquareMetres
                    == then.areaSquareMetres)
        // Moved again: each date between the moves sees the shape it had then.
        text = text.replacingOccurrences(of: "[113.09918,23.0509222]", with: "[113.09917,23.0509222]")
        try text.write(to: newer, atomically: true, encoding: .utf8)
        options.date = try CalendarDate(parsing: "2024-06-01")
        #expect(try store.importParcels(try InputBytes(path: newer.path), options: options).updated == 1)
        let last = try #require(try store.parcel("NH-000002"))
        #expect(last.polygons != now.polygons)
        let shapes = try ["2023-06-01", "2024-03-01", "2024-05-31", "2024-06-01"].map { d in
            try store.snapshot(asOf: CalendarDate(parsing: d)).parcels.first { $0.id == "NH-000002" }?.polygons
        }
        #expect(shapes == [before.polygons, now.polygons, now.polygons, last.polygons])
        let together = try store.snapshots(at: ["2024-05-31", "2023-06-01"].map { try CalendarDate(parsing: $0) }, history: false, content: .geometry)
        #expect(together.map { $0.parcels.first { $0.id == "NH-000002" }?.polygons } == [now.polygons, before.polygons])
        // The re-imports after a snapshot's date are read for the geometries they replaced, but
        // its history ends on its date: the parcel's events up to it, as `history` has them.
        let early = try CalendarDate(parsing: "2024-05-31")
        var seen: [ParcelEvent] = []
        try store.snapshots(at: [early], history: true, content: .all)[0].forEachHistory { id, events in
            if id == "NH-000002" { seen = Array(events) }
        }
        let all = try store.history("NH-000002")
        #expect(all.contains { $0.effectiveDate > early } && !seen.isEmpty)
        #expect(seen == all.filter { $0.effectiveDate <= early })
    }

    /// A snapshot's history without `.eventDetails` (what `check` reads) has every event with
    /// what the rules read, its recording texts left out; with them, each parcel's history is
    /// `history(id)`'s.
    @Test(arguments: Backend.available) func eventDetailsAreReadWhenAskedFor(backend: Backend) throws {
        let (store, _) = try sampleStore(backend)
        let wasteland = try #require(try store.snapshot().parcels.first { $0.state == .wasteland })
        try store.transition([TransitionRequest(parcelID: wasteland.id, to: .reclaimedFarmland, date: try CalendarDate(parsing: "2024-05-01"),
                                                ref: "NH-2024", note: "field reclaimed")], by: "planner-7")
        func histories(_ content: SnapshotContent) throws -> [String: [ParcelEvent]] {
            var all: [String: [ParcelEvent]] = [:]
            try store.snapshot(history: true, content: content).forEachHistory { id, events in all[id] = Array(events) }
            return all
        }
        let full = try histories(.all), lean = try histories(.geometry)
        #expect(full.count == 2000 && full[wasteland.id]?.last?.note == "field reclaimed" && full[wasteland.id]?.last?.recordedBy == "planner-7")
        #expect(full[wasteland.id] == (try store.history(wasteland.id)))
        #expect(full["NH-000001"] == (try store.history("NH-000001")))
        #expect(lean.keys.sorted() == full.keys.sorted())
        for (id, events) in full {
            let blanked = events.map { e -> ParcelEvent in
                var e = e
                (e.recordedAt, e.recordedBy, e.note, e.ruleID) = ("", "", nil, nil)
                return e
            }
            #expect(lean[id] == blanked, "\(id)")
        }
        #expect(lean[wasteland.id]?.last?.ref == "NH-2024" && lean[wasteland.id]?.last?.toState == .reclaimedFarmland)
    }

    /// All or nothing: a file with problems is refused whole and the store is as it was.
    @Test(arguments: Backend.available) func aFileWithProblemsChangesNothing(backend: Backend) throws {
        let (store, _) = try sampleStore(backend)
        let before = try store.counts()
        do {
            _ = try store.importParcels(try InputBytes(path: geodata.appendingPathComponent("problem-parcels.geojson").path), options: ImportOptions())
            Issue.record("a file with problems was imported")
        } catch let LandtrackError.invalidInput(_, problems) {
            #expect(problems.count == 10)
        }
        #expect(try store.counts() == before)
        #expect(try store.parcel("NH-P001") == nil)
    }

    /// The sample with its first feature repeated as the 2,001st (a duplicate id at the very end),
    /// and the features written.
    func sampleWithItsFirstFeatureAgainAtTheEnd(in dir: URL) throws -> (URL, [[String: Any]]) {
        let data = try Data(contentsOf: geodata.appendingPathComponent("nanhai-sample.geojson"))
        var root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var features = try #require(root["features"] as? [[String: Any]])
        features.append(features[0])
        root["features"] = features
        let file = dir.appendingPathComponent("duplicate-at-the-end.geojson")
        try JSONSerialization.data(withJSONObject: root, options: .sortedKeys).write(to: file)
        return (file, features)
    }

    /// A first import writes parcels as it reads them: a problem in the file's last feature
    /// (the first parcel's id again) must still leave the new store without a parcel, an event
    /// or a CRS of its own, so that the next file starts afresh.
    @Test(arguments: Backend.available) func aFirstImportRefusedAtItsLastFeatureLeavesNothing(backend: Backend) throws {
        let store = try backend.newStore()
        let (bad, features) = try sampleWithItsFirstFeatureAgainAtTheEnd(in: try scratchDirectory())
        let error = #expect(throws: LandtrackError.self) {
            _ = try store.importParcels(try InputBytes(path: bad.path), options: ImportOptions())
        }
        guard case let .invalidInput(_, problems)? = error else { Issue.record("not refused as invalid input: \(String(describing: error))"); return }
        let codes = problems.map { $0.code }
        #expect(codes == [.duplicateId])
        #expect(problems.first?.featureIndex == features.count)  // numbered from 1, as users count them
        #expect(try store.counts().values.allSatisfy { $0 == 0 })
        #expect(try store.parcel(features[0]["properties"].flatMap { ($0 as? [String: Any])?["id"] as? String } ?? "") == nil)
        // Nothing of the refused file's CRS stayed: a CGCS2000 file makes a CGCS2000 store.
        _ = try store.importParcels(try InputBytes(path: geodata.appendingPathComponent("nanhai-sample-gk38.geojson").path), options: ImportOptions())
        #expect(try store.crs().epsgCode == 4490)
        #expect(try store.counts()["parcels"] == 40)
    }

    /// A large insert sets the R*Tree's insert trigger aside and writes the index rows itself:
    /// after it the trigger is the specification's again, every index row holds what GDAL's
    /// ST_MinX … find in the geometry (to the R*Tree's float32 rounding), and a large import that
    /// is refused leaves the trigger in place, so the next small import is indexed by it.
    @Test func aLargeInsertIndexesAsTheTriggerWould() throws {
        let (store, dir) = try sampleStore()
        #expect(2000 > GeoPackageTransaction.directIndexAfter, "the sample must be large enough to set the trigger aside")
        func sql(_ path: String, _ query: String) throws -> String? {
            try tool("/usr/bin/ogrinfo", ["-q", "-ro", path, "-sql", query]).map(\.output)
        }
        guard let trigger = try sql(store.location, "SELECT sql FROM sqlite_master WHERE name = 'rtree_parcels_geom_insert'") else {
            Issue.record("ogrinfo is not installed (scripts/test.sh installs gdal-bin)")
            return
        }
        #expect(trigger.contains("ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)"), "\(trigger)")
        let agreeing = try #require(try sql(store.location, """
            SELECT count(*) AS agreeing FROM parcels p JOIN rtree_parcels_geom r ON r.id = p.fid
            WHERE r.minx <= ST_MinX(p.geom) AND r.minx > ST_MinX(p.geom) - 1e-4 AND r.maxx >= ST_MaxX(p.geom) AND r.maxx < ST_MaxX(p.geom) + 1e-4
              AND r.miny <= ST_MinY(p.geom) AND r.miny > ST_MinY(p.geom) - 1e-4 AND r.maxy >= ST_MaxY(p.geom) AND r.maxy < ST_MaxY(p.geom) + 1e-4
            """))
        #expect(agreeing.contains("agreeing (Integer) = 2000"), "\(agreeing)")

        // A refused first import of 2,001 features: its 2,000 inserts are rolled back, trigger and all.
        let fresh = try GeoPackageStore(path: dir.appendingPathComponent("refused.gpkg").path, create: true)
        let (bad, _) = try sampleWithItsFirstFeatureAgainAtTheEnd(in: dir)
        #expect(throws: LandtrackError.self) { _ = try fresh.importParcels(try InputBytes(path: bad.path), options: ImportOptions()) }
        _ = try fresh.importParcels(try InputBytes(path: geodata.appendingPathComponent("nanhai-sample-gk38.geojson").path), options: ImportOptions())
        let indexed = try #require(try sql(fresh.location, "SELECT count(*) AS indexed FROM rtree_parcels_geom"))
        #expect(indexed.contains("indexed (Integer) = 40"), "\(indexed)")
    }

    @Test(arguments: Backend.available) func skipImportsTheCleanParcelsAndWritesRejects(backend: Backend) throws {
        let dir = try scratchDirectory()
        let store = try backend.newStore()
        var options = ImportOptions()
        options.onInvalid = .skip
        options.rejectsPath = dir.appendingPathComponent("rejects.geojson").path
        let summary = try store.importParcels(try InputBytes(path: geodata.appendingPathComponent("problem-parcels.geojson").path), options: options)
        #expect(summary.added == 2)
        #expect(summary.rejected == 10)
        let rejects = try GeoJSONReader().readAll(InputBytes(path: options.rejectsPath!))
        #expect(rejects.features.count == 10)
        #expect(rejects.features.allSatisfy { ($0.properties?["problems"]).map { if case .array(let a) = $0 { !a.isEmpty } else { false } } ?? false })
    }

    @Test(arguments: Backend.available) func repairFixesABowTieAndReportsTheArea(backend: Backend) throws {
        let dir = try scratchDirectory()
        let file = dir.appendingPathComponent("bowtie.geojson")
        try parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[113.1,23.05],[113.101,23.051],[113.101,23.05],[113.1,23.051],[113.1,23.05]]]}"#)
            .write(to: file, atomically: true, encoding: .utf8)
        let store = try backend.newStore()
        var options = ImportOptions()
        options.onInvalid = .repair
        let summary = try store.importParcels(try InputBytes(path: file.path), options: options)
        #expect(summary.added == 1)
        let note = try #require(summary.notes.first)
        #expect(note.code.rawValue == "repaired" && note.severity == .warning)
        #expect(note.message.contains("self-intersection"))
        let parcel = try #require(try store.parcel("NH-1"))
        #expect(parcel.polygons.count == 2)
        // Two triangles, each a quarter of the 0.001° square.
        let square = try GeodesicAreaEngine(ellipsoid: .wgs84).area(of: Polygon(rings: [[(113.1, 23.05), (113.101, 23.05), (113.101, 23.051), (113.1, 23.051), (113.1, 23.05)].map { try Point(x: $0.0, y: $0.1) }]))
        #expect(abs(parcel.areaSquareMetres - square / 2) < 0.5)
    }

    @Test(arguments: Backend.available) func statesComeFromLanduseCodesOrTheDefault(backend: Backend) throws {
        let dir = try scratchDirectory()
        let store = try backend.newStore()
        let g = #"{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}"#
        let file = dir.appendingPathComponent("codes.geojson")
        try (#"{"type":"FeatureCollection","features":["#
            + #"{"type":"Feature","properties":{"id":"A","landuse_code":"0601"},"geometry":\#(g)},"#
            + #"{"type":"Feature","properties":{"id":"B","landuse_code":"0305"},"geometry":\#(g)},"#
            + #"{"type":"Feature","properties":{"id":"C"},"geometry":\#(g)}]}"#).write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: LandtrackError.self) { try store.importParcels(try InputBytes(path: file.path), options: ImportOptions()) }
        var options = ImportOptions()
        options.defaultState = .other
        _ = try store.importParcels(try InputBytes(path: file.path), options: options)
        #expect(try store.parcel("A")?.state == .industrialPark)
        #expect(try store.parcel("B")?.state == .ecoRestored)
        #expect(try store.parcel("C")?.state == .other)
    }

    @Test(arguments: Backend.available) func theHistoryIsAppendOnly(backend: Backend) throws {
        let (store, _) = try sampleStore(backend)
        #expect(throws: (any Error).self) { try executeBehindTheStore(store, "UPDATE parcel_events SET note = 'x'") }
        #expect(throws: (any Error).self) { try executeBehindTheStore(store, "DELETE FROM parcel_events") }
        #expect(try store.counts()["parcel_events"] == 2000)
    }

    @Test func refusesFilesThatAreNotLandtrackStores() throws {
        let dir = try scratchDirectory()
        let text = dir.appendingPathComponent("notes.gpkg")
        try "not a database".write(to: text, atomically: true, encoding: .utf8)
        let e1 = #expect(throws: LandtrackError.self) { try GeoPackageStore(path: text.path) }
        #expect(e1?.description.contains("not a GeoPackage") == true)
        #expect(throws: LandtrackError.self) { try GeoPackageStore(path: dir.appendingPathComponent("missing.gpkg").path) }
        if let _ = try tool("/usr/bin/ogr2ogr", ["-f", "GPKG", dir.appendingPathComponent("gdal.gpkg").path,
                                                   geodata.appendingPathComponent("nanhai-sample-gk38.geojson").path]) {
            let e2 = #expect(throws: LandtrackError.self) { try GeoPackageStore(path: dir.appendingPathComponent("gdal.gpkg").path) }
            #expect(e2?.description.contains("not a landtrack store") == true)
        }
    }

    @Test(arguments: Backend.available) func refusesAStoreFromANewerLandtrack(backend: Backend) throws {
        let (store, _) = try sampleStore(backend)
        try executeBehindTheStore(store, backend == .geoPackage
            ? "INSERT INTO grdb_migrations VALUES ('v99: from the future')"
            : "INSERT INTO landtrack_schema (version, description) VALUES (99, 'from the future')")
        let error = #expect(throws: LandtrackError.self) { try backend.open(store.location, create: false) }
        #expect(error?.storeFailure == .newerSchema)
    }

    /// A store written before the token table (v1 only) still opens read-only and reads as
    /// before; the first writing open upgrades it.
    @Test func aV1StoreReadsAndUpgradesOnWrite() throws {
        let (store, _) = try sampleStore()
        let before = try store.snapshot().parcels
        try store.pool.write { db in
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v2:%'; DROP TABLE landtrack_tokens")
        }
        let reader = try GeoPackageStore(path: store.location, readOnly: true)
        #expect(try reader.snapshot().parcels == before)
        #expect(try reader.tokens().isEmpty)
        let writer = try GeoPackageStore(path: store.location)
        _ = try writer.createToken(owner: "Li Wei", role: .viewer)
        #expect(try writer.tokens().map(\.owner) == ["Li Wei"])
    }

    /// The four real parcel sets import with a default state, with their areas.
    @Test(SharedData.required, arguments: Backend.available, SharedData.parcelSets)
    func realParcelSetsImport(backend: Backend, set: String) throws {
        let store = try backend.newStore()
        var options = ImportOptions()
        options.defaultState = .farmland
        let summary = try store.importParcels(try InputBytes(path: SharedData.url("\(set)/parcels.geojson").path), options: options)
        let reference = try SharedData.referenceAreas(set)
        #expect(summary.added == reference.count)
        for p in try store.snapshot().parcels {
            #expect(abs(p.areaSquareMetres - (reference[p.id] ?? -1)) < 0.01, "\(p.id)")
        }
    }

    /// import → export → import into a new store gives the same parcels up to the precision.
    @Test(arguments: Backend.available) func exportRoundTrip(backend: Backend) throws {
        let (store, dir) = try sampleStore(backend)
        let report = ParcelListReport(try store.snapshot(), state: nil)
        let file = dir.appendingPathComponent("export.geojson")
        try report.geojson(precision: 9).write(to: file, atomically: true, encoding: .utf8)
        let second = try backend.newStore()
        _ = try second.importParcels(try InputBytes(path: file.path), options: ImportOptions())
        let a = try store.snapshot().parcels, b = try second.snapshot().parcels
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.id == y.id && x.state == y.state && x.basicFarmland == y.basicFarmland)
            #expect(x.village == y.village && x.landuseCode == y.landuseCode)
            #expect(abs(x.areaSquareMetres - y.areaSquareMetres) < 1e-3, "\(x.id)")
        }
    }

    @Test func geoPackageExportIsValidAndNeverOverwrites() throws {
        let (store, dir) = try sampleStore()
        let out = dir.appendingPathComponent("export.gpkg").path
        let report = ParcelListReport(try store.snapshot(), state: .farmland)
        try report.writeGeoPackage(out)
        if let validator = try tool("/usr/bin/python3", ["-m", "osgeo_utils.samples.validate_gpkg", out]) {
            #expect(validator.status == 0, "\(validator.output)")
        }
        if let info = try tool("/usr/bin/ogrinfo", ["-so", out, "parcels"]) {
            #expect(info.output.contains("Feature Count: \(report.parcels.count)"))
        }
        #expect(throws: LandtrackError.self) { try report.writeGeoPackage(out) }
    }

    /// A second writer waits, then is told the store is locked; nothing is half-written.
    @Test func aLockedStoreIsReported() throws {
        let (store, _) = try sampleStore()
        let other = try GeoPackageStore(path: store.location)
        let holding = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let writer = BackgroundThread {
            try store.pool.write { _ in
                holding.signal()
                done.wait()
            }
        }
        holding.wait()
        let error = #expect(throws: LandtrackError.self) { try other.setBasicFarmland("NH-000001", designated: false, date: CalendarDate(parsing: "2024-01-01")) }
        done.signal()
        try writer.join()
        #expect(error?.storeFailure == .locked)
        #expect(try store.parcel("NH-000001")?.basicFarmland == true)
    }

    /// A reader that opens the store while an import holds the write lock reads at once (the
    /// command-line case: `landtrack parcels` during `landtrack import`).
    @Test func openingTheStoreDoesNotWaitForAWriter() throws {
        let (store, _) = try sampleStore()
        let holding = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let writer = BackgroundThread {
            try store.pool.write { db in
                try db.execute(sql: "UPDATE parcels SET village = 'importing' WHERE parcel_id = 'NH-000001'")
                holding.signal()
                done.wait()
            }
        }
        holding.wait()
        let started = Date()
        let reader = try GeoPackageStore(path: store.location, readOnly: true)
        let count = try reader.snapshot().parcels.count
        let waited = Date().timeIntervalSince(started)
        done.signal()
        try writer.join()
        #expect(count == 2000)
        #expect(waited < 2, "opening and reading waited \(waited) s for the writer")
    }

    @Test func landuseMappingCanBeReplaced() throws {
        let dir = try scratchDirectory()
        let map = dir.appendingPathComponent("map.csv")
        try "code,state\n0101,wasteland\n".write(to: map, atomically: true, encoding: .utf8)
        let mapping = try LanduseMapping.load(path: map.path)
        #expect(mapping.state(for: "0101") == .wasteland)
        #expect(mapping.state(for: "0103") == .other)
        #expect(LanduseMapping.standard.state(for: "0103") == .farmland)
        #expect(LanduseMapping.standard.state(for: "0305") == .ecoRestored)
        try "code,state\n0101,paddy\n".write(to: map, atomically: true, encoding: .utf8)
        let e = #expect(throws: LandtrackError.self) { try LanduseMapping.load(path: map.path) }
        #expect(e?.description.contains("line 2") == true)
    }

    @Test(arguments: Backend.available) func constraintLayersImportLinesAndPolygons(backend: Backend) throws {
        let (store, dir) = try sampleStore(backend)
        let barriers = dir.appendingPathComponent("barriers.geojson")
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"G1501"},"geometry":{"type":"LineString","coordinates":[[113.09,23.04],[113.11,23.06]]}},{"type":"Feature","properties":{"name":"river"},"geometry":{"type":"Polygon","coordinates":[[[113.1,23.04],[113.101,23.04],[113.101,23.06],[113.1,23.04]]]}}]}"#
            .write(to: barriers, atomically: true, encoding: .utf8)
        #expect(try store.importLayer(.barriers, from: InputBytes(path: barriers.path)) == 2)
        // A line is not a boundary.
        let e = #expect(throws: LandtrackError.self) { try store.importLayer(.urbanBoundary, from: InputBytes(path: barriers.path)) }
        #expect(e?.description.contains("urban_boundary needs polygons") == true)
        #expect(try store.counts()["barriers"] == 2)
        if let info = try tool("/usr/bin/ogrinfo", ["-so", ogrSource(store), "barriers"]) {
            #expect(info.output.contains("Feature Count: 2"))
        }
    }
}
