import CGDAL
import Foundation
import Geometry

/// A layer of any vector source GDAL reads — Shapefile, File Geodatabase (OpenFileGDB),
/// GeoPackage, GML, KML, FlatGeobuf — as features for the parcel reader.
///
/// Text: a GeoPackage, GDB or GML holds UTF-8. A shapefile's `.dbf` holds whatever its writer
/// used (Chinese desktop GIS: GBK, often without a `.cpg`). GDAL is told not to recode
/// (`ENCODING=""`), and landtrack decodes the bytes itself (iconv) with `--encoding`, else the
/// `.cpg`, else the `.dbf`'s language driver byte, else UTF-8, so that text that is not valid in that encoding is an error naming the
/// feature and field instead of silently wrong characters.
///
/// The CRS comes from the source (`.prj`, the GDB's definition) as its EPSG code.
public struct GDALLayerSource: FeatureSource {
    public let path: String
    /// The layer to read; nil: the only layer, or the only polygon layer.
    public let layer: String?
    /// Text encoding of a shapefile's attributes (`GBK`, `UTF-8`, …); nil: the `.cpg`, else UTF-8.
    public let encoding: String?

    public init(path: String, layer: String? = nil, encoding: String? = nil) {
        self.path = path
        self.layer = layer
        self.encoding = encoding
    }

    public var name: String { layer.map { "\(path) (layer \($0))" } ?? path }

    /// Formats that take this path (`.geojson` and `.json` go the GeoJSON fast path).
    public static func handles(_ path: String) -> Bool {
        let lower = path.lowercased()
        return !(lower == "-" || lower.hasSuffix(".geojson") || lower.hasSuffix(".json"))
    }

