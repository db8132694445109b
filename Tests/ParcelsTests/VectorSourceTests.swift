import Foundation
import Geometry
import Parcels
import Testing
import TestSupport
@testable import VectorSources

/// Sources read through GDAL, made in the tests with GDAL's own `ogr2ogr` from GeoJSON whose
/// areas are known: each parcel measures as its GeoJSON original (or GeographicLib's reference),
/// and bad sources are refused with a reason.
@Suite("Sources read through GDAL", .serialized)
struct VectorSourceTests {
    static let ogr2ogr = ProcessRun.installed("ogr2ogr")
    let sample = SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path

    func scratch() throws -> URL { try scratchFolder("landtrack-gdal") }

    /// Runs ogr2ogr, or records that it is missing (scripts/test.sh installs gdal-bin).
    func convert(_ arguments: [String]) throws -> Bool {
        guard let ogr2ogr = Self.ogr2ogr else {
            Issue.record("ogr2ogr is not installed (scripts/test.sh installs gdal-bin): GDAL sources were not tested")
            return false
        }
        let run = try ProcessRun(ogr2ogr, arguments)
        #expect(run.status == 0, "ogr2ogr \(arguments): \(run.stderr)")
        return run.status == 0
    }

    /// The source and problems of an `invalidInput` refusal, nil when `body` did not throw one.
    func refusal(_ body: () throws -> Void) -> (source: String, problems: [Diagnostic])? {
        do {
            try body()
        } catch {
            if let e = error as? LandtrackError, case let .invalidInput(source, problems) = e { return (source, problems) }
        }
        return nil
    }

    func areas(_ source: any FeatureSource, options: ParcelReadOptions = ParcelReadOptions()) throws -> [String: Double] {
        Dictionary(uniqueKeysWithValues: try AreaReport.measure(source, method: .geodesic, options: options).rows.map { ($0.id, $0.area.squareMetres) })
    }

    /// The survey's case: a GBK shapefile without a .cpg, in CGCS2000 Gauss-Krüger zone 38 with
    /// zone-prefixed eastings (EPSG:4526). With --encoding GBK every parcel has its village in
    /// Chinese and the area of its GeoJSON original (to 1 mm²: the projection there and back);
    /// without it, every feature is refused naming the field and suggesting GBK.
    @Test func aGBKShapefileInGaussKruger() throws {
        let dir = try scratch()
        let shp = dir.appendingPathComponent("dltb.shp").path
        guard try convert(["-f", "ESRI Shapefile", "-t_srs", "EPSG:4526", "-lco", "ENCODING=GBK", shp, sample]) else { return }
        try? FileManager.default.removeItem(atPath: dir.appendingPathComponent("dltb.cpg").path)
        let truth = try areas(try InputBytes(path: sample))
        let gbk = GDALLayerSource(path: shp, encoding: "GBK")
        let measured = try areas(gbk)
        #expect(measured.count == truth.count)
        for (id, area) in truth {
            let other = try #require(measured[id], "\(id) is missing")
            #expect(abs(other - area) < 1e-3, "\(id): \(other) m² from the shapefile, \(area) m² from the GeoJSON")
        }
        let parcels = try ParcelReader().readAll(gbk)
        #expect(parcels.info.declaredCRS.identifier == "EPSG:4526")
        #expect(Set(parcels.parcels.compactMap(\.village)) == ["黄庄村"])

        let report = try ValidationReport.check(GDALLayerSource(path: shp))
        #expect(report.problems.count == truth.count && report.problems.allSatisfy { $0.code == .encoding })
        let first = try #require(report.problems.first)
        #expect(first.message.contains("UTF-8") && first.message.contains("--encoding GBK") && first.location?.contains("village") == true, "\(first)")

        // The .dbf header's language driver byte 0x4D (code page 936) does what the flag does.
        let dbf = try #require(FileHandle(forUpdatingAtPath: dir.appendingPathComponent("dltb.dbf").path))
        try dbf.seek(toOffset: 29)
        try dbf.write(contentsOf: Data([0x4D]))
        try dbf.close()
        #expect(try areas(GDALLayerSource(path: shp)).count == truth.count)
        let ldid = try #require(FileHandle(forUpdatingAtPath: dir.appendingPathComponent("dltb.dbf").path))
        try ldid.seek(toOffset: 29)
        try ldid.write(contentsOf: Data([0x00]))
        try ldid.close()
        // A .cpg saying GBK does what the flag does.
        try "GBK\n".write(toFile: dir.appendingPathComponent("dltb.cpg").path, atomically: true, encoding: .utf8)
        #expect(try areas(GDALLayerSource(path: shp)).count == truth.count)
        #expect(throws: LandtrackError.self) { try TextDecoderProbe.unknownEncoding(shp) }
    }

