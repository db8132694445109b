import CGEOS

/// The answer of `GEOSisValidDetail_r`.
public struct Validity: Sendable, Hashable {
    public let isValid: Bool
    /// GEOS's reason, e.g. "Self-intersection" or "Hole lies outside shell"; nil when valid.
    public let reason: String?
    /// Where GEOS found the problem.
    public let location: Point?
}

/// Each wrapper names the GEOS function it calls and that function's failure convention.
extension GEOSContext {
    private func check(_ g: GEOSGeometryHandle) {
        precondition(g.context === self, "a GEOS geometry was used with a context other than its own")
    }

    // MARK: Validity

    /// GEOSisValidDetail_r: 1 valid, 0 invalid (reason and location are allocated for us and
    /// freed here with GEOSFree_r / GEOSGeom_destroy_r), 2 on exception.
    public func validity(_ g: GEOSGeometryHandle) throws(LandtrackError) -> Validity {
        check(g)
        var reason: UnsafeMutablePointer<CChar>?
        var location: OpaquePointer?
        let result = GEOSisValidDetail_r(handle, g.pointer, 0, &reason, &location)
        defer {
            if let reason { GEOSFree_r(handle, reason) }
            if let location { GEOSGeom_destroy_r(handle, location) }
        }
        switch result {
        case 1:
            return Validity(isValid: true, reason: nil, location: nil)
        case 0:
            var point: Point?
            if let location {
                var x = 0.0, y = 0.0
                // GEOSGeomGetX_r / GEOSGeomGetY_r: 0 on failure.
                if GEOSGeomGetX_r(handle, location, &x) != 0, GEOSGeomGetY_r(handle, location, &y) != 0,
                   x.isFinite, y.isFinite {
                    point = Point(uncheckedX: x, y: y)
                }
            }
            return Validity(isValid: false, reason: reason.map { String(cString: $0) }, location: point)
        default:
            throw failure("GEOSisValidDetail_r")
        }
    }

    /// GEOSMakeValidWithParams_r with the "structure" method (GEOS ≥ 3.10): rings are treated
    /// as area boundaries, so a bow-tie becomes two triangles and collapsed parts are dropped.
    /// NULL on failure.
    public func makeValid(_ g: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        // GEOSMakeValidParams_create_r: NULL on failure; set calls return 0 on failure.
        guard let params = GEOSMakeValidParams_create_r(handle) else { throw failure("GEOSMakeValidParams_create_r") }
        defer { GEOSMakeValidParams_destroy_r(handle, params) }
        guard GEOSMakeValidParams_setMethod_r(handle, params, GEOS_MAKE_VALID_STRUCTURE) != 0,
              GEOSMakeValidParams_setKeepCollapsed_r(handle, params, 0) != 0 else {
            throw failure("GEOSMakeValidParams_setMethod_r")
        }
        return try own(GEOSMakeValidWithParams_r(handle, g.pointer, params), "GEOSMakeValidWithParams_r")
    }

    // MARK: Predicates (1 true, 0 false, 2 exception)

