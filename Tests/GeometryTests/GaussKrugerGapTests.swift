import Foundation
import PropertyBased
import Testing
import Geometry
import TestSupport

/// `GaussKrugerGap` against PROJ and GEOS: whatever it decides, the distance GEOS measures
/// between the pair projected by PROJ into the same plane agrees with (`within`: at most the
/// gap; `beyond`: more); what it cannot prove it leaves `undecided`; and pairs clearly on one
/// side of the gap, at survey latitudes near the central meridian, are decided.
@Suite struct GaussKrugerGapTests {
    /// A polygon of `corners` corners around (lon, lat), each `radius` metres (roughly) from it.
    static func polygon(_ lon: Double, _ lat: Double, radii: [Double], turn: Double) throws -> Polygon {
        let perDegreeX = 111_320 * cos(lat * .pi / 180), perDegreeY = 110_570.0
        var points: [Point] = []
        for (k, r) in radii.enumerated() {
            let angle = turn + 2 * Double.pi * Double(k) / Double(radii.count)
            points.append(try Point(x: lon + r * cos(angle) / perDegreeX, y: lat + r * sin(angle) / perDegreeY))
        }
        return Polygon(exterior: try LinearRing(points + [points[0]]))
    }

    /// GEOS's distance between `a` and `b` projected into the plane of `meridian`.
    static func planeDistance(_ a: [Polygon], _ b: [Polygon], meridian: Double) throws -> Double {
        let transform = try CoordinateTransform.gaussKrugerPlane(from: .cgcs2000, near: meridian)
        let ctx = GEOSContext()
        let ga = try ctx.geometry(.multiPolygon(MultiPolygon(try a.map { try transform.transform($0) })))
        let gb = try ctx.geometry(.multiPolygon(MultiPolygon(try b.map { try transform.transform($0) })))
        return try ctx.distance(ga, gb)
    }

    /// A decision PROJ and GEOS contradict is a failure; `undecided` never is.
    @discardableResult
    static func agrees(_ a: [Polygon], _ b: [Polygon], gap: Double, meridian: Double) throws -> (GaussKrugerGap.Decision, Double) {
        let filter = GaussKrugerGap(gap: gap, centralMeridian: meridian)
        let decision = filter.decide(a, b)
        let truth = try planeDistance(a, b, meridian: meridian)
        switch decision {
        case .within: #expect(truth <= gap, "within, but GEOS measures \(truth) m in the plane (gap \(gap) m)")
        case .beyond: #expect(truth > gap, "beyond, but GEOS measures \(truth) m in the plane (gap \(gap) m)")
        case .undecided: break
        }
        #expect(filter.decide(b, a) == decision, "the decision is symmetric")
        return (decision, truth)
    }

    /// Random pairs of polygons (4–9 corners, 5 m to 2 km across, the second placed beside the
    /// first at about the gap), at latitudes up to 68° and up to 9° from the central meridian:
    /// every decision agrees with GEOS in PROJ's plane. Those at survey latitudes (≤ 50°) within
    /// 3° of the meridian, up to 300 m across, and more than 10 % from the gap either way are all
    /// decided: the filter is what spares them PROJ and GEOS. Each pair is decided again for gaps
    /// from 0.01 % to 5 % either side of its distance.
    @Test func decisionsAreGEOSsInPROJsPlane() async {
        await checkProperty(count: 400, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let meridian = [114.0, 117.0, 102.0, 81.0][Int.random(in: 0..<4, using: &rng)]
            let lat = Double.random(in: -68...68, using: &rng)
            let off = Double.random(in: -9...9, using: &rng)
            let gap = [0.5, 2, 10, 30][Int.random(in: 0..<4, using: &rng)]
            let size = [5.0, 40, 150, 300, 2_000][Int.random(in: 0..<5, using: &rng)]
            func radii() -> [Double] {
                (0..<Int.random(in: 4...9, using: &rng)).map { _ in size / 2 * Double.random(in: 0.6...1, using: &rng) }
            }
            let (ra, rb) = (radii(), radii())
            let a = try Self.polygon(meridian + off, lat, radii: ra, turn: Double.random(in: 0...1, using: &rng))
            let direction = Double.random(in: 0..<(2 * .pi), using: &rng)
            let apart = ra.max()! + rb.max()! + gap * Double.random(in: 0...2, using: &rng)
            let b = try Self.polygon(meridian + off + apart * cos(direction) / (111_320 * cos(lat * .pi / 180)),
                                     lat + apart * sin(direction) / 110_570, radii: rb, turn: Double.random(in: 0...1, using: &rng))
            let (decision, truth) = try Self.agrees([a], [b], gap: gap, meridian: meridian)
            if abs(lat) <= 50, abs(off) <= 3, size <= 300, abs(truth - gap) > 0.1 * gap {
                #expect(decision != .undecided, "left undecided at \(truth) m for a gap of \(gap) m (latitude \(lat), \(off)° off)")
            }
            // Gaps just either side of the pair's distance: where a bound too tight would fail.
            guard truth > 0 else { return }
            for relative in [1e-4, 1e-3, 1e-2, 5e-2] {
                for g in [truth * (1 + relative), truth * (1 - relative)] {
                    let filter = GaussKrugerGap(gap: g, centralMeridian: meridian)
                    switch filter.decide([a], [b]) {
                    case .within: #expect(truth <= g, "within a gap of \(g) m, but GEOS measures \(truth) m")
                    case .beyond: #expect(truth > g, "beyond a gap of \(g) m, but GEOS measures \(truth) m")
                    case .undecided: break
                    }
                }
            }
        }
    }

