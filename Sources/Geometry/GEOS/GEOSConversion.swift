import CGEOS

// Swift values → GEOS and back. Ownership rule of the GEOS C API: a create call
// (GEOSGeom_createLinearRing_r, GEOSGeom_createPolygon_r, GEOSGeom_createCollection_r) owns its
// inputs from the moment it is called, even when it fails; inputs are never freed afterwards.
// Before a create call, whatever we built and still own is destroyed on failure.

extension GEOSContext {
    /// GEOSCoordSeq_copyFromBuffer_r: returns a new sequence, NULL on failure.
    private func coordinateSequence(_ points: [Point]) throws(LandtrackError) -> OpaquePointer {
        var buffer = [Double]()
        buffer.reserveCapacity(points.count * 2)
        for p in points {
            buffer.append(p.x)
            buffer.append(p.y)
        }
        let seq = buffer.withUnsafeBufferPointer {
            GEOSCoordSeq_copyFromBuffer_r(handle, $0.baseAddress, UInt32(points.count), 0, 0)
        }
        guard let seq else { throw failure("GEOSCoordSeq_copyFromBuffer_r") }
        return seq
    }

    /// GEOSGeom_createLinearRing_r: owns `seq` even when it returns NULL.
    private func rawRing(_ points: [Point]) throws(LandtrackError) -> OpaquePointer {
        let seq = try coordinateSequence(points)
        guard let ring = GEOSGeom_createLinearRing_r(handle, seq) else {
            throw failure("GEOSGeom_createLinearRing_r")
        }
        return ring
    }

    private func rawLine(_ points: [Point]) throws(LandtrackError) -> OpaquePointer {
        let seq = try coordinateSequence(points)
        // GEOSGeom_createLineString_r: owns `seq`; NULL on failure.
        guard let line = GEOSGeom_createLineString_r(handle, seq) else {
            throw failure("GEOSGeom_createLineString_r")
        }
        return line
    }

    private func rawPoint(_ p: Point) throws(LandtrackError) -> OpaquePointer {
        // GEOSGeom_createPointFromXY_r: NULL on failure.
        guard let point = GEOSGeom_createPointFromXY_r(handle, p.x, p.y) else {
            throw failure("GEOSGeom_createPointFromXY_r")
        }
        return point
    }

    private func rawPolygon(_ polygon: Polygon) throws(LandtrackError) -> OpaquePointer {
        let shell = try rawRing(polygon.exterior.points)
        var holes: [OpaquePointer?] = []
        holes.reserveCapacity(polygon.holes.count)
        for hole in polygon.holes {
            do {
                holes.append(try rawRing(hole.points))
            } catch {
                // Nothing was handed to GEOS yet: what we built is still ours to destroy.
                GEOSGeom_destroy_r(handle, shell)
                for h in holes { GEOSGeom_destroy_r(handle, h!) }
                throw error
            }
        }
        // GEOSGeom_createPolygon_r: owns shell and holes (not the array); NULL on failure.
        let made = holes.withUnsafeMutableBufferPointer {
            GEOSGeom_createPolygon_r(handle, shell, $0.baseAddress, UInt32(polygon.holes.count))
        }
        guard let made else { throw failure("GEOSGeom_createPolygon_r") }
        return made
    }

    /// GEOSGeom_createCollection_r: owns the members (not the array); NULL on failure.
    private func rawCollection(_ type: GEOSGeomTypes, _ members: [OpaquePointer?]) throws(LandtrackError) -> OpaquePointer {
        var members = members
        let made = members.withUnsafeMutableBufferPointer {
            GEOSGeom_createCollection_r(handle, Int32(type.rawValue), $0.baseAddress, UInt32($0.count))
        }
        guard let made else { throw failure("GEOSGeom_createCollection_r") }
        return made
    }

    /// Builds each member; on a failure destroys those already built (still ours) and rethrows.
    private func rawMembers<T>(_ items: [T], _ build: (T) throws(LandtrackError) -> OpaquePointer) throws(LandtrackError) -> [OpaquePointer?] {
        var built: [OpaquePointer?] = []
        built.reserveCapacity(items.count)
        for item in items {
            do {
                built.append(try build(item))
            } catch {
                for b in built { GEOSGeom_destroy_r(handle, b!) }
                throw error
            }
        }
        return built
    }

    private func raw(_ geometry: Geometry) throws(LandtrackError) -> OpaquePointer {
        switch geometry {
        case let .point(p):
            return try rawPoint(p)
        case let .multiPoint(ps):
            return try rawCollection(GEOS_MULTIPOINT, try rawMembers(ps, rawPoint))
        case let .lineString(l):
            return try rawLine(l.points)
        case let .multiLineString(ls):
            return try rawCollection(GEOS_MULTILINESTRING, try rawMembers(ls) { (l: LineString) throws(LandtrackError) in try rawLine(l.points) })
        case let .polygon(p):
            return try rawPolygon(p)
        case let .multiPolygon(mp):
            return try rawCollection(GEOS_MULTIPOLYGON, try rawMembers(mp.polygons, rawPolygon))
        case let .geometryCollection(gs):
            return try rawCollection(GEOS_GEOMETRYCOLLECTION, try rawMembers(gs, raw))
        }
    }

    /// A GEOS geometry for a Swift value.
    public func geometry(_ geometry: Geometry) throws(LandtrackError) -> GEOSGeometryHandle {
        GEOSGeometryHandle(context: self, pointer: try raw(geometry))
    }