    public func readFeatures(
        idProperty: String?,
        header: (GeoJSONHeader) throws(LandtrackError) -> Void,
        feature: (Result<GeoJSONFeature, Diagnostic>) throws(LandtrackError) -> Void
    ) throws(LandtrackError) {
        let dataset = try GDALVectorDataset(path: path, rawText: isShapefile)
        // The layer handle belongs to the dataset: keep the dataset open until the read ends
        // (ARC may otherwise close it right after its last use below).
        defer { withExtendedLifetime(dataset) {} }
        let (handle, layerName) = try dataset.layer(named: layer)
        let decoder = try TextDecoder(encoding: try textEncoding())
        try header(GeoJSONHeader(rootType: "FeatureCollection", crsName: try crsName(handle, layerName), name: layerName))

        let definition = OGR_L_GetLayerDefn(handle)
        let fieldCount = Int(OGR_FD_GetFieldCount(definition))
        let fields: [(name: String, type: OGRFieldType, boolean: Bool)] = (0..<fieldCount).map { i in
            let d = OGR_FD_GetFieldDefn(definition, Int32(i))
            return (String(cString: OGR_Fld_GetNameRef(d)), OGR_Fld_GetType(d), OGR_Fld_GetSubType(d) == OFSTBoolean)
        }
        let ctx = GEOSContext()
        OGR_L_ResetReading(handle)
        var index = 0
        // OGR_L_GetNextFeature: NULL at the end; the feature is ours (OGR_F_Destroy).
        while let f = OGR_L_GetNextFeature(handle) {
            defer { OGR_F_Destroy(f) }
            index += 1
            let fid = OGR_F_GetFID(f)
            var properties = JSONObject()
            var textProblem: Diagnostic?
            for (i, field) in fields.enumerated() {
                let n = Int32(i)
                guard OGR_F_IsFieldSetAndNotNull(f, n) != 0 else {
                    properties.append(field.name, .null)
                    continue
                }
                switch field.type {
                case OFTInteger where field.boolean:
                    properties.append(field.name, .bool(OGR_F_GetFieldAsInteger(f, n) != 0))
                case OFTInteger, OFTInteger64:
                    properties.append(field.name, .number(Double(OGR_F_GetFieldAsInteger64(f, n))))
                case OFTReal:
                    properties.append(field.name, .number(OGR_F_GetFieldAsDouble(f, n)))
                default:
                    let raw = OGR_F_GetFieldAsString(f, n).map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }
                    let bytes = raw.map { Array(UnsafeBufferPointer(start: $0, count: strlen(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)))) } ?? []
                    if let text = decoder.decode(bytes) {
                        properties.append(field.name, .string(text))
                    } else {
                        properties.append(field.name, .null)
                        textProblem = textProblem ?? Diagnostic(
                            .encoding, "not valid \(decoder.encoding) text"
                                + (encoding == nil ? "; a shapefile from Chinese desktop GIS without a .cpg is usually GBK: give --encoding GBK" : ""),
                            featureIndex: index, location: "FID \(fid), field \(field.name)")
                    }
                }
            }
            // Problems name the parcel too when its id could be read.
            let parcelID = idProperty.flatMap { properties[$0]?.identifierText }
            if var textProblem {
                textProblem.featureID = parcelID
                try feature(.failure(textProblem))
                continue
            }
            // OGR_F_GetGeometryRef: NULL for no geometry; owned by the feature.
            guard let g = OGR_F_GetGeometryRef(f), OGR_G_IsEmpty(g) == 0 else {
                try feature(.success(GeoJSONFeature(index: index, id: .number(Double(fid)), properties: properties, geometry: nil,
                                                    geometryType: OGR_F_GetGeometryRef(f) == nil ? nil : "Polygon")))
                continue
            }
            var wkb = [UInt8](repeating: 0, count: Int(OGR_G_WkbSize(g)))
            // OGR_G_ExportToIsoWkb: OGRERR_NONE (0) on success.
            guard OGR_G_ExportToIsoWkb(g, wkbNDR, &wkb) == OGRERR_NONE else {
                try feature(.failure(Diagnostic(.geometry, "GDAL cannot write its geometry as WKB", featureIndex: index, featureID: parcelID,
                                                location: "FID \(fid)")))
                continue
            }
            do {
                let value = try Self.geometry(wkb, ctx)
                try feature(.success(GeoJSONFeature(index: index, id: .number(Double(fid)), properties: properties, geometry: value,
                                                    geometryType: value.typeName)))
            } catch {
                try feature(.failure(Diagnostic(.geometry, "its geometry cannot be read: \(error)", featureIndex: index, featureID: parcelID,
                                                location: "FID \(fid)")))
            }
        }
    }

    /// ISO WKB (little-endian, as exported) as a value: a 2-D Polygon or MultiPolygon — what
    /// parcel layers hold — straight from the bytes; anything else through GEOS, so that the
    /// parcel reader can say what it is.
    private static func geometry(_ wkb: [UInt8], _ ctx: GEOSContext) throws(LandtrackError) -> Geometry {
        if wkb.count > 5, wkb[0] == 1, wkb[2] == 0, wkb[3] == 0, wkb[4] == 0, wkb[1] == 3 || wkb[1] == 6,
           let polygons = try? WKB.polygons(wkb) {
            return wkb[1] == 3 ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
        }
        return try ctx.value(try ctx.readWKB(wkb))
    }

    /// A shapefile's parts (`.shp`, `.shx`, `.dbf`, `.prj`, `.cpg`, any case); every file of a
    /// folder (a File Geodatabase), lock files aside; a single file with its SQLite journals
    /// (`-wal`, `-journal`: a GeoPackage's committed rows may sit in its WAL). GDAL's version
    /// and the layer and encoding asked for are the options. nil for what is not a local file
    /// or folder (`/vsizip/…`, URLs).
    public var datasetFiles: (paths: [String], options: String)? {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
        var paths: [String] = []
        if isFolder.boolValue {
            guard let walker = fm.enumerator(atPath: path) else { return nil }
            for case let relative as String in walker where !relative.hasSuffix(".lock") {
                let full = (path as NSString).appendingPathComponent(relative)
                var folder: ObjCBool = false
                if fm.fileExists(atPath: full, isDirectory: &folder), !folder.boolValue { paths.append(full) }
            }
            paths.sort()
        } else if isShapefile {
            let folder = (path as NSString).deletingLastPathComponent
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let parts = Set(["shp", "shx", "dbf", "prj", "cpg"].map { "\(stem).\($0)".lowercased() })
            let names = (try? fm.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
            paths = names.filter { parts.contains($0.lowercased()) }.sorted().map { (folder as NSString).appendingPathComponent($0) }
        } else {
            paths = [path] + ["-wal", "-journal"].map { path + $0 }.filter { fm.fileExists(atPath: $0) }
        }
        // Without GDAL there is nothing to compare: the read that follows says why it cannot be loaded.
        guard (try? GDALLibrary.ready()) != nil else { return nil }
        let gdal = String(cString: GDALVersionInfo("RELEASE_NAME"))
        return (paths, "gdal=\(gdal) layer=\(layer.map(quoted) ?? "-") encoding=\(encoding.map(quoted) ?? "-")")
    }

    private var isShapefile: Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".shp") || lower.hasSuffix(".dbf")
    }

    /// dBase language driver ids (the `.dbf` header's byte 29) and the code pages they declare:
    /// Chinese (0x4D, 0x7A: 936 GBK; 0x4F, 0x78: 950 Big5), Japanese, Korean, the Windows and DOS
    /// Western and Central/Eastern European pages, and 0x57, which GDAL writes by default
    /// (`ENCODING=LDID/87`) and reads as ISO-8859-1, as GDAL does.
    static let languageDriverEncodings: [UInt8: String] = [
        0x4D: "GBK", 0x7A: "GBK", 0x4F: "BIG5", 0x78: "BIG5", 0x13: "CP932", 0x7B: "CP932", 0x79: "CP949",
        0x01: "CP437", 0x02: "CP850", 0x03: "CP1252", 0x57: "ISO-8859-1", 0x58: "CP1252", 0x59: "CP1252",
        0x64: "CP852", 0xC8: "CP1250", 0xC9: "CP1251", 0xCB: "CP1253", 0xCA: "CP1254",
    ]

    /// `--encoding`, else a shapefile's `.cpg`, else the code page its `.dbf` header declares
    /// (its language driver byte), else UTF-8.
    private func textEncoding() throws(LandtrackError) -> String {
        if let encoding { return encoding }
        guard isShapefile else { return "UTF-8" }
        let stem = (path as NSString).deletingPathExtension
        let cpg = stem + ".cpg"
        guard let label = try? String(contentsOfFile: cpg, encoding: .utf8) else {
            if let dbf = FileHandle(forReadingAtPath: stem + ".dbf") ?? FileHandle(forReadingAtPath: stem + ".DBF") {
                defer { try? dbf.close() }
                if let header = try? dbf.read(upToCount: 30), header.count == 30, let declared = Self.languageDriverEncodings[header[29]] {
                    return declared
                }
            }
            return "UTF-8"
        }
        let trimmed = label.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        switch trimmed {
        case "UTF-8", "UTF8", "65001": return "UTF-8"
        case "GBK", "936", "CP936", "GB2312": return "GBK"
        case "GB18030", "54936": return "GB18030"
        default: return trimmed
        }
    }

    /// The layer's CRS as "EPSG:n" (the parcel reader resolves it with PROJ); the source must
    /// declare one.
    private func crsName(_ layer: OGRLayerH, _ layerName: String) throws(LandtrackError) -> String {
        // OGR_L_GetSpatialRef: NULL when the layer has none; owned by the layer.
        guard let srs = OGR_L_GetSpatialRef(layer) else {
            throw .invalidInput(source: name, problems: [Diagnostic(.crs, "layer \(layerName) has no CRS (no .prj?): give --crs EPSG:n")])
        }
        func code() -> String? {
            guard let authority = OSRGetAuthorityName(srs, nil), let code = OSRGetAuthorityCode(srs, nil) else { return nil }
            return "\(String(cString: authority)):\(String(cString: code))"
        }
        if let c = code() { return c }
        // A .prj written as ESRI WKT names no authority: let GDAL find the EPSG code (on a clone:
        // the layer's own reference is not ours to change). OSRAutoIdentifyEPSG: OGRERR_NONE on success.
        if let clone = OSRClone(srs) {
            defer { OSRRelease(clone) }
            if OSRAutoIdentifyEPSG(clone) == OGRERR_NONE, let authority = OSRGetAuthorityName(clone, nil), let code = OSRGetAuthorityCode(clone, nil) {
                return "\(String(cString: authority)):\(String(cString: code))"
            }
            var matches: Int32 = 0
            // OSRFindMatches: an array of candidates (OSRFreeSRSArray) with confidences.
            if let found = OSRFindMatches(clone, nil, &matches, nil) {
                defer { OSRFreeSRSArray(found) }
                if matches > 0, let best = found[0], let authority = OSRGetAuthorityName(best, nil), let code = OSRGetAuthorityCode(best, nil) {
                    return "\(String(cString: authority)):\(String(cString: code))"
                }
            }
        }
        var wkt: UnsafeMutablePointer<CChar>?
        OSRExportToWkt(srs, &wkt)
        let text = wkt.map { String(cString: $0) } ?? "?"
        VSIFree(wkt)
        throw .invalidInput(source: name, problems: [Diagnostic(.crs, "layer \(layerName)'s CRS has no EPSG code GDAL can find (\(text.prefix(120))…): give --crs EPSG:n")])
    }
}

