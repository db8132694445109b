import CGDAL
import Foundation
import Geometry
import Parcels

/// Writes parcels as a new Shapefile (with its `.cpg`) or File Geodatabase (GDAL 3.6's
/// OpenFileGDB driver writes them) through GDAL's C API, so that a programme's result goes back
/// into the bureau's desktop GIS and survey software.
///
/// Nothing half-written: the output is made in a temporary folder beside the target and moved
/// into place when complete; an existing output is never overwritten.
public enum GDALLayerWriter {
    public enum Format: String, Sendable, CaseIterable {
        case shapefile = "ESRI Shapefile"
        case fileGeodatabase = "OpenFileGDB"
    }

    /// The format a path names (`.shp`, `.gdb`), nil for others.
    public static func format(of path: String) -> Format? {
        switch (path as NSString).pathExtension.lowercased() {
        case "shp": .shapefile
        case "gdb": .fileGeodatabase
        default: nil
        }
    }

    /// The files a shapefile export writes (all must be absent).
    static let shapefileParts = ["shp", "shx", "dbf", "prj", "cpg"]

    /// Writes `parcels` (lon/lat on `crs`) in `target`'s coordinates as a new layer `layerName`
    /// (a shapefile's layer is its file name) with `schema`'s columns; a shapefile's text in
    /// `encoding` (GDAL recodes and writes the `.cpg`). Returns the number of features written.
    public static func write(_ parcels: [Parcel], schema: ExportSchema, crs: CoordinateReferenceSystem, target: CoordinateReferenceSystem,
                             path: String, layerName: String, encoding: String = "UTF-8") throws(LandtrackError) -> Int {
        guard let format = format(of: path) else { throw .invalidArgument("\(path): a GDAL export is a .shp or a .gdb") }
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().lastPathComponent
        let parent = url.deletingLastPathComponent()
        let finals: [URL] = format == .shapefile
            ? shapefileParts.map { parent.appendingPathComponent("\(stem).\($0)") }
            : [url]
        for f in finals where FileManager.default.fileExists(atPath: f.path) {
            throw .io(path: f.path, message: "exists already; remove it or choose another name (an export never overwrites)")
        }
        // CRS84 is written as EPSG:4326 with GDAL's traditional (longitude first) axis order.
        guard let epsg = target.epsgCode else { throw .invalidArgument("\(target.identifier): an export needs an EPSG CRS") }
        let scratch = parent.appendingPathComponent(".\(url.lastPathComponent).landtrack-\(UUID().uuidString)")
        do { try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false) } catch {
            throw .io(path: parent.path, message: "cannot write beside the export: \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: scratch) }
        let written = try writeLayer(parcels, schema: schema, crs: crs, target: target, epsg: Int32(epsg), format: format,
                                     path: scratch.appendingPathComponent(url.lastPathComponent).path, layerName: format == .shapefile ? stem : layerName,
                                     encoding: encoding)
        do {
            for f in finals {
                let made = scratch.appendingPathComponent(f.lastPathComponent)
                if FileManager.default.fileExists(atPath: made.path) { try FileManager.default.moveItem(at: made, to: f) }
            }
        } catch {
            for f in finals { try? FileManager.default.removeItem(at: f) }
            throw .io(path: path, message: "cannot move the export into place: \(error.localizedDescription)")
        }
        return written
    }

    private static func writeLayer(_ parcels: [Parcel], schema: ExportSchema, crs: CoordinateReferenceSystem, target: CoordinateReferenceSystem,
                                   epsg: Int32, format: Format, path: String, layerName: String, encoding: String) throws(LandtrackError) -> Int {
        try GDALLibrary.ready()
        func failure(_ what: String) -> LandtrackError {
            let message = String(cString: CPLGetLastErrorMsg())
            return .io(path: path, message: "GDAL: \(what)" + (message.isEmpty ? "" : ": \(message)"))
        }
        // GDALGetDriverByName: NULL when this GDAL has no such driver.
        guard let driver = GDALGetDriverByName(format.rawValue) else { throw failure("no \(format.rawValue) driver") }
        CPLErrorReset()
        // GDALCreate (raster size 0 for vector): NULL on failure; closed by GDALClose, which also flushes.
        guard let dataset = GDALCreate(driver, path, 0, 0, 0, GDT_Unknown, nil) else { throw failure("cannot create \(format.rawValue)") }
        var closed = false
        defer { if !closed { GDALClose(dataset) } }
        // OSRNewSpatialReference: NULL on failure; released with OSRRelease (the layer keeps its own reference).
        guard let srs = OSRNewSpatialReference(nil) else { throw failure("cannot make a spatial reference") }
        defer { OSRRelease(srs) }
        // OSRImportFromEPSG: OGRERR_NONE on success. Coordinates are written east first.
        guard OSRImportFromEPSG(srs, epsg) == OGRERR_NONE else { throw failure("EPSG:\(epsg) is unknown") }
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER)
        let layerOptions = format == .shapefile ? ["ENCODING=\(encoding)"] : []
        let copies = layerOptions.map { strdup($0) }
        defer { for p in copies { free(p) } }
        var cOptions: [UnsafeMutablePointer<CChar>?] = copies + [nil]
        // GDALDatasetCreateLayer: NULL on failure; the layer belongs to the dataset.
        let created = cOptions.withUnsafeMutableBufferPointer { GDALDatasetCreateLayer(dataset, layerName, srs, wkbMultiPolygon, $0.baseAddress) }
        guard let layer = created else { throw failure("cannot create layer \(layerName)") }
        for column in schema.columns {
            let type: OGRFieldType
            switch column.kind {
            case .text: type = OFTString
            case .real: type = OFTReal
            case .integer: type = OFTInteger
            }
            // OGR_Fld_Create: the definition is ours (OGR_Fld_Destroy); OGR_L_CreateField copies it, OGRERR_NONE on success.
            let field = OGR_Fld_Create(column.name, type)
            defer { OGR_Fld_Destroy(field) }
            switch column.kind {
            case let .text(width): OGR_Fld_SetWidth(field, Int32(width))
            case let .real(width, precision): OGR_Fld_SetWidth(field, Int32(width)); OGR_Fld_SetPrecision(field, Int32(precision))
            case let .integer(width): OGR_Fld_SetWidth(field, Int32(width))
            }
            guard OGR_L_CreateField(layer, field, 1) == OGRERR_NONE else { throw failure("cannot add field \(column.name)") }
        }
        let transform = target.identifier == crs.identifier ? nil : try CoordinateTransform(from: crs, to: target)
        let first = parcels.first?.polygons[0].exterior.points[0].x ?? 114
        let survey = schema.layout == .sandiao ? try SurveyAreaEngine(referenceMeridian: (first / 3).rounded() * 3) : nil
        // No GDAL transaction: neither driver has real ones, and the temporary folder already
        // keeps a failed export from ever being seen.
        let definition = OGR_L_GetLayerDefn(layer)
        var count = 0
        for p in parcels {
            let values = schema.row(p, surveyArea: try survey?.area(of: p.polygons) ?? p.areaSquareMetres)
            // OGR_F_Create: the feature is ours (OGR_F_Destroy); OGR_L_CreateFeature copies it.
            guard let feature = OGR_F_Create(definition) else { throw failure("cannot make a feature") }
            defer { OGR_F_Destroy(feature) }
            for (i, value) in values.enumerated() {
                let n = Int32(i)
                switch (value, schema.columns[i].kind) {
                case (.null, _): OGR_F_SetFieldNull(feature, n)
                case let (.string(s), _): OGR_F_SetFieldString(feature, n, s)
                case let (.number(v), .integer): OGR_F_SetFieldInteger(feature, n, Int32(v))
                case let (.number(v), _): OGR_F_SetFieldDouble(feature, n, v)
                case let (.bool(b), _): OGR_F_SetFieldInteger(feature, n, b ? 1 : 0)
                default: OGR_F_SetFieldString(feature, n, value.jsonText)
                }
            }
            let polygons = try transform.map { t throws(LandtrackError) in try p.polygons.map { (polygon) throws(LandtrackError) in try t.transform(polygon) } } ?? p.polygons
            var wkb = WKB.multiPolygon(polygons)
            var geometry: OGRGeometryH?
            // OGR_G_CreateFromWkb: OGRERR_NONE on success, the geometry ours until
            // OGR_F_SetGeometryDirectly takes it.
            guard OGR_G_CreateFromWkb(&wkb, srs, &geometry, Int32(wkb.count)) == OGRERR_NONE, let geometry else {
                throw failure("cannot make the geometry of parcel \(quoted(p.id))")
            }
            OGR_F_SetGeometryDirectly(feature, geometry)
            guard OGR_L_CreateFeature(layer, feature) == OGRERR_NONE else { throw failure("cannot write parcel \(quoted(p.id))") }
            count += 1
        }
        closed = true
        // GDALClose flushes (a shapefile's header and .dbf are complete only then); GDAL 3.6 returns nothing.
        GDALClose(dataset)
        CPLErrorReset()
        return count
    }
}
