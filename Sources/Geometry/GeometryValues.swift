/// Geometry values. They are plain `Sendable` structs that cannot hold an invalid state:
/// coordinates are finite, rings are closed with at least four positions, lines have two.
/// Topological validity (self-intersection, holes outside shells) is GEOS's job: see
/// `GEOSContext.validity(_:)`. Z values are not kept: every measure landtrack makes is 2-D.

/// A position: x/y in the units of its CRS (longitude/latitude degrees for geographic data,
/// easting/northing metres for projected data).
public struct Point: Sendable, Hashable, CustomStringConvertible {
    public let x: Double
    public let y: Double

    /// Throws when either coordinate is NaN or infinite.
    public init(x: Double, y: Double) throws(LandtrackError) {
        guard x.isFinite, y.isFinite else {
            throw .geometry(GeometryProblem(.nonFiniteCoordinate, "coordinate (\(x), \(y)) is not a finite number"))
        }
        self.x = x
        self.y = y
    }

    /// For coordinates that are finite by construction (results of arithmetic on finite values,
    /// GEOS output).
    init(uncheckedX x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public var description: String { "(\(Self.text(x)), \(Self.text(y)))" }

    /// Coordinates for messages: degrees to 9 decimals (0.1 mm), metres to 4, trailing zeros dropped.
    static func text(_ v: Double) -> String {
        guard v.isFinite else { return String(v) }
        var s = String(format: abs(v) <= 360 ? "%.9f" : "%.4f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

/// A closed ring of at least four positions whose first and last positions are equal.
public struct LinearRing: Sendable, Hashable {
    public let points: [Point]

    public init(_ points: [Point]) throws(LandtrackError) {
        guard points.count >= 4 else {
            throw .geometry(GeometryProblem(
                .ringTooShort, "a ring needs at least 4 positions (first = last), this one has \(points.count)"))
        }
        guard points.first == points.last else {
            throw .geometry(GeometryProblem(
                .ringNotClosed,
                "ring is not closed: first position \(points.first!) differs from last \(points.last!)",
                vertex: points.count - 1))
        }
        self.points = points
    }

    init(unchecked points: [Point]) { self.points = points }

    /// Twice the signed planar (shoelace) area: positive when counter-clockwise.
    public var signedArea: Double {
        // Shifted to the first vertex so large projected coordinates keep their precision.
        let origin = points[0]
        var twice = 0.0
        var previous = Point(uncheckedX: 0, y: 0)
        for p in points.dropFirst() {
            let current = Point(uncheckedX: p.x - origin.x, y: p.y - origin.y)
            twice += previous.x * current.y - current.x * previous.y
            previous = current
        }
        return twice / 2
    }

    public var isCounterClockwise: Bool { signedArea > 0 }

    /// True when the ring encloses no area at all: every position lies on one line (or repeats).
    /// Unlike a zero signed area, this is false for a bow-tie whose lobes cancel.
    public var isDegenerate: Bool {
        let origin = points[0]
        let e = envelope
        let scale = max(e.maxX - e.minX, e.maxY - e.minY)
        guard scale > 0 else { return true }
        var swept = 0.0
        for i in 1..<(points.count - 1) {
            let a = points[i], b = points[i + 1]
            swept += abs((a.x - origin.x) * (b.y - origin.y) - (b.x - origin.x) * (a.y - origin.y))
        }
        // Relative to the extent: 1e-12 of the bounding square is far below any real parcel.
        return swept <= 1e-12 * scale * scale
    }

    public var envelope: Envelope { Envelope(points)! }
}

/// A polygon: one exterior ring and any number of holes.
public struct Polygon: Sendable, Hashable {
    public let exterior: LinearRing
    public let holes: [LinearRing]

    public init(exterior: LinearRing, holes: [LinearRing] = []) {
        self.exterior = exterior
        self.holes = holes
    }

    /// Rings given as position lists: the first is the exterior. Errors say which ring is wrong.
    public init(rings: [[Point]]) throws(LandtrackError) {
        guard !rings.isEmpty else {
            throw .geometry(GeometryProblem(.emptyGeometry, "polygon has no rings"))
        }
        func ring(_ index: Int) throws(LandtrackError) -> LinearRing {
            do {
                return try LinearRing(rings[index])
            } catch {
                if case let .geometry(problem) = error { throw .geometry(problem.located(ring: index)) }
                throw error
            }
        }
        // No array of all the rings first: a polygon without holes (most parcels) allocates none.
        self.exterior = try ring(0)
        var holes: [LinearRing] = []
        if rings.count > 1 {
            holes.reserveCapacity(rings.count - 1)
            for index in 1..<rings.count { holes.append(try ring(index)) }
        }
        self.holes = holes
    }

    public var rings: [LinearRing] { [exterior] + holes }
    public var vertexCount: Int { holes.reduce(exterior.points.count) { $0 + $1.points.count } }
    public var envelope: Envelope { exterior.envelope }
}

/// Several polygons counted as one feature (a parcel split by a ditch, say).
public struct MultiPolygon: Sendable, Hashable {
    public let polygons: [Polygon]

    public init(_ polygons: [Polygon]) {
        self.polygons = polygons
    }

    public var vertexCount: Int { polygons.reduce(0) { $0 + $1.vertexCount } }
    public var envelope: Envelope? {
        polygons.reduce(nil as Envelope?) { acc, p in acc.map { $0.union(p.envelope) } ?? p.envelope }
    }
}

/// A line of at least two positions.
public struct LineString: Sendable, Hashable {
    public let points: [Point]

    public init(_ points: [Point]) throws(LandtrackError) {
        guard points.count >= 2 else {
            throw .geometry(GeometryProblem(
                .lineTooShort, "a line needs at least 2 positions, this one has \(points.count)"))
        }
        self.points = points
    }

    init(unchecked points: [Point]) { self.points = points }
}

/// Any GeoJSON / Simple Features geometry.
public indirect enum Geometry: Sendable, Hashable {
    case point(Point)
    case multiPoint([Point])
    case lineString(LineString)
    case multiLineString([LineString])
    case polygon(Polygon)
    case multiPolygon(MultiPolygon)
    case geometryCollection([Geometry])

    /// The GeoJSON type name.
    public var typeName: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }

    /// Polygonal geometries as a list of polygons; nil for anything else.
    public var polygons: [Polygon]? {
        switch self {
        case let .polygon(p): [p]
        case let .multiPolygon(mp): mp.polygons
        default: nil
        }
    }

    /// The polygons of a polygonal result, collections searched (GEOS overlay and make-valid
    /// results can mix polygons with lower-dimensional leftovers, which are dropped).
    public var polygonalParts: [Polygon] {
        switch self {
        case let .polygon(p): [p]
        case let .multiPolygon(mp): mp.polygons
        case let .geometryCollection(gs): gs.flatMap(\.polygonalParts)
        default: []
        }
    }

    /// Every position, in order (used for envelopes and coordinate checks).
    public var allPoints: [Point] {
        switch self {
        case let .point(p): [p]
        case let .multiPoint(ps): ps
        case let .lineString(l): l.points
        case let .multiLineString(ls): ls.flatMap(\.points)
        case let .polygon(p): p.rings.flatMap(\.points)
        case let .multiPolygon(mp): mp.polygons.flatMap { $0.rings.flatMap(\.points) }
        case let .geometryCollection(gs): gs.flatMap(\.allPoints)
        }
    }

    public var envelope: Envelope? { Envelope(allPoints) }

    /// Applies `transform` to every position, keeping the structure.
    public func mapPoints(_ transform: (Point) throws(LandtrackError) -> Point) throws(LandtrackError) -> Geometry {
        func ring(_ r: LinearRing) throws(LandtrackError) -> LinearRing {
            var out: [Point] = []
            out.reserveCapacity(r.points.count)
            for p in r.points { out.append(try transform(p)) }
            return LinearRing(unchecked: out)
        }
        func polygon(_ p: Polygon) throws(LandtrackError) -> Polygon {
            var holes: [LinearRing] = []
            for h in p.holes { holes.append(try ring(h)) }
            return Polygon(exterior: try ring(p.exterior), holes: holes)
        }
        func points(_ ps: [Point]) throws(LandtrackError) -> [Point] {
            var out: [Point] = []
            out.reserveCapacity(ps.count)
            for p in ps { out.append(try transform(p)) }
            return out
        }
        switch self {
        case let .point(p): return .point(try transform(p))
        case let .multiPoint(ps): return .multiPoint(try points(ps))
        case let .lineString(l): return .lineString(LineString(unchecked: try points(l.points)))
        case let .multiLineString(ls):
            var out: [LineString] = []
            for l in ls { out.append(LineString(unchecked: try points(l.points))) }
            return .multiLineString(out)
        case let .polygon(p): return .polygon(try polygon(p))
        case let .multiPolygon(mp):
            var out: [Polygon] = []
            for p in mp.polygons { out.append(try polygon(p)) }
            return .multiPolygon(MultiPolygon(out))
        case let .geometryCollection(gs):
            var out: [Geometry] = []
            for g in gs { out.append(try g.mapPoints(transform)) }
            return .geometryCollection(out)
        }
    }
}

/// An axis-aligned bounding box.
public struct Envelope: Sendable, Hashable, CustomStringConvertible {
    public var minX: Double, minY: Double, maxX: Double, maxY: Double

    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    /// nil for an empty list.
    public init?<S: Sequence>(_ points: S) where S.Element == Point {
        var it = points.makeIterator()
        guard let first = it.next() else { return nil }
        var e = Envelope(minX: first.x, minY: first.y, maxX: first.x, maxY: first.y)
        while let p = it.next() {
            e.minX = Swift.min(e.minX, p.x)
            e.maxX = Swift.max(e.maxX, p.x)
            e.minY = Swift.min(e.minY, p.y)
            e.maxY = Swift.max(e.maxY, p.y)
        }
        self = e
    }

    public func union(_ other: Envelope) -> Envelope {
        Envelope(minX: Swift.min(minX, other.minX), minY: Swift.min(minY, other.minY),
                 maxX: Swift.max(maxX, other.maxX), maxY: Swift.max(maxY, other.maxY))
    }

    public func intersects(_ other: Envelope) -> Bool {
        minX <= other.maxX && other.minX <= maxX && minY <= other.maxY && other.minY <= maxY
    }

    public var center: Point { Point(uncheckedX: (minX + maxX) / 2, y: (minY + maxY) / 2) }

    public var description: String { "[\(minX), \(minY), \(maxX), \(maxY)]" }
}