/// An open GDAL vector dataset; closed in `deinit` (one owner per handle).
final class GDALVectorDataset {
    let handle: GDALDatasetH
    let path: String

    init(path: String, rawText: Bool) throws(LandtrackError) {
        try GDALLibrary.ready()
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw .invalidInput(source: path, problems: [Diagnostic(.unreadableSource, "no such file")])
        }
        // GDAL opens a .shp without its .shx (rebuilt) or .dbf (no attributes): a survey
        // delivery missing either is incomplete, so say so rather than read parcels without ids.
        if path.lowercased().hasSuffix(".shp") {
            let stem = (path as NSString).deletingPathExtension
            for (ext, what) in [("dbf", "attributes"), ("shx", "index")] {
                let exists = [ext, ext.uppercased()].contains { FileManager.default.fileExists(atPath: "\(stem).\($0)") }
                guard exists else {
                    throw .invalidInput(source: path, problems: [Diagnostic(.unreadableSource, "the shapefile's .\(ext) (its \(what)) is missing beside it")])
                }
            }
        }
        // Shapefiles: no recoding by GDAL (ENCODING=""); landtrack decodes the bytes itself.
        let options = rawText ? ["ENCODING="] : []
        let copies = options.map { strdup($0) }
        defer { for p in copies { free(p) } }
        let cOptions: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
        CPLErrorReset()
        // GDALOpenEx: NULL when no driver opens the file (CPLGetLastErrorMsg says why).
        let opened = cOptions.withUnsafeBufferPointer { buffer in
            GDALOpenEx(path, UInt32(GDAL_OF_VECTOR | GDAL_OF_READONLY), nil, buffer.baseAddress, nil)
        }
        guard let opened else {
            let message = String(cString: CPLGetLastErrorMsg())
            throw .invalidInput(source: path, problems: [Diagnostic(.unreadableSource, "GDAL cannot open it as vector data" + (message.isEmpty ? "" : ": \(message)")
                + (path.lowercased().hasSuffix(".shp") ? " (a shapefile needs its .shx and .dbf beside it)" : ""))])
        }
        handle = opened
    }

    deinit { GDALClose(handle) }

    /// The named layer; without a name, the only layer or the only polygon layer.
    func layer(named name: String?) throws(LandtrackError) -> (OGRLayerH, String) {
        let count = GDALDatasetGetLayerCount(handle)
        var layers: [(OGRLayerH, String, Bool)] = []
        for i in 0..<count {
            guard let l = GDALDatasetGetLayer(handle, i) else { continue }
            let flat = OGR_GT_Flatten(OGR_L_GetGeomType(l))
            layers.append((l, String(cString: OGR_L_GetName(l)), flat == wkbPolygon || flat == wkbMultiPolygon))
        }
        let listing = layers.map { "\($0.1)\($0.2 ? "" : " (not polygons)")" }.joined(separator: ", ")
        if let name {
            guard let found = layers.first(where: { $0.1 == name }) else {
                throw .invalidInput(source: path, problems: [Diagnostic(.unreadableSource, "no layer \(quoted(name)); its layers: \(listing.isEmpty ? "none" : listing)")])
            }
            return (found.0, found.1)
        }
        if layers.count == 1 { return (layers[0].0, layers[0].1) }
        let polygonal = layers.filter(\.2)
        guard polygonal.count == 1 else {
            throw .invalidInput(source: path, problems: [Diagnostic(.unreadableSource, "\(layers.count) layers: pick one with --source-layer NAME (\(listing.isEmpty ? "none" : listing))")])
        }
        return (polygonal[0].0, polygonal[0].1)
    }
}

/// Decodes attribute bytes from one encoding into Swift strings with iconv; nil for bytes
/// that are not valid text in it.
struct TextDecoder {
    let encoding: String

    init(encoding: String) throws(LandtrackError) {
        self.encoding = encoding.uppercased() == "UTF8" ? "UTF-8" : encoding
        if self.encoding.uppercased() != "UTF-8" {
            let probe = iconv_open("UTF-8", self.encoding)
            guard probe != iconv_t(bitPattern: -1) else {
                throw .invalidArgument("--encoding \(encoding): not an encoding this system's iconv knows (GBK, GB18030, UTF-8, …)")
            }
            iconv_close(probe)
        }
    }

    func decode(_ bytes: [UInt8]) -> String? {
        if encoding.uppercased() == "UTF-8" || bytes.allSatisfy({ $0 < 0x80 }) {
            return String(validating: bytes, as: UTF8.self)
        }
        let converter = iconv_open("UTF-8", encoding)
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 4)
        var inLeft = input.count, outLeft = output.count
        let ok = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer = inBuffer.baseAddress, outPointer = outBuffer.baseAddress
                return iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1 && inLeft == 0
            }
        }
        guard ok else { return nil }
        return String(validating: output[0..<(output.count - outLeft)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
