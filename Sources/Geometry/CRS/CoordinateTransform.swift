import CPROJ

/// A PROJ transformation between two CRSs, with both sides in east-first order
/// (longitude/latitude degrees, easting/northing metres): `proj_normalize_for_visualization`.
///
/// Owns its PROJ context and PJ object; not `Sendable` (a PROJ context belongs to one thread).
public final class CoordinateTransform {
    public let source: CoordinateReferenceSystem
    public let target: CoordinateReferenceSystem
    private let context: PROJContext
    private let pj: OpaquePointer

    public convenience init(from source: CoordinateReferenceSystem, to target: CoordinateReferenceSystem) throws(LandtrackError) {
        try self.init(from: source, to: target, sourceDefinition: source.identifier, targetDefinition: target.identifier)
    }

    /// With PROJ definitions for either side (e.g. a "+proj=tmerc … +type=crs" string);
    /// `source`/`target` describe them for messages.
    init(from source: CoordinateReferenceSystem, to target: CoordinateReferenceSystem,
         sourceDefinition: String, targetDefinition: String) throws(LandtrackError) {
        self.source = source
        self.target = target
        context = PROJContext()
        // proj_create_crs_to_crs: NULL on failure.
        guard let raw = proj_create_crs_to_crs(context.pointer, sourceDefinition, targetDefinition, nil) else {
            throw .proj(operation: "proj_create_crs_to_crs(\(sourceDefinition) → \(targetDefinition))",
                        message: context.lastError)
        }
        defer { proj_destroy(raw) }
        // proj_normalize_for_visualization: NULL on failure.
        guard let normalized = proj_normalize_for_visualization(context.pointer, raw) else {
            throw .proj(operation: "proj_normalize_for_visualization", message: context.lastError)
        }
        pj = normalized
    }

    /// An operation given as a PROJ pipeline that takes east-first positions of `source` to
    /// east-first positions of `target` (proj_create: NULL on failure); no database search.
    init(from source: CoordinateReferenceSystem, to target: CoordinateReferenceSystem, pipeline: String) throws(LandtrackError) {
        self.source = source
        self.target = target
        context = PROJContext()
        guard let made = proj_create(context.pointer, pipeline) else {
            throw .proj(operation: "proj_create(\(pipeline))", message: context.lastError)
        }
        pj = made
    }

    /// A copy in a PROJ context of its own (proj_clone: NULL on failure), for another thread: the
    /// same operation without searching PROJ's database again (that search took 60–80 ms from
    /// WGS 84 to a CGCS2000 Gauss-Krüger zone; the copy ~0.1 ms).
    public func copy() throws(LandtrackError) -> CoordinateTransform {
        let own = PROJContext()
        guard let cloned = proj_clone(own.pointer, pj) else {
            throw .proj(operation: "proj_clone(\(source.identifier) → \(target.identifier))", message: own.lastError)
        }
        return CoordinateTransform(source: source, target: target, context: own, pj: cloned)
    }

    private init(source: CoordinateReferenceSystem, target: CoordinateReferenceSystem, context: PROJContext, pj: OpaquePointer) {
        self.source = source
        self.target = target
        self.context = context
        self.pj = pj
    }

    deinit { proj_destroy(pj) }

    /// From `source` to the 3° Gauss-Krüger plane whose central meridian is nearest to
    /// `longitude`: the CGCS2000 zone's EPSG CRS where one exists (75°E–135°E), else the same
    /// construction (transverse Mercator, k = 1, false easting 500 km, GRS80 = CGCS2000 ellipsoid).
    public static func gaussKrugerPlane(from source: CoordinateReferenceSystem, near longitude: Double) throws(LandtrackError) -> CoordinateTransform {
        let meridian = gaussKrugerMeridian(near: longitude)
        if let zone = try? CoordinateReferenceSystem.gaussKruger3Degree(containing: meridian) {
            if conversionOnlySources.contains(source.identifier) {
                return try CoordinateTransform(from: source, to: zone, pipeline: gaussKrugerPipeline(meridian: meridian))
            }
            return try CoordinateTransform(from: source, to: zone)
        }
        let plane = CoordinateReferenceSystem(
            identifier: "Gauss-Krüger CM \(JSONValue.numberText(meridian))°", name: "3° Gauss-Krüger plane, central meridian \(JSONValue.numberText(meridian))°",
            isGeographic: false, ellipsoid: .cgcs2000, authorityAxisOrderIsNorthFirst: false, geographicIdentifier: "EPSG:4490")
        let definition = "+proj=tmerc +lat_0=0 +lon_0=\(meridian) +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs"
        let sourceDefinition = source.identifier == "OGC:CRS84" ? "EPSG:4326" : source.identifier
        return try CoordinateTransform(from: source, to: plane, sourceDefinition: sourceDefinition, targetDefinition: definition)
    }

