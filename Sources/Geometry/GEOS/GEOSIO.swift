import CGEOS

/// WKT and WKB reading and writing through GEOS's readers and writers.
extension GEOSContext {
    /// GEOSWKTReader_read_r: NULL on failure (the handler's message says where the text is wrong).
    public func readWKT(_ text: String) throws(LandtrackError) -> GEOSGeometryHandle {
        guard let reader = GEOSWKTReader_create_r(handle) else { throw failure("GEOSWKTReader_create_r") }
        defer { GEOSWKTReader_destroy_r(handle, reader) }
        return try own(GEOSWKTReader_read_r(handle, reader, text), "GEOSWKTReader_read_r")
    }

    /// GEOSWKTWriter_write_r: NULL on failure; the string is freed with GEOSFree_r.
    /// `precision` rounds to that many decimals; nil writes full precision, trimmed.
    public func writeWKT(_ g: GEOSGeometryHandle, precision: Int32? = nil) throws(LandtrackError) -> String {
        guard let writer = GEOSWKTWriter_create_r(handle) else { throw failure("GEOSWKTWriter_create_r") }
        defer { GEOSWKTWriter_destroy_r(handle, writer) }
        GEOSWKTWriter_setTrim_r(handle, writer, 1)
        GEOSWKTWriter_setOutputDimension_r(handle, writer, 2)
        if let precision { GEOSWKTWriter_setRoundingPrecision_r(handle, writer, precision) }
        return try takeString(GEOSWKTWriter_write_r(handle, writer, g.pointer), "GEOSWKTWriter_write_r")
    }

    /// GEOSWKBReader_read_r: NULL on failure.
    public func readWKB(_ bytes: [UInt8]) throws(LandtrackError) -> GEOSGeometryHandle {
        guard let reader = GEOSWKBReader_create_r(handle) else { throw failure("GEOSWKBReader_create_r") }
        defer { GEOSWKBReader_destroy_r(handle, reader) }
        let made = bytes.withUnsafeBufferPointer { GEOSWKBReader_read_r(handle, reader, $0.baseAddress, $0.count) }
        return try own(made, "GEOSWKBReader_read_r")
    }

    /// GEOSWKBReader_readHEX_r: NULL on failure.
    public func readHexWKB(_ hex: String) throws(LandtrackError) -> GEOSGeometryHandle {
        guard let reader = GEOSWKBReader_create_r(handle) else { throw failure("GEOSWKBReader_create_r") }
        defer { GEOSWKBReader_destroy_r(handle, reader) }
        let bytes = Array(hex.utf8)
        let made = bytes.withUnsafeBufferPointer { GEOSWKBReader_readHEX_r(handle, reader, $0.baseAddress, $0.count) }
        return try own(made, "GEOSWKBReader_readHEX_r")
    }

    /// GEOSWKBWriter_write_r: little-endian 2-D WKB; NULL on failure, buffer freed with GEOSFree_r.
    public func writeWKB(_ g: GEOSGeometryHandle) throws(LandtrackError) -> [UInt8] {
        guard let writer = GEOSWKBWriter_create_r(handle) else { throw failure("GEOSWKBWriter_create_r") }
        defer { GEOSWKBWriter_destroy_r(handle, writer) }
        GEOSWKBWriter_setOutputDimension_r(handle, writer, 2)
        GEOSWKBWriter_setByteOrder_r(handle, writer, Int32(GEOS_WKB_NDR.rawValue))
        var size = 0
        guard let buffer = GEOSWKBWriter_write_r(handle, writer, g.pointer, &size) else {
            throw failure("GEOSWKBWriter_write_r")
        }
        defer { GEOSFree_r(handle, buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: size))
    }
}

/// A prepared geometry (GEOSPrepare_r) for many predicate tests against one geometry.
/// Keeps its source geometry alive: GEOS's prepared geometry borrows it.
public final class GEOSPreparedGeometry {
    public let source: GEOSGeometryHandle
    private let pointer: OpaquePointer
    private var context: GEOSContext { source.context }

