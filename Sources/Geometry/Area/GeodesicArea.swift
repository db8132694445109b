import CPROJ
import Foundation

/// Area of a polygon whose edges are geodesics on an ellipsoid: the quantity GeographicLib's
/// `PolygonArea` (PROJ `geod_polygonarea`, PostGIS `ST_Area(geography)`) computes.
///
/// Small polygons (every parcel) take an exact-to-rounding fast path that costs a few
/// nanoseconds per vertex and no trigonometric call per vertex; anything large, long-edged,
/// near a pole or across a wide longitude range goes to `geod_polygonarea`.
///
/// The fast path, per ring (derivation in README "How areas are computed"):
/// 1. Map each vertex to the equal-area cylindrical plane of the ellipsoid,
///    x = λ, y = F(φ) with F′(φ) = M(φ)·r(φ) (meridian radius × parallel radius), so the
///    area of a region is ∬ dF dλ exactly.
///    F(φ) = a²(1−e²)/2 · [ s/(1−e²s²) + atanh(e·s)/e ], s = sin φ, evaluated with series:
///    sin φ from sin φ₀ / cos φ₀ of the ring's first vertex and a Taylor series in φ−φ₀,
///    atanh(e s)/e as s·Σ (e²s²)ᵏ/(2k+1).
/// 2. Shoelace in that plane gives the area of the ring with edges straight in (λ, F).
/// 3. A geodesic edge is not straight there. Green's theorem (A = −∮F dλ) and the trapezoid
///    rule's error term give the difference exactly to third order in the edge length:
///    ΔA_edge = −sin φₘ · (3 M² Δλ Δφ² + r² Δλ³) / 12, with φ″(λ) from the geodesic
///    equation (Clairaut). The neglected terms are fifth order in the edge length: measured
///    against `geod_polygonarea`, below 1e-4 m² for edges up to 2 km and 4e-3 m² at 5 km, so
///    edges longer than `maximumFastEdge` (5e-4 rad ≈ 3 km) go to GeographicLib.
public struct GeodesicAreaEngine: AreaEngine, Sendable {
    public let ellipsoid: Ellipsoid
    public var method: AreaMethod { .geodesic }

    /// Longest edge (radians of latitude, or of longitude × cos φ) the fast path accepts.
    public static let maximumFastEdge = 5e-4
    /// Largest latitude or longitude span of a ring (radians) the fast path accepts: the
    /// Taylor series for sin/cos of φ−φ₀ stay exact to 1e-17 within it.
    static let maximumFastSpan = 0.05
    /// The fast path is not used poleward of this latitude (degrees).
    static let maximumFastLatitude = 80.0

    private let e2: Double
    private let halfA2OneMinusE2: Double
    private let a2: Double
    private let m2Factor: Double

    public init(ellipsoid: Ellipsoid) {
        self.ellipsoid = ellipsoid
        let a = ellipsoid.semiMajorAxis
        e2 = ellipsoid.eccentricitySquared
        a2 = a * a
        halfA2OneMinusE2 = a * a * (1 - e2) / 2
        m2Factor = a * a * (1 - e2) * (1 - e2)
    }

    public var methodDescription: String {
        "geodesic: polygons with geodesic edges on the \(ellipsoid) ellipsoid (GeographicLib / Karney 2013 semantics)"
    }

    public func area(of polygon: Polygon) throws(LandtrackError) -> Double {
        var total = abs(ringArea(polygon.exterior.points))
        for hole in polygon.holes { total -= abs(ringArea(hole.points)) }
        return total
    }

    /// Signed area of one closed ring (positive counter-clockwise), m².
    public func ringArea(_ points: [Point]) -> Double {
        fastRingArea(points) ?? geographicLibRingArea(points)
    }

    /// GeographicLib through PROJ (`geod_polygonarea`): the reference, about 1 µs per vertex.
    public func geographicLibRingArea(_ points: [Point]) -> Double {
        // The closing position repeats the first; GeographicLib closes rings itself.
        let n = points.count - 1
        guard n >= 3 else { return 0 }
        var lats = [Double](), lons = [Double]()
        lats.reserveCapacity(n)
        lons.reserveCapacity(n)
        for p in points.prefix(n) {
            lats.append(p.y)
            lons.append(p.x)
        }
        var area = 0.0, perimeter = 0.0
        // Initialised here, not when the engine is made: most commands never leave the fast path,
        // and PROJ is loaded on its first call (a microsecond's set-up beside the polygon's work).
        var g = geod_geodesic()
        geod_init(&g, ellipsoid.semiMajorAxis, ellipsoid.flattening)
        geod_polygonarea(&g, &lats, &lons, Int32(n), &area, &perimeter)
        return area
    }

