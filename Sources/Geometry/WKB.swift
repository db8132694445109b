/// Well-known binary (OGC Simple Features, 2-D) for the polygonal geometries parcels have.
/// Written little-endian; read in either byte order. GEOS reads and writes the same format
/// (`GEOSContext.readWKB/writeWKB`); this one exists because the store encodes every parcel and
/// a GEOS round trip per parcel would cost a context, two copies and a C allocation.
public enum WKB {
    static let polygonType: UInt32 = 3
    static let multiPolygonType: UInt32 = 6

    /// MultiPolygon WKB of `polygons` (the GeoPackage layer's geometry type).
    public static func multiPolygon(_ polygons: [Polygon]) -> [UInt8] {
        var out: [UInt8] = []
        appendMultiPolygon(polygons, to: &out)
        return out
    }

    /// `multiPolygon(polygons)` appended to `out` (a store's geometry blob after its header,
    /// without an array of its own made and copied for every parcel).
    public static func appendMultiPolygon(_ polygons: [Polygon], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + 9 + polygons.reduce(0) { $0 + 9 + $1.vertexCount * 16 + $1.rings.count * 4 })
        out.append(1)
        append(multiPolygonType, to: &out)
        append(UInt32(polygons.count), to: &out)
        for p in polygons { appendPolygon(p, to: &out) }
    }

    static func appendPolygon(_ p: Polygon, to out: inout [UInt8]) {
        out.append(1)
        append(polygonType, to: &out)
        append(UInt32(p.holes.count + 1), to: &out)
        for ring in p.rings {
            append(UInt32(ring.points.count), to: &out)
            #if _endian(little)
            // A `[Point]`'s memory is its x, y pairs as little-endian Float64s: WKB's very bytes.
            if MemoryLayout<Point>.stride == 16 {
                ring.points.withUnsafeBytes { out.append(contentsOf: $0) }
                continue
            }
            #endif
            for pt in ring.points {
                append(pt.x.bitPattern, to: &out)
                append(pt.y.bitPattern, to: &out)
            }
        }
    }

    @inline(__always)
    static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Reads a Polygon or MultiPolygon; throws naming what is wrong and at which byte.
    public static func polygons(_ bytes: UnsafeRawBufferPointer) throws(LandtrackError) -> [Polygon] {
        var reader = Reader(bytes: bytes)
        let type = try reader.header()
        switch type {
        case polygonType: return [try reader.polygon()]
        case multiPolygonType:
            let n = try reader.count()
            var out: [Polygon] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                guard try reader.header() == polygonType else { throw reader.failure("a MultiPolygon member is not a Polygon") }
                out.append(try reader.polygon())
            }
            return out
        default:
            throw reader.failure("WKB geometry type \(type) is not a 2-D Polygon or MultiPolygon")
        }
    }

    public static func polygons(_ bytes: [UInt8]) throws(LandtrackError) -> [Polygon] {
        let result: Result<[Polygon], LandtrackError> = bytes.withUnsafeBytes { raw in
            do throws(LandtrackError) { return .success(try polygons(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        var littleEndian = true

        func failure(_ message: String) -> LandtrackError {
            .invalidArgument("bad WKB at byte \(offset): \(message)")
        }

        mutating func header() throws(LandtrackError) -> UInt32 {
            guard offset < bytes.count else { throw failure("ends early") }
            switch bytes[offset] {
            case 0: littleEndian = false
            case 1: littleEndian = true
            default: throw failure("byte order must be 0 or 1")
            }
            offset += 1
            return try uint32()
        }

        mutating func uint32() throws(LandtrackError) -> UInt32 {
            guard offset + 4 <= bytes.count else { throw failure("ends early") }
            let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            offset += 4
            return littleEndian ? UInt32(littleEndian: v) : UInt32(bigEndian: v)
        }

        mutating func count() throws(LandtrackError) -> Int {
            let n = Int(try uint32())
            // Each counted element takes at least 4 bytes: a larger count is a corrupt blob.
            guard n <= (bytes.count - offset) / 4 + 1 else { throw failure("count \(n) exceeds the data") }
            return n
        }

        mutating func double() throws(LandtrackError) -> Double {
            guard offset + 8 <= bytes.count else { throw failure("ends early") }
            let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
            return Double(bitPattern: littleEndian ? UInt64(littleEndian: v) : UInt64(bigEndian: v))
        }

        mutating func polygon() throws(LandtrackError) -> Polygon {
            let ringCount = try count()
            guard ringCount > 0 else { throw failure("polygon without rings") }
            var rings: [LinearRing] = []
            rings.reserveCapacity(ringCount)
            for _ in 0..<ringCount {
                let n = try count()
                var points: [Point] = []
                points.reserveCapacity(n)
                for _ in 0..<n {
                    let x = try double(), y = try double()
                    points.append(try Point(x: x, y: y))
                }
                rings.append(try LinearRing(points))
            }
            return Polygon(exterior: rings[0], holes: Array(rings.dropFirst()))
        }
    }
}
