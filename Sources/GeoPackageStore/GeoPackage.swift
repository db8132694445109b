import Foundation
import Geometry
import GRDB
import Parcels

/// GeoPackage 1.3 (OGC 12-128r17) pieces the store needs: the geometry blob, the SQL functions
/// the R*Tree triggers call, and the core tables.
enum GeoPackage {
    /// PRAGMA application_id: "GPKG".
    static let applicationID: Int32 = 0x4750_4B47
    /// PRAGMA user_version for GeoPackage 1.3.0.
    static let userVersion = 10300

    // MARK: Geometry blob

    /// StandardGeoPackageBinary: "GP", version 0, flags (little-endian, envelope [minx, maxx,
    /// miny, maxy]), srs_id, envelope, then WKB (here always MultiPolygon).
    static func blob(_ polygons: [Polygon], srsID: Int32) -> Data {
        blob(wkb: WKB.multiPolygon(polygons), envelope: MultiPolygon(polygons).envelope!, srsID: srsID)
    }

    /// A blob around any WKB (constraint layers may hold lines).
    static func blob(wkb: [UInt8], envelope e: Envelope, srsID: Int32) -> Data {
        var out: [UInt8] = []
        blob(wkb: wkb, envelope: e, srsID: srsID, into: &out)
        return Data(out)
    }

    /// The same blob written into `out` (its old content replaced, its storage kept).
    static func blob(wkb: [UInt8], envelope e: Envelope, srsID: Int32, into out: inout [UInt8]) {
        header(envelope: e, srsID: srsID, into: &out)
        out.append(contentsOf: wkb)
    }

    /// The blob of `polygons` written into `out` (its old content replaced, its storage kept),
    /// the WKB straight after the header.
    static func blob(_ polygons: [Polygon], envelope e: Envelope, srsID: Int32, into out: inout [UInt8]) {
        header(envelope: e, srsID: srsID, into: &out)
        WKB.appendMultiPolygon(polygons, to: &out)
    }