    public func intersects(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> Bool {
        check(a); check(b)
        return try predicate(GEOSIntersects_r(handle, a.pointer, b.pointer), "GEOSIntersects_r")
    }

    public func touches(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> Bool {
        check(a); check(b)
        return try predicate(GEOSTouches_r(handle, a.pointer, b.pointer), "GEOSTouches_r")
    }

    /// GEOSDistanceWithin_r (GEOS ≥ 3.10): distance ≤ `distance` in the units of the coordinates.
    public func distanceWithin(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle, _ distance: Double) throws(LandtrackError) -> Bool {
        check(a); check(b)
        return try predicate(GEOSDistanceWithin_r(handle, a.pointer, b.pointer, distance), "GEOSDistanceWithin_r")
    }

    /// GEOSRelatePattern_r: does the DE-9IM matrix of a and b match `pattern` (e.g. "T*T***T**")?
    public func relate(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle, pattern: String) throws(LandtrackError) -> Bool {
        check(a); check(b)
        return try predicate(GEOSRelatePattern_r(handle, a.pointer, b.pointer, pattern), "GEOSRelatePattern_r")
    }

    /// GEOSRelate_r: the DE-9IM matrix as 9 characters; NULL on failure, freed with GEOSFree_r.
    public func relate(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> String {
        check(a); check(b)
        return try takeString(GEOSRelate_r(handle, a.pointer, b.pointer), "GEOSRelate_r")
    }

    /// The named binary predicates of Simple Features (GEOSContains_r, GEOSWithin_r, …).
    public enum NamedPredicate: String, CaseIterable, Sendable {
        case contains, coveredBy, covers, crosses, disjoint, equalsTopo, intersects, overlaps, touches, within
    }

    public func evaluate(_ predicate: NamedPredicate, _ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> Bool {
        check(a); check(b)
        let (result, name): (CChar, String) = switch predicate {
        case .contains: (GEOSContains_r(handle, a.pointer, b.pointer), "GEOSContains_r")
        case .coveredBy: (GEOSCoveredBy_r(handle, a.pointer, b.pointer), "GEOSCoveredBy_r")
        case .covers: (GEOSCovers_r(handle, a.pointer, b.pointer), "GEOSCovers_r")
        case .crosses: (GEOSCrosses_r(handle, a.pointer, b.pointer), "GEOSCrosses_r")
        case .disjoint: (GEOSDisjoint_r(handle, a.pointer, b.pointer), "GEOSDisjoint_r")
        case .equalsTopo: (GEOSEquals_r(handle, a.pointer, b.pointer), "GEOSEquals_r")
        case .intersects: (GEOSIntersects_r(handle, a.pointer, b.pointer), "GEOSIntersects_r")
        case .overlaps: (GEOSOverlaps_r(handle, a.pointer, b.pointer), "GEOSOverlaps_r")
        case .touches: (GEOSTouches_r(handle, a.pointer, b.pointer), "GEOSTouches_r")
        case .within: (GEOSWithin_r(handle, a.pointer, b.pointer), "GEOSWithin_r")
        }
        return try self.predicate(result, name)
    }

    /// GEOSEqualsExact_r: same structure and coordinates within `tolerance`.
    public func equalsExact(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle, tolerance: Double = 0) throws(LandtrackError) -> Bool {
        check(a); check(b)
        return try predicate(GEOSEqualsExact_r(handle, a.pointer, b.pointer, tolerance), "GEOSEqualsExact_r")
    }

    /// GEOSisEmpty_r.
    public func isEmpty(_ g: GEOSGeometryHandle) throws(LandtrackError) -> Bool {
        check(g)
        return try predicate(GEOSisEmpty_r(handle, g.pointer), "GEOSisEmpty_r")
    }

    // MARK: Overlay (each returns a new geometry, NULL on failure)

    public func intersection(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(a); check(b)
        return try own(GEOSIntersection_r(handle, a.pointer, b.pointer), "GEOSIntersection_r")
    }

    public func difference(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(a); check(b)
        return try own(GEOSDifference_r(handle, a.pointer, b.pointer), "GEOSDifference_r")
    }

    public func symmetricDifference(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(a); check(b)
        return try own(GEOSSymDifference_r(handle, a.pointer, b.pointer), "GEOSSymDifference_r")
    }

    public func union(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(a); check(b)
        return try own(GEOSUnion_r(handle, a.pointer, b.pointer), "GEOSUnion_r")
    }

    /// GEOSUnaryUnion_r: dissolves a collection into one geometry.
    public func unaryUnion(_ g: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        return try own(GEOSUnaryUnion_r(handle, g.pointer), "GEOSUnaryUnion_r")
    }

    /// GEOSCoverageUnion_r: fast union of polygons that form a clean coverage (edges shared
    /// exactly, no overlaps). The result is undefined for an unclean coverage: check first.
    public func coverageUnion(_ g: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        return try own(GEOSCoverageUnion_r(handle, g.pointer), "GEOSCoverageUnion_r")
    }

    /// GEOSBuffer_r with `quadrantSegments` segments per quarter circle.
    public func buffer(_ g: GEOSGeometryHandle, width: Double, quadrantSegments: Int32 = 8) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        return try own(GEOSBuffer_r(handle, g.pointer, width, quadrantSegments), "GEOSBuffer_r")
    }

    /// GEOSGeom_setPrecision_r: snaps to a grid of `gridSize` and rebuilds valid topology.
    public func setPrecision(_ g: GEOSGeometryHandle, gridSize: Double) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        return try own(GEOSGeom_setPrecision_r(handle, g.pointer, gridSize, 0), "GEOSGeom_setPrecision_r")
    }

    /// GEOSEnvelope_r: the bounding rectangle as a geometry.
    public func envelope(_ g: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        return try own(GEOSEnvelope_r(handle, g.pointer), "GEOSEnvelope_r")
    }

    /// GEOSGeom_getXMin_r, …YMin, …XMax, …YMax (GEOS ≥ 3.7): the bounds without making a
    /// geometry; each returns 0 on failure (an empty geometry has none: nil).
    public func bounds(_ g: GEOSGeometryHandle) throws(LandtrackError) -> Envelope? {
        check(g)
        if try isEmpty(g) { return nil }
        var e = Envelope(minX: 0, minY: 0, maxX: 0, maxY: 0)
        guard GEOSGeom_getXMin_r(handle, g.pointer, &e.minX) != 0, GEOSGeom_getYMin_r(handle, g.pointer, &e.minY) != 0,
              GEOSGeom_getXMax_r(handle, g.pointer, &e.maxX) != 0, GEOSGeom_getYMax_r(handle, g.pointer, &e.maxY) != 0 else {
            throw failure("GEOSGeom_getXMin_r")
        }
        return e
    }

    /// GEOSGeom_createRectangle_r (GEOS ≥ 3.11): a polygon for an envelope.
    public func rectangle(_ e: Envelope) throws(LandtrackError) -> GEOSGeometryHandle {
        try own(GEOSGeom_createRectangle_r(handle, e.minX, e.minY, e.maxX, e.maxY), "GEOSGeom_createRectangle_r")
    }

    /// GEOSUnaryUnionPrec_r: unary union on a grid of `gridSize` (snap-rounding overlay), robust
    /// for inputs whose shared edges do not match exactly.
    public func unaryUnion(_ g: GEOSGeometryHandle, gridSize: Double) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        return try own(GEOSUnaryUnionPrec_r(handle, g.pointer, gridSize), "GEOSUnaryUnionPrec_r")
    }

    /// GEOSNearestPoints_r: the shortest segment between two geometries, as a line
    /// (the returned sequence is ours and handed to GEOSGeom_createLineString_r).
    public func shortestLine(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(a); check(b)
        guard let seq = GEOSNearestPoints_r(handle, a.pointer, b.pointer) else { throw failure("GEOSNearestPoints_r") }
        return try own(GEOSGeom_createLineString_r(handle, seq), "GEOSGeom_createLineString_r")
    }

    /// GEOSBoundary_r: the rings of a polygon as lines.
    public func boundary(_ g: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        return try own(GEOSBoundary_r(handle, g.pointer), "GEOSBoundary_r")
    }

    /// GEOSPointOnSurface_r: a point guaranteed to lie in the geometry's interior.
    public func pointOnSurface(_ g: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        return try own(GEOSPointOnSurface_r(handle, g.pointer), "GEOSPointOnSurface_r")
    }

    /// GEOSPolygonize_r: the polygons formed by noded lines (inputs borrowed; NULL on failure).
    public func polygonize(_ lines: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(lines)
        var input: [OpaquePointer?] = [lines.pointer]
        let made = input.withUnsafeMutableBufferPointer { GEOSPolygonize_r(handle, $0.baseAddress, 1) }
        return try own(made, "GEOSPolygonize_r")
    }

    /// GEOSGetCentroid_r.
    public func centroid(_ g: GEOSGeometryHandle) throws(LandtrackError) -> GEOSGeometryHandle {
        check(g)
        return try own(GEOSGetCentroid_r(handle, g.pointer), "GEOSGetCentroid_r")
    }

    /// GEOSNormalize_r: puts the geometry in canonical form in place; -1 on failure.
    public func normalize(_ g: GEOSGeometryHandle) throws(LandtrackError) {
        check(g)
        guard GEOSNormalize_r(handle, g.pointer) == 0 else { throw failure("GEOSNormalize_r") }
    }

    /// GEOSArea_r: planar area in coordinate units squared; 0 on failure.
    public func planarArea(_ g: GEOSGeometryHandle) throws(LandtrackError) -> Double {
        check(g)
        var area = 0.0
        guard GEOSArea_r(handle, g.pointer, &area) != 0 else { throw failure("GEOSArea_r") }
        return area
    }

    /// GEOSLength_r: planar length (perimeter for polygons); 0 on failure.
    public func length(_ g: GEOSGeometryHandle) throws(LandtrackError) -> Double {
        check(g)
        var length = 0.0
        guard GEOSLength_r(handle, g.pointer, &length) != 0 else { throw failure("GEOSLength_r") }
        return length
    }

    /// GEOSDistance_r: planar distance; 0 on failure.
    public func distance(_ a: GEOSGeometryHandle, _ b: GEOSGeometryHandle) throws(LandtrackError) -> Double {
        check(a); check(b)
        var d = 0.0
        guard GEOSDistance_r(handle, a.pointer, b.pointer, &d) != 0 else { throw failure("GEOSDistance_r") }
        return d
    }

    /// Builds a GeometryCollection / MultiPolygon of clones of `members`
    /// (GEOSGeom_clone_r, NULL on failure; GEOSGeom_createCollection_r owns the clones).
    public func collection(_ members: [GEOSGeometryHandle], multiPolygon: Bool = false) throws(LandtrackError) -> GEOSGeometryHandle {
        var clones: [OpaquePointer?] = []
        clones.reserveCapacity(members.count)
        for m in members {
            check(m)
            guard let c = GEOSGeom_clone_r(handle, m.pointer) else {
                for c in clones { GEOSGeom_destroy_r(handle, c!) }
                throw failure("GEOSGeom_clone_r")
            }
            clones.append(c)
        }
        let type = multiPolygon ? GEOS_MULTIPOLYGON : GEOS_GEOMETRYCOLLECTION
        let made = clones.withUnsafeMutableBufferPointer {
            GEOSGeom_createCollection_r(handle, Int32(type.rawValue), $0.baseAddress, UInt32($0.count))
        }
        return try own(made, "GEOSGeom_createCollection_r")
    }
}
