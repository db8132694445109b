import Foundation

/// The 三调 ellipsoidal area (图斑椭球面积) that official Chinese land-survey areas use.
///
/// Source: TD/T 1055-2019《第三次全国国土调查技术规程》, which takes the formula published with
/// 国土调查办发〔2008〕32号 (the second national land survey's 椭球面积计算公式). On CGCS2000
/// (a = 6378137 m, 1/f = 298.257222101), with b = a(1−f), e² = (a²−b²)/a²:
///
///     A = 1 + (3/6)e² + (30/80)e⁴ + (35/112)e⁶ + (630/2304)e⁸
///     B =     (1/6)e² + (15/80)e⁴ + (21/112)e⁶ + (420/2304)e⁸
///     C =               (3/80)e⁴ + (7/112)e⁶  + (180/2304)e⁸
///     D =                           (1/112)e⁶ + (45/2304)e⁸
///     E =                                       (5/2304)e⁸
///
/// The trapezoid between parallels B₁, B₂ spanning ΔL radians of longitude has area
///
///     S = 2b²ΔL[A sin(ΔB/2)cos Bₘ − B sin(3ΔB/2)cos 3Bₘ + C sin(5ΔB/2)cos 5Bₘ
///              − D sin(7ΔB/2)cos 7Bₘ + E sin(9ΔB/2)cos 9Bₘ],  ΔB = B₂−B₁, Bₘ = (B₁+B₂)/2.
///
/// A ring's area is |Σ over its edges| of S with ΔL replaced by the edge's mean longitude from a
/// reference meridian L₀ ((L₁+L₂)/2 − L₀; L₀ cancels on a closed ring, a near one keeps
/// precision: the zone's central meridian). Holes subtract. As in the survey software the
/// formula is used with, edges longer than 70 m are first densified with ⌊length/70⌋ evenly
/// spaced points (linear in B, L). Input positions are taken as CGCS2000 longitude/latitude;
/// WGS 84 positions are used as they are (the datums agree to centimetres, the ellipsoids'
/// areas to 1e-10 relative).
public struct SurveyAreaEngine: AreaEngine, Sendable {
    public var method: AreaMethod { .survey }
    public let ellipsoid: Ellipsoid = .cgcs2000
    /// L₀ in degrees.
    public let referenceMeridian: Double
    /// Edges longer than this (metres) are densified; nil turns densification off.
    public let densifyEdgesLongerThan: Double?

    private let coefficients: (a: Double, b: Double, c: Double, d: Double, e: Double)
    private let twoB2: Double

    public init(referenceMeridian: Double, densifyEdgesLongerThan: Double? = 70) {
        self.referenceMeridian = referenceMeridian
        self.densifyEdgesLongerThan = densifyEdgesLongerThan
        let a = Ellipsoid.cgcs2000.semiMajorAxis
        let b = Ellipsoid.cgcs2000.semiMinorAxis
        let e2 = (a * a - b * b) / (a * a)
        let e4 = e2 * e2, e6 = e4 * e2, e8 = e6 * e2
        coefficients = (
            a: 1 + (3.0 / 6) * e2 + (30.0 / 80) * e4 + (35.0 / 112) * e6 + (630.0 / 2304) * e8,
            b: (1.0 / 6) * e2 + (15.0 / 80) * e4 + (21.0 / 112) * e6 + (420.0 / 2304) * e8,
            c: (3.0 / 80) * e4 + (7.0 / 112) * e6 + (180.0 / 2304) * e8,
            d: (1.0 / 112) * e6 + (45.0 / 2304) * e8,
            e: (5.0 / 2304) * e8)
        twoB2 = 2 * b * b
    }

    public var methodDescription: String {
        let densify = densifyEdgesLongerThan.map { ", edges over \(Int($0)) m densified" } ?? ""
        return "survey: 三调 ellipsoidal area (TD/T 1055-2019, 国土调查办发〔2008〕32号) on the \(ellipsoid) ellipsoid, "
            + "reference meridian \(referenceMeridian)°E\(densify)"
    }

    public func area(of polygon: Polygon) throws(LandtrackError) -> Double {
        var total = abs(ringArea(polygon.exterior.points))
        for hole in polygon.holes { total -= abs(ringArea(hole.points)) }
        return total
    }

    /// Signed area of a closed ring (positive counter-clockwise), m².
    public func ringArea(_ points: [Point]) -> Double {
        let degree = Double.pi / 180
        let l0 = referenceMeridian
        var sum = 0.0
        for i in 1..<points.count {
            let p = points[i - 1], q = points[i]
            let pieces = densifyEdgesLongerThan.map { Self.pieces(p, q, longerThan: $0) } ?? 1
            for k in 0..<pieces {
                let t0 = Double(k) / Double(pieces), t1 = Double(k + 1) / Double(pieces)
                let b1 = (p.y + (q.y - p.y) * t0) * degree, b2 = (p.y + (q.y - p.y) * t1) * degree
                let l1 = p.x + (q.x - p.x) * t0, l2 = p.x + (q.x - p.x) * t1
                sum += trapezoid(b1: b1, b2: b2, meanLongitudeOffset: ((l1 + l2) / 2 - l0) * degree)
            }
        }
        return sum
    }

    /// S for one edge (ΔL replaced by the mean longitude offset), m².
    private func trapezoid(b1: Double, b2: Double, meanLongitudeOffset dl: Double) -> Double {
        let db = b2 - b1, bm = (b1 + b2) / 2
        let k = coefficients
        let series = k.a * sin(db / 2) * cos(bm)
            - k.b * sin(3 * db / 2) * cos(3 * bm)
            + k.c * sin(5 * db / 2) * cos(5 * bm)
            - k.d * sin(7 * db / 2) * cos(7 * bm)
            + k.e * sin(9 * db / 2) * cos(9 * bm)
        return twoB2 * dl * series
    }

    /// How many pieces the 70 m rule cuts an edge into (length on a sphere of radius a is
    /// close enough to decide where to cut).
    static func pieces(_ p: Point, _ q: Point, longerThan limit: Double) -> Int {
        let degree = Double.pi / 180
        let r = Ellipsoid.cgcs2000.semiMajorAxis
        let dy = (q.y - p.y) * degree * r
        let dx = (q.x - p.x) * degree * r * cos((p.y + q.y) / 2 * degree)
        let length = (dx * dx + dy * dy).squareRoot()
        guard length > limit else { return 1 }
        // ⌊length/70⌋ inserted points cut the edge into ⌊length/70⌋ + 1 pieces.
        return min(Int(length / limit) + 1, 100_000)
    }
}
