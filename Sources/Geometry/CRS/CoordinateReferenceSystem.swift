import CPROJ
import Foundation

/// An ellipsoid by its semi-major axis and inverse flattening.
public struct Ellipsoid: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let semiMajorAxis: Double
    public let inverseFlattening: Double

    public init(name: String, semiMajorAxis: Double, inverseFlattening: Double) {
        self.name = name
        self.semiMajorAxis = semiMajorAxis
        self.inverseFlattening = inverseFlattening
    }

    public var flattening: Double { 1 / inverseFlattening }
    /// First eccentricity squared, e² = f(2 − f).
    public var eccentricitySquared: Double { flattening * (2 - flattening) }
    public var semiMinorAxis: Double { semiMajorAxis * (1 - flattening) }

    /// WGS 84 (EPSG:7030): RFC 7946 GeoJSON, EPSG:4326.
    public static let wgs84 = Ellipsoid(name: "WGS 84", semiMajorAxis: 6_378_137, inverseFlattening: 298.257223563)
    /// CGCS2000 (EPSG:1024): EPSG:4490 and its Gauss-Krüger projections 4491–4554.
    public static let cgcs2000 = Ellipsoid(name: "CGCS2000", semiMajorAxis: 6_378_137, inverseFlattening: 298.257222101)

    public var description: String {
        "\(name) (a = \(Self.format(semiMajorAxis)) m, 1/f = \(Self.format(inverseFlattening)))"
    }

    private static func format(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }
}

/// A coordinate reference system known to PROJ, with what landtrack needs of it.
///
/// Geographic data are kept as longitude/latitude degrees (east first) whatever the authority's
/// axis order; projected data as easting/northing. `authorityAxisOrderIsNorthFirst` records the
/// order the EPSG definition declares (EPSG:4490 and the CGCS2000 Gauss-Krüger CRSs are
/// north-first), which a reader uses to interpret files that follow it.
public struct CoordinateReferenceSystem: Sendable, Hashable, CustomStringConvertible {
    /// "EPSG:4490", "OGC:CRS84".
    public let identifier: String
    public let name: String
    public let isGeographic: Bool
    public let ellipsoid: Ellipsoid
    public let authorityAxisOrderIsNorthFirst: Bool
    /// The geographic CRS this CRS is based on (itself when geographic).
    public let geographicIdentifier: String

    public var description: String { "\(identifier) (\(name))" }

    /// RFC 7946 GeoJSON: WGS 84 longitude/latitude.
    public static let crs84 = CoordinateReferenceSystem(
        identifier: "OGC:CRS84", name: "WGS 84 (CRS84)", isGeographic: true, ellipsoid: .wgs84,
        authorityAxisOrderIsNorthFirst: false, geographicIdentifier: "OGC:CRS84")

    /// EPSG:4490, China Geodetic Coordinate System 2000 (latitude first by definition).
    public static let cgcs2000 = CoordinateReferenceSystem(
        identifier: "EPSG:4490", name: "China Geodetic Coordinate System 2000", isGeographic: true,
        ellipsoid: .cgcs2000, authorityAxisOrderIsNorthFirst: true, geographicIdentifier: "EPSG:4490")

    /// The CGCS2000 Gauss-Krüger CRS of a 3° or 6° zone (EPSG:4491–4554).
    /// `prefixed` picks the variant whose false easting carries the zone number (zone × 10⁶ + 500 000).
    public static func gaussKruger(zone: Int, width: Int = 3, prefixed: Bool = false) throws(LandtrackError) -> CoordinateReferenceSystem {
        let code: Int
        switch (width, prefixed) {
        case (3, false) where (25...45).contains(zone): code = 4534 + zone - 25
        case (3, true) where (25...45).contains(zone): code = 4513 + zone - 25
        case (6, false) where (13...23).contains(zone): code = 4502 + zone - 13
        case (6, true) where (13...23).contains(zone): code = 4491 + zone - 13
        default:
            throw .invalidArgument("no CGCS2000 Gauss-Krüger CRS for \(width)° zone \(zone) (3° zones 25–45, 6° zones 13–23)")
        }
        return try resolve("EPSG:\(code)")
    }

    /// The plain (unprefixed) CGCS2000 3° Gauss-Krüger zone whose central meridian is nearest
    /// to `longitude`: what Chinese registers use for planar areas.
    public static func gaussKruger3Degree(containing longitude: Double) throws(LandtrackError) -> CoordinateReferenceSystem {
        try gaussKruger(zone: Int((longitude / 3).rounded()), width: 3, prefixed: false)
    }

    /// If this is a CGCS2000 Gauss-Krüger CRS: its zone, zone width and whether eastings carry the zone prefix.
    public var gaussKrugerZone: (zone: Int, width: Int, prefixed: Bool)? {
        guard identifier.hasPrefix("EPSG:"), let code = Int(identifier.dropFirst(5)) else { return nil }
        switch code {
        case 4491...4501: return (code - 4491 + 13, 6, true)
        case 4502...4512: return (code - 4502 + 13, 6, false)
        case 4513...4533: return (code - 4513 + 25, 3, true)
        case 4534...4554: return (code - 4534 + 25, 3, false)
        default: return nil
        }
    }

    /// Normalises the ways a CRS is named in GeoJSON and on the command line.
    static func canonicalIdentifier(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let lower = t.lowercased()
        if ["crs84", "ogc:crs84", "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84",
            "http://www.opengis.net/def/crs/ogc/1.3/crs84"].contains(lower) {
            return "OGC:CRS84"
        }
        let prefixes = ["urn:ogc:def:crs:epsg::", "urn:ogc:def:crs:epsg:", "epsg:", "http://www.opengis.net/def/crs/epsg/0/"]
        for prefix in prefixes where lower.hasPrefix(prefix) {
            let rest = lower.dropFirst(prefix.count).split(separator: ":").last.map(String.init) ?? ""
            if let code = Int(rest), code > 0 { return "EPSG:\(code)" }
            return nil
        }
        if let code = Int(lower), code > 0 { return "EPSG:\(code)" }
        return nil
    }