    /// The fast path alone: the signed ring area, or nil when the ring is outside its domain.
    public func fastRingArea(_ points: [Point]) -> Double? {
        points.withUnsafeBufferPointer { fastRingArea($0) }
    }

    private func fastRingArea(_ points: UnsafeBufferPointer<Point>) -> Double? {
        let n = points.count
        guard n >= 4 else { return 0 }
        let degree = Double.pi / 180
        let lat0 = points[0].y
        let lon0 = points[0].x
        guard abs(lat0) < Self.maximumFastLatitude else { return nil }
        let phi0 = lat0 * degree
        let s0 = sin(phi0), c0 = cos(phi0)
        let span = Self.maximumFastSpan
        let maxEdge = Self.maximumFastEdge
        let e2 = self.e2, a2 = self.a2, m2Factor = self.m2Factor
        let f0 = authalicF(s0)

        // Previous vertex: local longitude (rad), latitude offset (rad), sin, cos, F − F₀.
        var px = 0.0, pd = 0.0, ps = s0, pc = c0, py = 0.0
        var shoelace = 0.0
        var correction = 0.0
        for i in 1..<n {
            let p = points[i]
            var dlon = p.x - lon0
            if dlon > 180 { dlon -= 360 } else if dlon < -180 { dlon += 360 }
            let x = dlon * degree
            let d = (p.y - lat0) * degree
            if abs(d) > span || abs(x) > span { return nil }
            // sin/cos of d by Taylor series: |d| ≤ 0.05 so the d⁹ remainder is < 1e-17.
            let d2 = d * d
            // Multiplications by constant reciprocals: divisions would dominate the loop.
            let sd = d * (1 - d2 * (1.0 / 6) * (1 - d2 * (1.0 / 20) * (1 - d2 * (1.0 / 42))))
            let cd = 1 - d2 * 0.5 * (1 - d2 * (1.0 / 12) * (1 - d2 * (1.0 / 30) * (1 - d2 * (1.0 / 56))))
            let s = s0 * cd + c0 * sd
            let c = c0 * cd - s0 * sd
            let y = authalicF(s) - f0

            let dx = x - px
            let dphi = d - pd
            // Edges too long for the third-order correction go to GeographicLib.
            if abs(dphi) > maxEdge || abs(dx) * c > maxEdge { return nil }
            shoelace += (py + y) * dx
            // Midpoint values from the endpoint average: the error is fifth order overall.
            let sm = (ps + s) / 2, cm = (pc + c) / 2
            let w2inv = 1 / (1 - e2 * sm * sm)
            let m2 = m2Factor * w2inv * w2inv * w2inv
            let r2 = a2 * cm * cm * w2inv
            correction += sm * dx * (3 * m2 * dphi * dphi + r2 * dx * dx)

            px = x; pd = d; ps = s; pc = c; py = y
        }
        return -shoelace / 2 - correction / 12
    }

    /// F(s) = a²(1−e²)/2 · [ s/(1−e²s²) + atanh(e s)/e ]: the equal-area (authalic) ordinate.
    @inline(__always)
    private func authalicF(_ s: Double) -> Double {
        let u = e2 * s * s
        // atanh(e s)/(e s) = Σ uᵏ/(2k+1); u ≤ 0.0067, so terms to u⁸ reach 1e-19. Estrin's
        // scheme instead of Horner's: the dependent chain is 4 steps long, not 9.
        let u2 = u * u, u4 = u2 * u2, u8 = u4 * u4
        let p01 = 1 + u * (1.0 / 3), p23 = 1.0 / 5 + u * (1.0 / 7)
        let p45 = 1.0 / 9 + u * (1.0 / 11), p67 = 1.0 / 13 + u * (1.0 / 15)
        let series = (p01 + u2 * p23) + u4 * (p45 + u2 * p67) + u8 * (1.0 / 17)
        return halfA2OneMinusE2 * s * (1 / (1 - u) + series)
    }
}