    /// A GeoPackage binary header with its envelope (minx, maxx, miny, maxy), into `out`.
    private static func header(envelope e: Envelope, srsID: Int32, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: [0x47, 0x50, 0, 0b0000_0011] as [UInt8])
        withUnsafeBytes(of: srsID.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: e.minX.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: e.maxX.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: e.minY.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: e.maxY.bitPattern.littleEndian) { out.append(contentsOf: $0) }
    }

    /// The WKB inside a blob.
    static func wkb(_ data: Data) throws(LandtrackError) -> [UInt8] {
        let result: Result<[UInt8], LandtrackError> = data.withUnsafeBytes { raw in
            do throws(LandtrackError) {
                let h = try header(raw)
                return .success(Array(raw[h.wkbOffset...]))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The header of a blob: its envelope (nil when the header carries none or the geometry is
    /// empty) and where the WKB starts.
    struct Header {
        var isEmpty: Bool
        var envelope: Envelope?
        var wkbOffset: Int
    }

    static func header(_ bytes: UnsafeRawBufferPointer) throws(LandtrackError) -> Header {
        guard bytes.count >= 8, bytes[0] == 0x47, bytes[1] == 0x50 else {
            throw .invalidArgument("not a GeoPackage geometry blob (no 'GP' magic)")
        }
        let flags = bytes[3]
        let little = flags & 1 == 1
        let envelopeKind = Int((flags >> 1) & 0b111)
        let isEmpty = flags & 0b1_0000 != 0
        let doubles = [0, 4, 6, 6, 8][min(envelopeKind, 4)]
        guard envelopeKind <= 4, bytes.count >= 8 + doubles * 8 else {
            throw .invalidArgument("GeoPackage geometry blob has a bad envelope")
        }
        func double(_ i: Int) -> Double {
            let raw = bytes.loadUnaligned(fromByteOffset: 8 + 8 * i, as: UInt64.self)
            return Double(bitPattern: little ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw))
        }
        let envelope = doubles >= 4 && !isEmpty
            ? Envelope(minX: double(0), minY: double(2), maxX: double(1), maxY: double(3)) : nil
        return Header(isEmpty: isEmpty, envelope: envelope, wkbOffset: 8 + doubles * 8)
    }

    /// The polygons of a blob.
    static func polygons(_ data: Data) throws(LandtrackError) -> [Polygon] {
        // withUnsafeBytes rethrows untyped: the error comes out through a Result.
        try data.withUnsafeBytes { raw in Result { () throws(LandtrackError) in try polygons(raw) } }.get()
    }

    static func polygons(_ raw: UnsafeRawBufferPointer) throws(LandtrackError) -> [Polygon] {
        let h = try header(raw)
        if h.isEmpty { return [] }
        return try WKB.polygons(UnsafeRawBufferPointer(rebasing: raw[h.wkbOffset...]))
    }

    /// Any geometry of a blob (constraint layers hold lines too), read through GEOS's WKB reader.
    static func geometry(_ data: Data, _ ctx: GEOSContext) throws(LandtrackError) -> Geometry {
        try ctx.value(ctx.readWKB(try wkb(data)))
    }

    /// The envelope of a blob for the R*Tree functions: from the header when it has one,
    /// else from the WKB.
    static func envelope(_ data: Data) -> Envelope? {
        data.withUnsafeBytes { raw -> Envelope? in
            guard let h = try? header(raw), !h.isEmpty else { return nil }
            if let e = h.envelope { return e }
            guard let ps = try? WKB.polygons(UnsafeRawBufferPointer(rebasing: raw[h.wkbOffset...])) else { return nil }
            return MultiPolygon(ps).envelope
        }
    }

    // MARK: SQL functions

    /// ST_MinX, ST_MaxX, ST_MinY, ST_MaxY, ST_IsEmpty: what the GeoPackage R*Tree triggers call.
    /// Registered on every connection (`Configuration.prepareDatabase`).
    static func registerFunctions(_ db: Database) {
        func envelopeFunction(_ name: String, _ pick: @escaping @Sendable (Envelope) -> Double) -> DatabaseFunction {
            DatabaseFunction(name, argumentCount: 1, pure: true) { values in
                guard case let .blob(data) = values[0].storage, let e = envelope(data) else { return nil }
                return pick(e)
            }
        }
        db.add(function: envelopeFunction("ST_MinX") { $0.minX })
        db.add(function: envelopeFunction("ST_MaxX") { $0.maxX })
        db.add(function: envelopeFunction("ST_MinY") { $0.minY })
        db.add(function: envelopeFunction("ST_MaxY") { $0.maxY })
        db.add(function: DatabaseFunction("ST_IsEmpty", argumentCount: 1, pure: true) { values in
            guard case let .blob(data) = values[0].storage else { return nil }
            return data.withUnsafeBytes { raw in (try? header(raw))?.isEmpty ?? true }
        })
    }

    // MARK: Core tables (DDL as in the specification's annex C)

    static func createCoreTables(_ db: Database) throws {
        try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        try db.execute(sql: "PRAGMA user_version = \(userVersion)")
        try db.execute(sql: """
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
              organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
              description TEXT);
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
              identifier TEXT UNIQUE, description TEXT DEFAULT '',
              last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
              min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
              CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
              geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
              CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
              CONSTRAINT uk_gc_table_name UNIQUE (table_name),
              CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
              CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
            CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
              definition TEXT NOT NULL, scope TEXT NOT NULL,
              CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
            INSERT INTO gpkg_spatial_ref_sys VALUES
              ('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined Cartesian coordinate reference system'),
              ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
            """)
        try addSRS(db, .resolve("EPSG:4326"))
    }

    /// Registers a CRS in gpkg_spatial_ref_sys (once); returns its srs_id (the EPSG code).
    @discardableResult
    static func addSRS(_ db: Database, _ crs: CoordinateReferenceSystem) throws -> Int32 {
        guard let code = crs.epsgCode else {
            throw LandtrackError.invalidArgument("the store needs an EPSG CRS, not \(crs)")
        }
        if try Int.fetchOne(db, sql: "SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = ?", arguments: [code]) == nil {
            let name = code == 4326 ? "WGS 84 geodetic" : crs.name
            try db.execute(sql: "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, 'EPSG', ?, ?, ?)",
                           arguments: [name, code, code, try crs.wkt1(), crs.description])
        }
        return Int32(code)
    }

    /// Creates a feature table with an integer primary key `fid`, a geometry column `geom`, the
    /// given other columns, its gpkg_contents and gpkg_geometry_columns rows, and the R*Tree
    /// spatial index extension with its triggers.
    static func createFeatureTable(
        _ db: Database, name: String, geometryType: String, srsID: Int32, columns: String, description: String
    ) throws {
        try db.execute(sql: """
            CREATE TABLE "\(name)" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom \(geometryType), \(columns));
            INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
              VALUES ('\(name)', 'features', '\(name)', ?, \(srsID));
            INSERT INTO gpkg_geometry_columns VALUES ('\(name)', 'geom', '\(geometryType)', \(srsID), 0, 0);
            INSERT INTO gpkg_extensions VALUES ('\(name)', 'geom', 'gpkg_rtree_index',
              'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
            CREATE VIRTUAL TABLE "rtree_\(name)_geom" USING rtree(id, minx, maxx, miny, maxy);
            \(rtreeInsertTrigger(name));
            CREATE TRIGGER "rtree_\(name)_geom_update1" AFTER UPDATE OF geom ON "\(name)"
              WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
              BEGIN INSERT OR REPLACE INTO "rtree_\(name)_geom" VALUES (NEW.fid,
                ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
            CREATE TRIGGER "rtree_\(name)_geom_update2" AFTER UPDATE OF geom ON "\(name)"
              WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
              BEGIN DELETE FROM "rtree_\(name)_geom" WHERE id = OLD.fid; END;
            CREATE TRIGGER "rtree_\(name)_geom_update3" AFTER UPDATE ON "\(name)"
              WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
              BEGIN DELETE FROM "rtree_\(name)_geom" WHERE id = OLD.fid;
                INSERT OR REPLACE INTO "rtree_\(name)_geom" VALUES (NEW.fid,
                ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
            CREATE TRIGGER "rtree_\(name)_geom_update4" AFTER UPDATE ON "\(name)"
              WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
              BEGIN DELETE FROM "rtree_\(name)_geom" WHERE id IN (OLD.fid, NEW.fid); END;
            CREATE TRIGGER "rtree_\(name)_geom_delete" AFTER DELETE ON "\(name)" WHEN old.geom NOT NULL
              BEGIN DELETE FROM "rtree_\(name)_geom" WHERE id = OLD.fid; END;
            """, arguments: [description])
    }

    /// The R*Tree's insert trigger of a feature table, as the specification writes it (a large
    /// insert sets it aside and writes the index rows itself, then makes it again with this).
    static func rtreeInsertTrigger(_ name: String) -> String {
        """
        CREATE TRIGGER "rtree_\(name)_geom_insert" AFTER INSERT ON "\(name)"
          WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
          BEGIN INSERT OR REPLACE INTO "rtree_\(name)_geom" VALUES (NEW.fid,
            ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END
        """
    }

    /// Registers a plain table in gpkg_contents as 'attributes' so GIS tools list it.
    static func registerAttributesTable(_ db: Database, name: String, description: String) throws {
        try db.execute(sql: "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?, 'attributes', ?, ?)",
                       arguments: [name, name, description])
    }

    /// Refreshes a feature table's extent in gpkg_contents: `known`, the union of every box its
    /// R*Tree holds, when the caller has it (a first import built the tree from its boxes), else
    /// read from the R*Tree in one scan (four scans, one a column, were 0.03 s of a 100k import).
    static func updateExtent(_ db: Database, table: String, known: RTreeBulkLoad.Box? = nil) throws {
        let stamp = "last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        if let known {
            // The R*Tree's own values (floats): what min() and max() over it would give.
            try db.execute(sql: "UPDATE gpkg_contents SET min_x = ?, max_x = ?, min_y = ?, max_y = ?, \(stamp) WHERE table_name = ?",
                           arguments: [Double(known.minX), Double(known.maxX), Double(known.minY), Double(known.maxY), table])
            return
        }
        try db.execute(sql: """
            UPDATE gpkg_contents SET
              (min_x, max_x, min_y, max_y) = (SELECT min(minx), max(maxx), min(miny), max(maxy) FROM "rtree_\(table)_geom"),
              \(stamp)
            WHERE table_name = ?
            """, arguments: [table])
    }
}