    /// Looks a CRS up ("EPSG:4490", "urn:ogc:def:crs:EPSG::4526", "4326", "OGC:CRS84") in PROJ's database.
    public static func resolve(_ text: String) throws(LandtrackError) -> CoordinateReferenceSystem {
        guard let id = canonicalIdentifier(text) else {
            throw .invalidArgument("'\(text)' is not a CRS name landtrack understands (use EPSG:n, e.g. EPSG:4490, or OGC:CRS84)")
        }
        if id == "OGC:CRS84" { return .crs84 }
        if id == "EPSG:4490" { return .cgcs2000 }
        let ctx = PROJContext()
        guard let crs = proj_create(ctx.pointer, id) else {
            throw .invalidArgument("\(id) is not a CRS known to PROJ: \(ctx.lastError)")
        }
        defer { proj_destroy(crs) }
        let type = proj_get_type(crs)
        let geographic: Bool
        switch type {
        case PJ_TYPE_GEOGRAPHIC_2D_CRS, PJ_TYPE_GEOGRAPHIC_3D_CRS: geographic = true
        case PJ_TYPE_PROJECTED_CRS: geographic = false
        default:
            throw .invalidArgument("\(id) is neither a geographic nor a projected CRS; landtrack needs one of those")
        }
        let name = proj_get_name(crs).map { String(cString: $0) } ?? id

        guard let ell = proj_get_ellipsoid(ctx.pointer, crs) else {
            throw .proj(operation: "proj_get_ellipsoid(\(id))", message: ctx.lastError)
        }
        defer { proj_destroy(ell) }
        var a = 0.0, b = 0.0, computed: Int32 = 0, invf = 0.0
        guard proj_ellipsoid_get_parameters(ctx.pointer, ell, &a, &b, &computed, &invf) != 0 else {
            throw .proj(operation: "proj_ellipsoid_get_parameters(\(id))", message: ctx.lastError)
        }
        let ellName = proj_get_name(ell).map { String(cString: $0) } ?? "ellipsoid"
        let ellipsoid: Ellipsoid
        if a == Ellipsoid.wgs84.semiMajorAxis, abs(invf - Ellipsoid.wgs84.inverseFlattening) < 1e-9 {
            ellipsoid = .wgs84
        } else if a == Ellipsoid.cgcs2000.semiMajorAxis, abs(invf - Ellipsoid.cgcs2000.inverseFlattening) < 1e-9 {
            ellipsoid = .cgcs2000
        } else {
            ellipsoid = Ellipsoid(name: ellName, semiMajorAxis: a, inverseFlattening: invf == 0 ? .infinity : invf)
        }

        var northFirst = false
        if let cs = proj_crs_get_coordinate_system(ctx.pointer, crs) {
            defer { proj_destroy(cs) }
            var direction: UnsafePointer<CChar>?
            if proj_cs_get_axis_info(ctx.pointer, cs, 0, nil, nil, &direction, nil, nil, nil, nil) != 0, let direction {
                northFirst = String(cString: direction).lowercased() == "north"
            }
        }

        var base = id
        if !geographic, let geodetic = proj_crs_get_geodetic_crs(ctx.pointer, crs) {
            defer { proj_destroy(geodetic) }
            if let auth = proj_get_id_auth_name(geodetic, 0), let code = proj_get_id_code(geodetic, 0) {
                base = "\(String(cString: auth)):\(String(cString: code))"
            }
        }
        return CoordinateReferenceSystem(
            identifier: id, name: name, isGeographic: geographic, ellipsoid: ellipsoid,
            authorityAxisOrderIsNorthFirst: northFirst, geographicIdentifier: base)
    }
}

extension CoordinateReferenceSystem {
    /// The EPSG code, 4326 for OGC:CRS84 (GeoPackage registers CRS84 data as EPSG:4326, x = longitude).
    public var epsgCode: Int? {
        if identifier == "OGC:CRS84" { return 4326 }
        guard identifier.hasPrefix("EPSG:") else { return nil }
        return Int(identifier.dropFirst(5))
    }

    /// The CRS as WKT 1 in GDAL's dialect (proj_as_wkt), what GeoPackage's
    /// gpkg_spatial_ref_sys.definition holds.
    public func wkt1() throws(LandtrackError) -> String {
        let ctx = PROJContext()
        let id = epsgCode.map { "EPSG:\($0)" } ?? identifier
        guard let crs = proj_create(ctx.pointer, id) else {
            throw .proj(operation: "proj_create(\(id))", message: ctx.lastError)
        }
        defer { proj_destroy(crs) }
        guard let text = proj_as_wkt(ctx.pointer, crs, PJ_WKT1_GDAL, nil) else {
            throw .proj(operation: "proj_as_wkt(\(id))", message: ctx.lastError)
        }
        return String(cString: text)
    }
}

/// Owns one PJ_CONTEXT (PROJ contexts are not thread-safe: one per object that uses it).
final class PROJContext {
    let pointer: OpaquePointer?

    init() {
        pointer = proj_context_create()
        // Errors are read through proj_context_errno; PROJ's own logging to stderr is off.
        proj_log_level(pointer, PJ_LOG_NONE)
    }

    deinit { proj_context_destroy(pointer) }

    var lastError: String {
        let code = proj_context_errno(pointer)
        guard code != 0, let text = proj_context_errno_string(pointer, code) else { return "unknown error" }
        return String(cString: text)
    }
}