    public func geometry(_ polygon: Polygon) throws(LandtrackError) -> GEOSGeometryHandle {
        GEOSGeometryHandle(context: self, pointer: try rawPolygon(polygon))
    }

    // MARK: GEOS → Swift

    /// GEOSCoordSeq_getSize_r / GEOSCoordSeq_copyToBuffer_r: 0 on failure. `seq` is borrowed.
    private func points(ofSequence seq: OpaquePointer) throws(LandtrackError) -> [Point] {
        var size: UInt32 = 0
        guard GEOSCoordSeq_getSize_r(handle, seq, &size) != 0 else { throw failure("GEOSCoordSeq_getSize_r") }
        var buffer = [Double](repeating: 0, count: Int(size) * 2)
        let ok = buffer.withUnsafeMutableBufferPointer {
            GEOSCoordSeq_copyToBuffer_r(handle, seq, $0.baseAddress, 0, 0)
        }
        guard ok != 0 else { throw failure("GEOSCoordSeq_copyToBuffer_r") }
        var out: [Point] = []
        out.reserveCapacity(Int(size))
        for i in 0..<Int(size) { out.append(Point(uncheckedX: buffer[2 * i], y: buffer[2 * i + 1])) }
        return out
    }

    /// GEOSGeom_getCoordSeq_r: borrowed sequence, NULL on failure.
    private func points(of pointer: OpaquePointer) throws(LandtrackError) -> [Point] {
        guard let seq = GEOSGeom_getCoordSeq_r(handle, pointer) else { throw failure("GEOSGeom_getCoordSeq_r") }
        return try points(ofSequence: seq)
    }

    private func polygonValue(_ pointer: OpaquePointer) throws(LandtrackError) -> Polygon {
        // GEOSGetExteriorRing_r / GEOSGetInteriorRingN_r: borrowed rings, NULL on failure.
        guard let shell = GEOSGetExteriorRing_r(handle, pointer) else { throw failure("GEOSGetExteriorRing_r") }
        let holeCount = GEOSGetNumInteriorRings_r(handle, pointer)
        guard holeCount >= 0 else { throw failure("GEOSGetNumInteriorRings_r") }
        var holes: [LinearRing] = []
        for i in 0..<holeCount {
            guard let ring = GEOSGetInteriorRingN_r(handle, pointer, i) else { throw failure("GEOSGetInteriorRingN_r") }
            holes.append(LinearRing(unchecked: try points(of: ring)))
        }
        return Polygon(exterior: LinearRing(unchecked: try points(of: shell)), holes: holes)
    }

    private func members(_ pointer: OpaquePointer) throws(LandtrackError) -> [OpaquePointer] {
        // GEOSGetNumGeometries_r: -1 on failure; GEOSGetGeometryN_r: borrowed, NULL on failure.
        let n = GEOSGetNumGeometries_r(handle, pointer)
        guard n >= 0 else { throw failure("GEOSGetNumGeometries_r") }
        var out: [OpaquePointer] = []
        for i in 0..<n {
            guard let m = GEOSGetGeometryN_r(handle, pointer, i) else { throw failure("GEOSGetGeometryN_r") }
            out.append(m)
        }
        return out
    }

    private func value(of pointer: OpaquePointer) throws(LandtrackError) -> Geometry {
        // GEOSisEmpty_r: 1/0, 2 on exception. Empty results have no Swift shape of their own.
        if try predicate(GEOSisEmpty_r(handle, pointer), "GEOSisEmpty_r") {
            return .geometryCollection([])
        }
        let type = GEOSGeomTypeId_r(handle, pointer)
        switch type {
        case Int32(GEOS_POINT.rawValue):
            let ps = try points(of: pointer)
            return .point(ps[0])
        case Int32(GEOS_LINESTRING.rawValue), Int32(GEOS_LINEARRING.rawValue):
            return .lineString(LineString(unchecked: try points(of: pointer)))
        case Int32(GEOS_POLYGON.rawValue):
            return .polygon(try polygonValue(pointer))
        case Int32(GEOS_MULTIPOINT.rawValue):
            var ps: [Point] = []
            for m in try members(pointer) { ps.append(contentsOf: try points(of: m)) }
            return .multiPoint(ps)
        case Int32(GEOS_MULTILINESTRING.rawValue):
            var ls: [LineString] = []
            for m in try members(pointer) { ls.append(LineString(unchecked: try points(of: m))) }
            return .multiLineString(ls)
        case Int32(GEOS_MULTIPOLYGON.rawValue):
            var ps: [Polygon] = []
            for m in try members(pointer) {
                // GEOS allows empty members in a multipolygon; there is nothing to keep of them.
                if try predicate(GEOSisEmpty_r(handle, m), "GEOSisEmpty_r") { continue }
                ps.append(try polygonValue(m))
            }
            return .multiPolygon(MultiPolygon(ps))
        case Int32(GEOS_GEOMETRYCOLLECTION.rawValue):
            var gs: [Geometry] = []
            for m in try members(pointer) { gs.append(try value(of: m)) }
            return .geometryCollection(gs)
        default:
            throw failure("GEOSGeomTypeId_r")
        }
    }

    /// The Swift value of a GEOS geometry (empty geometries become an empty collection).
    public func value(_ geometry: GEOSGeometryHandle) throws(LandtrackError) -> Geometry {
        try value(of: geometry.pointer)
    }
}
