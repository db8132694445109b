import Testing
@testable import Geometry

@Suite("Geometry values cannot hold invalid states")
struct GeometryValuesTests {
    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func pointRejectsNonFinite(bad: Double) {
        #expect(throws: LandtrackError.self) { try Point(x: bad, y: 0) }
        #expect(throws: LandtrackError.self) { try Point(x: 0, y: bad) }
    }

    @Test func ringNeedsFourPositions() throws {
        let p = [try Point(x: 0, y: 0), try Point(x: 1, y: 0), try Point(x: 0, y: 0)]
        do {
            _ = try LinearRing(p)
            Issue.record("a 3-position ring was accepted")
        } catch let .geometry(problem) {
            #expect(problem.kind == .ringTooShort)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func ringMustBeClosed() throws {
        let p = [try Point(x: 0, y: 0), try Point(x: 1, y: 0), try Point(x: 1, y: 1), try Point(x: 0, y: 1)]
        do {
            _ = try LinearRing(p)
            Issue.record("an unclosed ring was accepted")
        } catch let .geometry(problem) {
            #expect(problem.kind == .ringNotClosed)
            #expect(problem.vertex == 3)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func polygonErrorsNameTheRing() throws {
        let good = [(0.0, 0.0), (1, 0), (1, 1), (0, 0)].map { Point(uncheckedX: $0.0, y: $0.1) }
        let bad = [(0.2, 0.2), (0.3, 0.2), (0.3, 0.3)].map { Point(uncheckedX: $0.0, y: $0.1) }
        do {
            _ = try Polygon(rings: [good, bad])
            Issue.record("accepted")
        } catch let .geometry(problem) {
            #expect(problem.ring == 1)
            #expect(problem.description.contains("ring 1"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func lineNeedsTwoPositions() {
        #expect(throws: LandtrackError.self) { try LineString([Point(uncheckedX: 0, y: 0)]) }
    }

    @Test func signedAreaAndOrientation() throws {
        let ccw = LinearRing(unchecked: [(0.0, 0.0), (4, 0), (4, 3), (0, 3), (0, 0)].map { Point(uncheckedX: $0.0, y: $0.1) })
        #expect(ccw.signedArea == 12)
        #expect(ccw.isCounterClockwise)
        let cw = LinearRing(unchecked: ccw.points.reversed())
        #expect(cw.signedArea == -12)
    }

    @Test func degenerateRingsAreTold() {
        let line = LinearRing(unchecked: [(0.0, 0.0), (1, 1), (2, 2), (0, 0)].map { Point(uncheckedX: $0.0, y: $0.1) })
        #expect(line.isDegenerate)
        // A bow-tie has zero signed area but is not degenerate: GEOS reports its self-intersection.
        let bowtie = LinearRing(unchecked: [(0.0, 0.0), (2, 2), (2, 0), (0, 2), (0, 0)].map { Point(uncheckedX: $0.0, y: $0.1) })
        #expect(bowtie.signedArea == 0)
        #expect(!bowtie.isDegenerate)
    }

    @Test func envelopeCoversAllPoints() {
        let g = Geometry.multiPoint([(3.0, -1.0), (-2, 5), (0, 0)].map { Point(uncheckedX: $0.0, y: $0.1) })
        #expect(g.envelope == Envelope(minX: -2, minY: -1, maxX: 3, maxY: 5))
    }
}