    static let meridian = 114.0
    static func square(_ lon: Double, _ lat: Double, _ metres: Double) throws -> Polygon {
        try polygon(lon, lat, radii: Array(repeating: metres / 2.0.squareRoot(), count: 4), turn: .pi / 4)
    }

    /// Hand-made pairs, each with the decision it must get.
    @Test func handMadePairs() throws {
        let lat = 23.05, east = 1 / (111_320 * cos(23.05 * Double.pi / 180))
        let a = try Self.square(113.1, lat, 100)
        // 100 m squares whose facing edges are 5 m, 9.9 m and 30 m apart.
        #expect(try Self.agrees([a], [try Self.square(113.1 + 105 * east, lat, 100)], gap: 10, meridian: Self.meridian).0 == .within)
        #expect(try Self.agrees([a], [try Self.square(113.1 + 130 * east, lat, 100)], gap: 10, meridian: Self.meridian).0 == .beyond)
        #expect(try Self.agrees([a], [try Self.square(113.1 + 109.95 * east, lat, 100)], gap: 10, meridian: Self.meridian).0 == .undecided)
        // One inside the other: the boundaries are 40 m apart, the geometries at distance 0.
        let inner = try Self.square(113.1, lat, 20)
        #expect(try Self.agrees([a], [inner], gap: 10, meridian: Self.meridian) == (.undecided, 0))
        // A part inside a hole, 40 m from its edge: the part's distance is the hole's, not the
        // exterior's; left to GEOS.
        let holed = Polygon(exterior: a.exterior, holes: [try Self.square(113.1, lat, 60).exterior])
        #expect(try Self.agrees([holed], [try Self.square(113.1, lat, 2)], gap: 10, meridian: Self.meridian).0 == .undecided)
        // A multipolygon with a part inside the other, another far away: undecided, not beyond.
        let far = try Self.square(113.2, lat, 10)
        #expect(try Self.agrees([inner, far], [a], gap: 10, meridian: Self.meridian).0 == .undecided)
        // Crossing: distance 0, within.
        #expect(try Self.agrees([a], [try Self.square(113.1 + 50 * east, lat, 100)], gap: 10, meridian: Self.meridian).0 == .within)
        // Over 5 km across, beyond 70° of latitude, a gap of 0: undecided.
        #expect(try Self.agrees([a], [try Self.square(113.1 + 6_000 * east, lat, 100)], gap: 10, meridian: Self.meridian).0 == .undecided)
        let north = 1 / (111_320 * cos(71 * Double.pi / 180))
        #expect(try Self.agrees([try Self.square(113.1, 71, 100)], [try Self.square(113.1 + 130 * north, 71, 100)], gap: 10, meridian: Self.meridian).0 == .undecided)
        #expect(GaussKrugerGap(gap: 0, centralMeridian: Self.meridian).decide([a], [try Self.square(113.1 + 130 * east, lat, 100)]) == .undecided)
    }

    /// Only for the plane of the CRS's own positions: a CRS PROJ shifts to CGCS2000 gets none.
    @Test func madeOnlyForAConversionOfTheSamePositions() throws {
        #expect(GaussKrugerGap.measuring(10, from: .cgcs2000, near: 113.2)?.centralMeridian == 114)
        #expect(GaussKrugerGap.measuring(10, from: .crs84, near: 110.4)?.centralMeridian == 111)
        #expect(GaussKrugerGap.measuring(10, from: try .resolve("EPSG:4214"), near: 113.2) == nil)
        #expect(GaussKrugerGap.measuring(0, from: .cgcs2000, near: 113.2) == nil)
    }
}