    /// A GeoPackage with a parcel layer and a line layer: the polygon layer is picked without
    /// --layer; a layer that does not exist is refused listing the layers; the line layer's
    /// features are refused as parcels.
    @Test func layersOfAGeoPackage() throws {
        let dir = try scratch()
        let gpkg = dir.appendingPathComponent("survey.gpkg").path
        guard try convert(["-f", "GPKG", "-nln", "dltb", gpkg, sample]) else { return }
        let barriers = SharedData.repositoryRoot.appendingPathComponent("geodata/programme/barriers.geojson").path
        guard try convert(["-f", "GPKG", "-update", "-nln", "roads", gpkg, barriers]) else { return }
        let truth = try areas(try InputBytes(path: sample))
        let measured = try areas(GDALLayerSource(path: gpkg))
        #expect(measured.keys.sorted() == truth.keys.sorted())
        #expect(measured.allSatisfy { abs($0.value - truth[$0.key]!) < 1e-6 })
        let missing = refusal { _ = try areas(GDALLayerSource(path: gpkg, layer: "DLTB_2024")) }
        let message = missing?.problems.first?.message ?? ""
        #expect(message.contains("no layer \"DLTB_2024\"") && message.contains("dltb, roads (not polygons)"), "\(String(describing: missing))")
        let roads = try ParcelReader().readAll(GDALLayerSource(path: gpkg, layer: "roads"))
        #expect(roads.parcels.isEmpty && roads.problems.contains { $0.code == .notPolygonal || $0.message.contains("LineString") }, "\(roads.problems)")
    }

    /// A File Geodatabase written by GDAL 3.6's OpenFileGDB driver reads as its GeoJSON.
    @Test func aFileGeodatabase() throws {
        let dir = try scratch()
        let gdb = dir.appendingPathComponent("survey.gdb").path
        guard try convert(["-f", "OpenFileGDB", "-nln", "DLTB", gdb, sample]) else { return }
        let truth = try areas(try InputBytes(path: sample))
        let measured = try areas(GDALLayerSource(path: gdb, layer: "DLTB"))
        #expect(measured.keys.sorted() == truth.keys.sorted())
        #expect(measured.allSatisfy { abs($0.value - truth[$0.key]!) < 1e-6 })
    }

    /// The files an import's fingerprint hashes: a shapefile's five parts and nothing beside
    /// them, every file of a geodatabase folder but lock files, a GeoPackage with its WAL; the
    /// layer and encoding asked for are in the options; nothing for a path GDAL reads remotely.
    @Test func theFilesAFingerprintHashes() throws {
        let dir = try scratch()
        let shp = dir.appendingPathComponent("parcels.shp").path
        guard try convert(["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", shp, sample]) else { return }
        for other in ["parcels.shp.xml", "parcels.txt", "other.dbf"] { try "x".write(toFile: dir.appendingPathComponent(other).path, atomically: true, encoding: .utf8) }
        let parts = try #require(GDALLayerSource(path: shp, encoding: "GBK").datasetFiles)
        #expect(parts.paths.map { ($0 as NSString).lastPathComponent } == ["parcels.cpg", "parcels.dbf", "parcels.prj", "parcels.shp", "parcels.shx"])
        #expect(parts.options.contains(#"encoding="GBK""#) && parts.options.contains("gdal=") && parts.options.contains("layer=-"))
        let gdb = dir.appendingPathComponent("survey.gdb").path
        guard try convert(["-f", "OpenFileGDB", "-nln", "DLTB", gdb, sample]) else { return }
        try "x".write(toFile: (gdb as NSString).appendingPathComponent("a00000009.sr.lock"), atomically: true, encoding: .utf8)
        let files = try #require(GDALLayerSource(path: gdb, layer: "DLTB").datasetFiles)
        let inFolder = try FileManager.default.contentsOfDirectory(atPath: gdb).filter { !$0.hasSuffix(".lock") }.sorted()
        #expect(files.paths.map { ($0 as NSString).lastPathComponent } == inFolder && inFolder.count > 4)
        #expect(files.options.contains(#"layer="DLTB""#))
        let gpkg = dir.appendingPathComponent("survey.gpkg").path
        guard try convert(["-f", "GPKG", gpkg, sample]) else { return }
        try "x".write(toFile: gpkg + "-wal", atomically: true, encoding: .utf8)
        #expect(GDALLayerSource(path: gpkg).datasetFiles?.paths == [gpkg, gpkg + "-wal"])
        #expect(GDALLayerSource(path: "/vsizip/" + dir.appendingPathComponent("parcels.zip").path).datasetFiles == nil)
    }