    /// The central meridian of `gaussKrugerPlane(from:near:)`'s plane: the multiple of 3° nearest
    /// to `longitude`.
    public static func gaussKrugerMeridian(near longitude: Double) -> Double {
        (longitude / 3).rounded() * 3
    }

    /// Longitude/latitude CRSs from which PROJ's operation to a CGCS2000 zone is the zone's
    /// conversion alone: from CGCS2000 itself, and from WGS 84, which PROJ's database relates to
    /// CGCS2000 by no transformation (PROJ joins them by a "ballpark" step that changes nothing).
    /// From these the operation is built from its definition: PROJ's search for it took 60–80 ms
    /// of every command that measures in the plane. CRSTests holds both to the same positions, to
    /// the bit, so that a PROJ whose choice differs fails there.
    static let conversionOnlySources: Set<String> = ["OGC:CRS84", "EPSG:4326", "EPSG:4490"]

    /// The CGCS2000 3° zone's transverse Mercator (k = 1, false easting 500 km, GRS80) from
    /// east-first degrees: the pipeline PROJ gives for EPSG:4490 → EPSG:4534–4554, normalised.
    static func gaussKrugerPipeline(meridian: Double) -> String {
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=tmerc +lat_0=0 +lon_0=\(JSONValue.numberText(meridian)) +k=1 +x_0=500000 +y_0=0 +ellps=GRS80"
    }

    /// Transforms interleaved x/y pairs in place the other way (target → source).
    public func inverse(interleaved xy: inout [Double]) throws(LandtrackError) {
        try run(PJ_INV, &xy)
    }

    public func transform(interleaved xy: inout [Double]) throws(LandtrackError) {
        try run(PJ_FWD, &xy)
    }

    /// proj_trans_generic over interleaved x/y pairs, in place. Throws naming the first position
    /// PROJ could not transform (PROJ marks those with HUGE_VAL).
    private func run(_ direction: PJ_DIRECTION, _ xy: inout [Double]) throws(LandtrackError) {
        let n = xy.count / 2
        guard n > 0 else { return }
        proj_errno_reset(pj)
        xy.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            _ = proj_trans_generic(
                pj, direction,
                base, MemoryLayout<Double>.stride * 2, n,
                base + 1, MemoryLayout<Double>.stride * 2, n,
                nil, 0, 0, nil, 0, 0)
        }
        for i in 0..<n where !xy[2 * i].isFinite || !xy[2 * i + 1].isFinite {
            throw .proj(operation: "transform \(source.identifier) → \(target.identifier)",
                        message: "position \(i) cannot be transformed (outside the area of use?)")
        }
    }

    public func transform(_ point: Point) throws(LandtrackError) -> Point {
        var xy = [point.x, point.y]
        try transform(interleaved: &xy)
        return Point(uncheckedX: xy[0], y: xy[1])
    }

    /// Transforms a ring's positions in one PROJ call.
    public func transform(_ points: [Point]) throws(LandtrackError) -> [Point] {
        var xy = [Double]()
        xy.reserveCapacity(points.count * 2)
        for p in points {
            xy.append(p.x)
            xy.append(p.y)
        }
        try transform(interleaved: &xy)
        var out = [Point]()
        out.reserveCapacity(points.count)
        for i in 0..<points.count { out.append(Point(uncheckedX: xy[2 * i], y: xy[2 * i + 1])) }
        return out
    }

    public func transform(_ polygon: Polygon) throws(LandtrackError) -> Polygon {
        var holes: [LinearRing] = []
        for h in polygon.holes { holes.append(LinearRing(unchecked: try transform(h.points))) }
        return Polygon(exterior: LinearRing(unchecked: try transform(polygon.exterior.points)), holes: holes)
    }

    public func transform(_ geometry: Geometry) throws(LandtrackError) -> Geometry {
        switch geometry {
        case let .polygon(p): return .polygon(try transform(p))
        case let .multiPolygon(mp):
            var out: [Polygon] = []
            for p in mp.polygons { out.append(try transform(p)) }
            return .multiPolygon(MultiPolygon(out))
        default:
            return try geometry.mapPoints { (p: Point) throws(LandtrackError) in try self.transform(p) }
        }
    }
}
