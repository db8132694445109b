import Foundation

/// Whether two polygonal geometries given in longitude/latitude lie within `gap` metres of each
/// other in a transverse Mercator plane of scale 1 on its central meridian (a 3° Gauss-Krüger
/// zone, as `CoordinateTransform.gaussKrugerPlane` makes it; GEOS's distance there is the
/// measure), decided on the coordinates alone where bounds prove it. A positive gap's candidate
/// pairs are mostly far from the gap either way, and for those neither PROJ nor GEOS is needed;
/// the rest are `undecided`, for the caller to project and ask GEOS. Never a wrong answer.
///
/// The bound. Around the pair take the frame x = (λ − λ₀)·N₀cosφ₀, y = (φ − φ₀)·M₀ in metres
/// (λ₀, φ₀ the middle of the pair's envelope; N, M the ellipsoid's radii of curvature). The
/// map F from the frame to the plane is conformal with scale k·s: k ≥ 1 the projection's
/// (1/√(1 − (cosφ·sinΔλ)²) on the sphere, Δλ from the central meridian; the ellipsoid adds
/// under 1 % of k − 1), s the ellipsoid's against the frame (N cosφ / N₀cosφ₀ along x, M / M₀
/// along y: within tan|φ|·h + O(h²) of 1 for a latitude half-span of h radians), and its
/// rotation (the meridian convergence) turns by under the span over the radius. So over the
/// pair's envelope, which holds every segment between them, a distance changes by a factor in
/// [1 − ε, k_max(1 + ε)]. An edge is straight in the plane between its projected ends, not the
/// image of the frame's straight edge: the two are apart by at most L²·‖D²F‖/8 for an edge of
/// length L, with ‖D²F‖ ≤ 2(1 + tan|φ|)/a (cosφ, the convergence and k vary over a radius of
/// a). The filter decides only where the distance in the frame, scaled and moved by these
/// bounds taken ten times over, with a 1 % band on top, is still on one side of the gap.
///
/// Left undecided as well: pairs over 5 km across, beyond 70° of latitude or 10° of longitude
/// from the central meridian, and pairs where one part's envelope holds a part of the other's
/// (a part inside the other, or in its hole, is at distance 0 with boundaries apart).
public struct GaussKrugerGap: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Certainly at most `gap` apart in the plane.
        case within
        /// Certainly more than `gap` apart.
        case beyond
        /// Not proved either way here: project and ask GEOS.
        case undecided
    }

    public let gap: Double
    public let centralMeridian: Double
    private let a: Double, e2: Double

    /// For distances up to `gap` metres (> 0) in the plane of `centralMeridian` (degrees) on
    /// `ellipsoid` (the plane's: GRS80, which is CGCS2000's to 1e-10 in flattening).
    public init(gap: Double, centralMeridian: Double, ellipsoid: Ellipsoid = .cgcs2000) {
        self.gap = gap
        self.centralMeridian = centralMeridian
        a = ellipsoid.semiMajorAxis
        e2 = ellipsoid.eccentricitySquared
    }

    /// The filter for `gaussKrugerPlane(from: source, near: longitude)`'s plane, when that plane
    /// is the conversion of `source`'s own positions (no datum shift between); else nil.
    public static func measuring(_ gap: Double, from source: CoordinateReferenceSystem, near longitude: Double) -> GaussKrugerGap? {
        guard gap > 0, CoordinateTransform.conversionOnlySources.contains(source.identifier) else { return nil }
        return GaussKrugerGap(gap: gap, centralMeridian: CoordinateTransform.gaussKrugerMeridian(near: longitude))
    }

    static let widest = 5_000.0, highestLatitude = 70.0, farthestFromMeridian = 10.0

    /// The decision for geometries `p` and `q` (each at least one polygon, longitude/latitude).
    public func decide(_ p: [Polygon], _ q: [Polygon]) -> Decision {
        guard gap > 0, gap.isFinite, !p.isEmpty, !q.isEmpty else { return .undecided }
        var envP = p[0].exterior.envelope, envQ = q[0].exterior.envelope
        for s in p.dropFirst() { envP = envP.union(s.exterior.envelope) }
        for s in q.dropFirst() { envQ = envQ.union(s.exterior.envelope) }
        if p.count == 1 && q.count == 1 {
            if Self.holds(envP, envQ) || Self.holds(envQ, envP) { return .undecided }
        } else {
            for s in p {
                let e = s.exterior.envelope
                for t in q {
                    let f = t.exterior.envelope
                    if Self.holds(e, f) || Self.holds(f, e) { return .undecided }
                }
            }
        }
        let env = envP.union(envQ)
        let radian = Double.pi / 180
        let highest = max(abs(env.minY), abs(env.maxY))
        let lowest = env.minY <= 0 && env.maxY >= 0 ? 0 : min(abs(env.minY), abs(env.maxY))
        let offMeridian = max(abs(env.minX - centralMeridian), abs(env.maxX - centralMeridian))
        guard highest <= Self.highestLatitude, offMeridian <= Self.farthestFromMeridian else { return .undecided }
        let (lambda0, phi0) = ((env.minX + env.maxX) / 2, (env.minY + env.maxY) / 2)
        let sinPhi0 = sin(phi0 * radian), w = 1 - e2 * sinPhi0 * sinPhi0
        let perDegreeX = a / w.squareRoot() * cos(phi0 * radian) * radian
        let perDegreeY = a * (1 - e2) / (w * w.squareRoot()) * radian
        let spanX = (env.maxX - env.minX) * perDegreeX, spanY = (env.maxY - env.minY) * perDegreeY
        guard spanX <= Self.widest, spanY <= Self.widest else { return .undecided }

        let tangent = tan(highest * radian)
        let halfSpan = (env.maxY - env.minY) / 2 * radian
        let epsilon = 0.01 + 10 * ((1 + tangent) * halfSpan + (spanX + spanY) / a)
        let b = cos(lowest * radian) * sin(offMeridian * radian)
        let kMax = 1 + 10 * (1 / (1 - b * b).squareRoot() - 1)
        let (low, high) = (1 - epsilon, kMax * (1 + epsilon))

        let count = p.reduce(0) { $0 + $1.vertexCount } + q.reduce(0) { $0 + $1.vertexCount }
        return withUnsafeTemporaryAllocation(of: FilteredPredicates.XY.self, capacity: count) { xy in
            // The frame's positions, rings one after another; each ring's range.
            var n = 0
            var longest = 0.0
            func place(_ ring: LinearRing) -> Range<Int> {
                let start = n
                for point in ring.points {
                    xy[n] = FilteredPredicates.XY(x: (point.x - lambda0) * perDegreeX, y: (point.y - phi0) * perDegreeY)
                    if n > start {
                        let dx = xy[n].x - xy[n - 1].x, dy = xy[n].y - xy[n - 1].y
                        longest = max(longest, dx * dx + dy * dy)
                    }
                    n += 1
                }
                return start..<n
            }
            var ringsP: [Range<Int>] = [], ringsQ: [Range<Int>] = []
            for s in p { ringsP.append(place(s.exterior)); for h in s.holes { ringsP.append(place(h)) } }
            for s in q { ringsQ.append(place(s.exterior)); for h in s.holes { ringsQ.append(place(h)) } }
            // An edge of length L is within L²(1 + tan|φ|)/(4a) of the plane's straight edge;
            // ten times that, for each of the two geometries.
            let bulge = 2 * 10 * longest * (1 + tangent) / (4 * a)
            let beyond = (gap + bulge) / low   // farther than this in the frame: more than the gap
            let within = (gap - bulge) / high  // nearer than this: within the gap
            guard within > 0 else { return .undecided }
            let frameP = Self.box(xy, ringsP), frameQ = Self.box(xy, ringsQ)
            let nearest = Self.distance(xy, ringsP, frameP, ringsQ, frameQ, farthest: beyond, enough: within)
            return nearest < within ? .within : nearest > beyond ? .beyond : .undecided
        }
    }

    /// Does envelope `e` hold `f` (boundaries included)?
    private static func holds(_ e: Envelope, _ f: Envelope) -> Bool {
        e.minX <= f.minX && f.maxX <= e.maxX && e.minY <= f.minY && f.maxY <= e.maxY
    }

    private static func box(_ xy: UnsafeMutableBufferPointer<FilteredPredicates.XY>, _ rings: [Range<Int>]) -> Envelope {
        var e = Envelope(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)
        for r in rings {
            for i in r {
                e.minX = min(e.minX, xy[i].x); e.maxX = max(e.maxX, xy[i].x)
                e.minY = min(e.minY, xy[i].y); e.maxY = max(e.maxY, xy[i].y)
            }
        }
        return e
    }

    /// The distance between the two sets of rings' edges in the frame, exactly enough for the
    /// decision: edges whose boxes are farther than `farthest` from the other side are not
    /// measured (the answer is then "more than `farthest`"), and the search stops at the first
    /// distance under `enough`.
    private static func distance(_ xy: UnsafeMutableBufferPointer<FilteredPredicates.XY>,
                                 _ ringsP: [Range<Int>], _ boxP: Envelope, _ ringsQ: [Range<Int>], _ boxQ: Envelope,
                                 farthest: Double, enough: Double) -> Double {
        @inline(__always) func gapBetween(_ lo1: Double, _ hi1: Double, _ lo2: Double, _ hi2: Double) -> Double {
            max(0, lo2 - hi1, lo1 - hi2)
        }
        @inline(__always) func near(_ u: FilteredPredicates.XY, _ v: FilteredPredicates.XY, _ box: Envelope) -> Bool {
            let dx = gapBetween(min(u.x, v.x), max(u.x, v.x), box.minX, box.maxX)
            let dy = gapBetween(min(u.y, v.y), max(u.y, v.y), box.minY, box.maxY)
            return dx * dx + dy * dy <= farthest * farthest
        }
        // The edges (their first position) of each side near the other's box.
        var edgesQ: [Int] = []
        for r in ringsQ { for i in r.dropLast() where near(xy[i], xy[i + 1], boxP) { edgesQ.append(i) } }
        guard !edgesQ.isEmpty else { return .infinity }
        var nearest = Double.infinity
        for r in ringsP {
            for i in r.dropLast() where near(xy[i], xy[i + 1], boxQ) {
                let (u, v) = (xy[i], xy[i + 1])
                let own = Envelope(minX: min(u.x, v.x), minY: min(u.y, v.y), maxX: max(u.x, v.x), maxY: max(u.y, v.y))
                for j in edgesQ where near(xy[j], xy[j + 1], own) {
                    nearest = min(nearest, segmentDistance(u, v, xy[j], xy[j + 1]))
                    if nearest < enough { return nearest }
                }
            }
        }
        return nearest
    }

    /// The distance between segments u–v and r–s: 0 when they cross, else the nearest of an
    /// end to the other segment.
    static func segmentDistance(_ u: FilteredPredicates.XY, _ v: FilteredPredicates.XY,
                                _ r: FilteredPredicates.XY, _ s: FilteredPredicates.XY) -> Double {
        @inline(__always) func cross(_ p: FilteredPredicates.XY, _ q: FilteredPredicates.XY, _ t: FilteredPredicates.XY) -> Double {
            (q.x - p.x) * (t.y - p.y) - (q.y - p.y) * (t.x - p.x)
        }
        let c1 = cross(u, v, r), c2 = cross(u, v, s), c3 = cross(r, s, u), c4 = cross(r, s, v)
        if ((c1 < 0 && c2 > 0) || (c1 > 0 && c2 < 0)) && ((c3 < 0 && c4 > 0) || (c3 > 0 && c4 < 0)) { return 0 }
        return min(pointDistance(u, r, s), pointDistance(v, r, s), pointDistance(r, u, v), pointDistance(s, u, v))
    }

    /// The distance from `m` to the segment p–q.
    static func pointDistance(_ m: FilteredPredicates.XY, _ p: FilteredPredicates.XY, _ q: FilteredPredicates.XY) -> Double {
        let dx = q.x - p.x, dy = q.y - p.y
        let length2 = dx * dx + dy * dy
        let t = length2 > 0 ? max(0, min(1, ((m.x - p.x) * dx + (m.y - p.y) * dy) / length2)) : 0
        let cx = p.x + t * dx - m.x, cy = p.y + t * dy - m.y
        return (cx * cx + cy * cy).squareRoot()
    }
}