    /// Broken sources: a shapefile without its .dbf, a file no driver reads, a point layer.
    @Test func badSourcesAreRefusedWithAReason() throws {
        let dir = try scratch()
        let shp = dir.appendingPathComponent("parcels.shp").path
        guard try convert(["-f", "ESRI Shapefile", shp, sample]) else { return }
        try FileManager.default.removeItem(atPath: dir.appendingPathComponent("parcels.dbf").path)
        let noDBF = refusal { _ = try ParcelReader().readAll(GDALLayerSource(path: shp)) }
        #expect(noDBF?.source == shp && noDBF?.problems.first?.message.contains(".dbf") == true, "\(String(describing: noDBF))")
        let text = dir.appendingPathComponent("notes.txt").path
        try "not a map".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(throws: LandtrackError.self) { try ParcelReader().readAll(GDALLayerSource(path: text)) }

        let points = dir.appendingPathComponent("points.geojson")
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"P1"},"geometry":{"type":"Point","coordinates":[113.1,23.05]}}]}"#
            .write(to: points, atomically: true, encoding: .utf8)
        let pointsShp = dir.appendingPathComponent("points.shp").path
        guard try convert(["-f", "ESRI Shapefile", pointsShp, points.path]) else { return }
        let read = try ParcelReader().readAll(GDALLayerSource(path: pointsShp))
        #expect(read.parcels.isEmpty && read.problems.count == 1 && read.problems[0].message.contains("Point"), "\(read.problems)")
    }

    /// GDAL is opened on first use (`GDALLibrary`): the library it was compiled with loads, again
    /// without harm; a file that is not there, or a library without GDAL's functions (the C
    /// library, present on every Linux), is a `.library` error naming the file, and leaves the
    /// loaded GDAL working.
    @Test func gdalIsLoadedFromItsSonameOrRefusedByName() throws {
        #expect(GDALLibrary.fileName.hasPrefix("libgdal.so"))
        #expect(throws: Never.self) { try GDALLibrary.load(GDALLibrary.fileName).get() }
        #expect(throws: Never.self) { try GDALLibrary.load(GDALLibrary.fileName).get() }
        for missing in ["/nonexistent/libgdal.so.99", "libc.so.6"] {
            guard case let .failure(.library(name, message)) = GDALLibrary.load(missing) else {
                Issue.record("\(missing) loaded as GDAL")
                continue
            }
            #expect(name == missing && !message.isEmpty)
        }
        // The GDAL loaded first still answers.
        try GDALLibrary.ready()
        #expect(throws: Never.self) { try GDALLibrary.load(GDALLibrary.fileName).get() }
    }

    /// A shapefile GDAL writes with its defaults (no .cpg, language driver byte 0x57, text in
    /// ISO-8859-1) reads as GDAL reads it: "Mähwiese" comes back as written.
    @Test func gdalsDefaultShapefileEncoding() throws {
        let dir = try scratch()
        let source = dir.appendingPathComponent("at.geojson").path
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"AT-1","village":"Mähwiese","state":"farmland"},"geometry":{"type":"Polygon","coordinates":[[[16.3,48.2],[16.301,48.2],[16.301,48.201],[16.3,48.201],[16.3,48.2]]]}}]}"#
            .write(toFile: source, atomically: true, encoding: .utf8)
        let shp = dir.appendingPathComponent("at.shp").path
        guard try convert(["-f", "ESRI Shapefile", shp, source]) else { return }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("at.cpg").path))
        let (_, parcels, problems) = try ParcelReader().readAll(GDALLayerSource(path: shp))
        #expect(problems.isEmpty, "\(problems)")
        #expect(parcels.map(\.village) == ["Mähwiese"])
    }

    /// The real parcel sets, converted to Shapefile and GeoPackage by ogr2ogr, measure as
    /// GeographicLib's reference areas (0.01 m² each, compared as sorted lists: a shapefile
    /// keeps no GeoJSON feature id).
    @Test(SharedData.required, arguments: SharedData.parcelSets)
    func realSetsThroughShapefileAndGeoPackage(set: String) throws {
        let reference = try SharedData.referenceAreas(set).values.sorted()
        let dir = try scratch()
        let geojson = SharedData.url("\(set)/parcels.geojson").path
        for (driver, name, options) in [("ESRI Shapefile", "parcels.shp", ["-lco", "ENCODING=UTF-8"]), ("GPKG", "parcels.gpkg", [])] {
            let out = dir.appendingPathComponent(name).path
            guard try convert(["-f", driver] + options + [out, geojson]) else { return }
            let measured = try areas(GDALLayerSource(path: out)).values.sorted()
            #expect(measured.count == reference.count, "\(driver)")
            #expect(zip(measured, reference).allSatisfy { abs($0 - $1) <= 0.01 }, "\(driver)")
        }
    }
}

/// An encoding iconv does not know is refused before anything is read.
enum TextDecoderProbe {
    static func unknownEncoding(_ path: String) throws {
        _ = try ParcelReader().readAll(GDALLayerSource(path: path, encoding: "KLINGON-8"))
    }
}
