import Foundation
import PropertyBased
import Testing
import Geometry
import TestSupport

/// `SimplePolygon.isCertainlyValid` against GEOS's IsValidOp: a polygon it proves valid GEOS
/// finds valid; the commonest parcel (one simple ring) is proved; invalid rings never are.
@Suite struct SimplePolygonTests {
    static func polygon(_ xy: [(Double, Double)]) throws -> Polygon {
        Polygon(exterior: try LinearRing((xy + [xy[0]]).map { try Point(x: $0.0, y: $0.1) }))
    }

    static func geosValid(_ polygons: [Polygon]) throws -> Bool {
        let ctx = GEOSContext()
        return try ctx.validity(ctx.geometry(.multiPolygon(MultiPolygon(polygons)))).isValid
    }

    /// The shared catalogue: what is proved valid is valid; no invalid entry is proved.
    @Test(arguments: GeometryCatalogue.all.filter { !$0.wkt.contains("EMPTY") })
    func theCatalogue(_ entry: CatalogueGeometry) throws {
        let ctx = GEOSContext()
        let polygons = try ctx.value(ctx.readWKT(entry.wkt)).polygonalParts
        if SimplePolygon.isCertainlyValid(polygons) { #expect(entry.isValid, "\(entry.name) proved valid") }
        if entry.name == "unit square" || entry.name == "triangle" || entry.name == "clockwise square" {
            #expect(SimplePolygon.isCertainlyValid(polygons), "\(entry.name) is one simple ring")
        }
    }

    /// Hand-made rings, with whether they must be proved valid (true) or left to GEOS (false).
    static let rings: [(name: String, ring: [(Double, Double)], proved: Bool)] = [
        ("a straight vertex on an edge", [(0, 0), (1, 0), (2, 0), (2, 2), (0, 2)], true),
        ("a repeated position", [(0, 0), (1, 0), (1, 0), (1, 1), (0, 1)], true),
        ("a concave L", [(0, 0), (3, 0), (3, 1), (1, 1), (1, 3), (0, 3)], true),
        ("a bow-tie", [(0, 0), (2, 2), (2, 0), (0, 2)], false),
        ("a spike going back on itself", [(0, 0), (2, 0), (2, 2), (2, 3), (2, 2), (0, 2)], false),
        ("a ring touching itself at a vertex", [(0, 0), (4, 0), (4, 4), (2, 0), (0, 4)], false),
        ("a vertex on a non-adjacent edge", [(0, 0), (4, 0), (4, 2), (2, 0.0), (2, 4), (0, 4)], false),
    ]

    @Test(arguments: rings.indices) func handMadeRings(_ k: Int) throws {
        let c = Self.rings[k]
        let p = [try Self.polygon(c.ring)]
        #expect(SimplePolygon.isCertainlyValid(p) == c.proved, "\(c.name)")
        if SimplePolygon.isCertainlyValid(p) { #expect(try Self.geosValid(p), "\(c.name)") }
    }

    /// Random rings of 3–12 positions on a coarse grid (many self-intersect, touch or fold):
    /// proved valid only when GEOS says valid; star-shaped rings (always simple) are proved.
    @Test func randomRings() async {
        await checkProperty(count: 400, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let n = Int.random(in: 3...12, using: &rng)
            let random = (0..<n).map { _ in (Double(Int.random(in: 0...6, using: &rng)), Double(Int.random(in: 0...6, using: &rng))) }
            if let p = try? Self.polygon(random), SimplePolygon.isCertainlyValid([p]) {
                #expect(try Self.geosValid([p]), "seed \(seed): \(random) proved valid")
            }
            // A star around a centre at increasing angles: simple, so it must be proved.
            let angles = (0..<n).map { k in (Double(k) + Double.random(in: 0.1...0.9, using: &rng)) * 2 * .pi / Double(n) }
            let star = angles.map { a in
                let r = Double.random(in: 0.5...2, using: &rng)
                return (113.1 + 0.001 * r * cos(a), 23.05 + 0.001 * r * sin(a))
            }
            let p = [try Self.polygon(star)]
            #expect(try Self.geosValid(p))
            #expect(SimplePolygon.isCertainlyValid(p), "seed \(seed): a star-shaped ring left to GEOS")
        }
    }
}
