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
/// precision: the zone's central meridian). Holes subtract.
///
/// In the survey the parcels are Gauss-Krüger plane coordinates and an edge is a straight line in
/// that plane. As the survey software does, each ring is taken to the 3° Gauss-Krüger plane of L₀
/// (CGCS2000, central meridian L₀), edges longer than 70 m are densified there with ⌊length/70⌋
/// evenly spaced points, and the points go back to B, L for the series. (The software also rounds
/// plane coordinates to 0.1 mm, a property of its stored data that is not repeated here.)
/// Positions are taken as CGCS2000 longitude/latitude; WGS 84 positions are used as they are (the
/// datums agree to centimetres, the ellipsoids' areas to 1e-10 relative).
///
/// Holds a PROJ transformation: one engine per task.
public final class SurveyAreaEngine: AreaEngine {
    public var method: AreaMethod { .survey }
    public let ellipsoid: Ellipsoid = .cgcs2000
    /// L₀ in degrees.
    public let referenceMeridian: Double
    /// Edges longer than this (metres) are densified; nil turns densification off.
    public let densifyEdgesLongerThan: Double?

    private let coefficients: (a: Double, b: Double, c: Double, d: Double, e: Double)
    private let twoB2: Double
    /// CGCS2000 longitude/latitude → the Gauss-Krüger plane of L₀.
    private let plane: CoordinateTransform

    /// - Parameter referenceMeridian: L₀ in degrees; the Gauss-Krüger zone's central meridian.
    public init(referenceMeridian: Double, densifyEdgesLongerThan: Double? = 70) throws(LandtrackError) {
        self.referenceMeridian = referenceMeridian
        self.densifyEdgesLongerThan = densifyEdgesLongerThan
        plane = try CoordinateTransform.gaussKrugerPlane(from: .cgcs2000, near: referenceMeridian)
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
        var total = abs(try ringArea(polygon.exterior.points))
        for hole in polygon.holes { total -= abs(try ringArea(hole.points)) }
        return total
    }

    /// Signed area of a closed ring (positive counter-clockwise), m².
    public func ringArea(_ points: [Point]) throws(LandtrackError) -> Double {
        let geographic = try densified(points)
        let degree = Double.pi / 180
        let l0 = referenceMeridian
        var sum = 0.0
        for i in 1..<geographic.count {
            let p = geographic[i - 1], q = geographic[i]
            sum += trapezoid(b1: p.y * degree, b2: q.y * degree, meanLongitudeOffset: ((p.x + q.x) / 2 - l0) * degree)
        }
        return sum
    }

    /// The ring with every plane edge longer than the limit cut into ⌊length/limit⌋ + 1 equal
    /// pieces, back in longitude/latitude.
    func densified(_ points: [Point]) throws(LandtrackError) -> [Point] {
        guard let limit = densifyEdgesLongerThan else { return points }
        var xy = [Double]()
        xy.reserveCapacity(points.count * 2)
        for p in points {
            xy.append(p.x)
            xy.append(p.y)
        }
        try plane.transform(interleaved: &xy)
        var dense = [Double]()
        dense.reserveCapacity(xy.count * 2)
        dense.append(xy[0])
        dense.append(xy[1])
        for i in 1..<points.count {
            let x0 = xy[2 * i - 2], y0 = xy[2 * i - 1], x1 = xy[2 * i], y1 = xy[2 * i + 1]
            let n = Self.pieces(length: ((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0)).squareRoot(), longerThan: limit)
            for k in 1..<n {
                let t = Double(k) / Double(n)
                dense.append(x0 + (x1 - x0) * t)
                dense.append(y0 + (y1 - y0) * t)
            }
            dense.append(x1)
            dense.append(y1)
        }
        try plane.inverse(interleaved: &dense)
        var out = [Point]()
        out.reserveCapacity(dense.count / 2)
        for i in 0..<(dense.count / 2) { out.append(Point(uncheckedX: dense[2 * i], y: dense[2 * i + 1])) }
        // The closing position must repeat the first exactly after the round trip.
        out[out.count - 1] = out[0]
        return out
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

    /// How many pieces the 70 m rule cuts an edge of this plane length into: ⌊length/70⌋
    /// inserted points make ⌊length/70⌋ + 1 pieces.
    static func pieces(length: Double, longerThan limit: Double) -> Int {
        guard length > limit else { return 1 }
        return min(Int(length / limit) + 1, 100_000)
    }
}