    /// GEOSPrepare_r: NULL on failure.
    public init(_ source: GEOSGeometryHandle) throws(LandtrackError) {
        guard let p = GEOSPrepare_r(source.context.handle, source.pointer) else {
            throw source.context.failure("GEOSPrepare_r")
        }
        self.source = source
        self.pointer = p
    }

    deinit {
        GEOSPreparedGeom_destroy_r(context.handle, pointer)
    }

    /// GEOSPreparedIntersects_r: 1/0, 2 on exception.
    public func intersects(_ other: GEOSGeometryHandle) throws(LandtrackError) -> Bool {
        precondition(other.context === context)
        return try context.predicate(GEOSPreparedIntersects_r(context.handle, pointer, other.pointer), "GEOSPreparedIntersects_r")
    }

    /// GEOSPreparedTouches_r: 1/0, 2 on exception.
    public func touches(_ other: GEOSGeometryHandle) throws(LandtrackError) -> Bool {
        precondition(other.context === context)
        return try context.predicate(GEOSPreparedTouches_r(context.handle, pointer, other.pointer), "GEOSPreparedTouches_r")
    }

    /// GEOSPreparedCovers_r: 1/0, 2 on exception.
    public func covers(_ other: GEOSGeometryHandle) throws(LandtrackError) -> Bool {
        precondition(other.context === context)
        return try context.predicate(GEOSPreparedCovers_r(context.handle, pointer, other.pointer), "GEOSPreparedCovers_r")
    }

    /// GEOSPreparedDistanceWithin_r (GEOS ≥ 3.10): 1/0, 2 on exception.
    public func distanceWithin(_ other: GEOSGeometryHandle, _ distance: Double) throws(LandtrackError) -> Bool {
        precondition(other.context === context)
        return try context.predicate(
            GEOSPreparedDistanceWithin_r(context.handle, pointer, other.pointer, distance), "GEOSPreparedDistanceWithin_r")
    }
}

/// A GEOS STRtree over geometries identified by their index in the list given at creation.
/// The tree keeps the geometries alive because GEOS stores pointers to their envelopes.
public final class GEOSSpatialIndex {
    public let context: GEOSContext
    private let tree: OpaquePointer
    private let items: [GEOSGeometryHandle]

    /// GEOSSTRtree_create_r: NULL on failure. The tree is built on the first query.
    public init(context: GEOSContext, geometries: [GEOSGeometryHandle], nodeCapacity: Int = 10) throws(LandtrackError) {
        guard let t = GEOSSTRtree_create_r(context.handle, nodeCapacity) else {
            throw context.failure("GEOSSTRtree_create_r")
        }
        self.context = context
        self.tree = t
        self.items = geometries
        for (i, g) in geometries.enumerated() {
            precondition(g.context === context)
            // Items are indices + 1 so that no item is a NULL pointer.
            GEOSSTRtree_insert_r(context.handle, t, g.pointer, UnsafeMutableRawPointer(bitPattern: i + 1))
        }
    }

    deinit {
        GEOSSTRtree_destroy_r(context.handle, tree)
    }

    public var count: Int { items.count }

    /// Indices of the geometries whose envelopes intersect `geometry`'s envelope (GEOSSTRtree_query_r).
    public func query(_ geometry: GEOSGeometryHandle) -> [Int] {
        precondition(geometry.context === context)
        var found: [Int] = []
        withUnsafeMutablePointer(to: &found) { out in
            GEOSSTRtree_query_r(context.handle, tree, geometry.pointer, { item, userData in
                let list = userData!.assumingMemoryBound(to: [Int].self)
                list.pointee.append(Int(bitPattern: item) - 1)
            }, out)
        }
        return found.sorted()
    }

    /// Indices whose envelopes intersect `envelope`.
    public func query(_ envelope: Envelope) throws(LandtrackError) -> [Int] {
        query(try context.rectangle(envelope))
    }
}
