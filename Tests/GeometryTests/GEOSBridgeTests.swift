import Foundation
import Testing
@testable import Geometry
import TestSupport

@Suite("GEOS bridge")
struct GEOSBridgeTests {
    /// Catalogue sweep: GEOS's verdict and reason, and the planar area worked out by hand.
    @Test(arguments: GeometryCatalogue.all)
    func validityAndArea(entry: CatalogueGeometry) throws {
        let ctx = GEOSContext()
        let g = try ctx.readWKT(entry.wkt)
        let validity = try ctx.validity(g)
        #expect(validity.isValid == entry.isValid)
        if let reason = entry.invalidReason {
            #expect(validity.reason == reason)
            #expect(validity.location != nil)
        }
        if let area = entry.planarArea {
            #expect(try ctx.planarArea(g) == area)
        }
    }

    /// Swift value → GEOS → Swift value gives back the same value; WKB and WKT round trips too.
    @Test(arguments: GeometryCatalogue.all.filter { !$0.wkt.contains("EMPTY") })
    func roundTrips(entry: CatalogueGeometry) throws {
        let ctx = GEOSContext()
        let g = try ctx.readWKT(entry.wkt)
        let value = try ctx.value(g)
        let back = try ctx.geometry(value)
        #expect(try ctx.equalsExact(g, back))
        #expect(try ctx.value(back) == value)
        let wkb = try ctx.writeWKB(g)
        #expect(try ctx.equalsExact(try ctx.readWKB(wkb), g))
        let wkt = try ctx.writeWKT(g)
        #expect(try ctx.equalsExact(try ctx.readWKT(wkt), g))
    }

    /// The error handler's message reaches the thrown error, with the GEOS function named.
    @Test func errorHandlerMessageIsSurfaced() {
        let ctx = GEOSContext()
        do {
            _ = try ctx.readWKT("POLYGON((0 0, 1 0")
            Issue.record("bad WKT was read")
        } catch let LandtrackError.geos(operation, message) {
            #expect(operation == "GEOSWKTReader_read_r")
            #expect(message.contains("ParseException"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        // The next failure carries its own message, not the previous one.
        do {
            _ = try ctx.readHexWKB("zz")
            Issue.record("bad WKB was read")
        } catch let LandtrackError.geos(operation, message) {
            #expect(operation == "GEOSWKBReader_readHEX_r")
            #expect(!message.contains("Expected number"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func makeValidSplitsABowTie() throws {
        let ctx = GEOSContext()
        let bowtie = try ctx.readWKT("POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))")
        let fixed = try ctx.makeValid(bowtie)
        #expect(try ctx.validity(fixed).isValid)
        // Two triangles of base 2 and height 1: 1 + 1.
        #expect(try ctx.planarArea(fixed) == 2)
        guard case let .multiPolygon(mp) = try ctx.value(fixed) else {
            Issue.record("make-valid did not give a multipolygon")
            return
        }
        #expect(mp.polygons.count == 2)
    }

    @Test func predicates() throws {
        let ctx = GEOSContext()
        let a = try ctx.readWKT("POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))")
        let edge = try ctx.readWKT("POLYGON((1 0, 2 0, 2 1, 1 1, 1 0))")
        let corner = try ctx.readWKT("POLYGON((1 1, 2 1, 2 2, 1 2, 1 1))")
        let apart = try ctx.readWKT("POLYGON((1.5 0, 2 0, 2 1, 1.5 1, 1.5 0))")
        #expect(try ctx.touches(a, edge))
        #expect(try ctx.touches(a, corner))
        #expect(try ctx.intersects(a, corner))
        #expect(!(try ctx.intersects(a, apart)))
        #expect(try ctx.distanceWithin(a, apart, 0.5))
        #expect(!(try ctx.distanceWithin(a, apart, 0.49)))
        #expect(try ctx.distance(a, apart) == 0.5)
        // A shared edge has a 1-dimensional boundary intersection; a shared corner a 0-dimensional one.
        #expect(try ctx.relate(a, edge, pattern: "F***1****"))
        #expect(!(try ctx.relate(a, corner, pattern: "F***1****")))
        #expect(try ctx.relate(a, corner) == "FF2F01212")
    }

    @Test func overlayAreasByHand() throws {
        let ctx = GEOSContext()
        let a = try ctx.readWKT("POLYGON((0 0, 2 0, 2 2, 0 2, 0 0))")
        let b = try ctx.readWKT("POLYGON((1 1, 3 1, 3 3, 1 3, 1 1))")
        #expect(try ctx.planarArea(ctx.intersection(a, b)) == 1)
        #expect(try ctx.planarArea(ctx.difference(a, b)) == 3)
        #expect(try ctx.planarArea(ctx.union(a, b)) == 7)
        #expect(try ctx.planarArea(ctx.symmetricDifference(a, b)) == 6)
        #expect(try ctx.planarArea(ctx.unaryUnion(ctx.collection([a, b]))) == 7)
        let env = try ctx.value(ctx.envelope(ctx.union(a, b)))
        #expect(env.envelope == Envelope(minX: 0, minY: 0, maxX: 3, maxY: 3))
    }

    @Test func coverageUnionOfACleanCoverage() throws {
        let ctx = GEOSContext()
        // Four unit squares sharing edges exactly: a clean coverage of a 2×2 square.
        var cells: [GEOSGeometryHandle] = []
        for (x, y) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            cells.append(try ctx.readWKT("POLYGON((\(x) \(y), \(x + 1) \(y), \(x + 1) \(y + 1), \(x) \(y + 1), \(x) \(y)))"))
        }
        let union = try ctx.coverageUnion(ctx.collection(cells, multiPolygon: true))
        #expect(try ctx.planarArea(union) == 4)
        guard case let .polygon(p) = try ctx.value(union) else {
            Issue.record("coverage union did not dissolve to one polygon")
            return
        }
        #expect(p.holes.isEmpty)
    }

    @Test func bufferOfAPointApproachesACircle() throws {
        let ctx = GEOSContext()
        let circle = try ctx.buffer(try ctx.readWKT("POINT(0 0)"), width: 10, quadrantSegments: 64)
        let area = try ctx.planarArea(circle)
        // An inscribed 256-gon: 256/2 · r² · sin(2π/256).
        let polygonArea = 128 * 100 * sin(2 * Double.pi / 256)
        #expect(abs(area - polygonArea) < 1e-9)
    }

    @Test func setPrecisionSnapsToTheGrid() throws {
        let ctx = GEOSContext()
        let g = try ctx.readWKT("POLYGON((0.1 0.2, 10.4 0.1, 10.3 9.8, 0.2 10.1, 0.1 0.2))")
        let snapped = try ctx.setPrecision(g, gridSize: 1)
        #expect(try ctx.planarArea(snapped) == 100)
    }

    @Test func spatialIndexFindsCandidates() throws {
        let ctx = GEOSContext()
        var cells: [GEOSGeometryHandle] = []
        for i in 0..<100 {
            let x = Double(i % 10), y = Double(i / 10)
            cells.append(try ctx.readWKT("POLYGON((\(x) \(y), \(x + 0.9) \(y), \(x + 0.9) \(y + 0.9), \(x) \(y + 0.9), \(x) \(y)))"))
        }
        let index = try GEOSSpatialIndex(context: ctx, geometries: cells)
        // An envelope over cells (3..4, 5..6) hits exactly those four.
        let hits = try index.query(Envelope(minX: 3.5, minY: 5.5, maxX: 4.5, maxY: 6.5))
        #expect(hits == [53, 54, 63, 64])
        // Brute force agrees for every cell's own envelope.
        for (i, c) in cells.enumerated() {
            let found = Set(index.query(c))
            #expect(found.contains(i))
            #expect(found.count == 1)
        }
    }

    @Test func preparedGeometryAgreesWithPlainPredicates() throws {
        let ctx = GEOSContext()
        let area = try ctx.readWKT("POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (4 4, 6 4, 6 6, 4 6, 4 4))")
        let prepared = try GEOSPreparedGeometry(area)
        for wkt in ["POINT(5 5)", "POINT(1 1)", "POINT(10 5)", "POLYGON((9 9, 12 9, 12 12, 9 12, 9 9))",
                    "POLYGON((20 20, 21 20, 21 21, 20 21, 20 20))", "LINESTRING(4 4, 6 6)"] {
            let g = try ctx.readWKT(wkt)
            #expect(try prepared.intersects(g) == ctx.intersects(area, g), "\(wkt)")
            #expect(try prepared.touches(g) == ctx.touches(area, g), "\(wkt)")
            #expect(try prepared.covers(g) == ctx.evaluate(.covers, area, g), "\(wkt)")
            #expect(try prepared.distanceWithin(g, 1) == ctx.distanceWithin(area, g, 1), "\(wkt)")
        }
    }

    /// One context per task: concurrent unions in a task group all give the same answer.
    @Test func contextsPerTaskRunConcurrently() async throws {
        let squares: [Polygon] = try (0..<50).map { i in
            let x = Double(i)
            return try Polygon(rings: [[(x, 0.0), (x + 1, 0), (x + 1, 1), (x, 1), (x, 0)].map { try Point(x: $0.0, y: $0.1) }])
        }
        let areas = try await withThrowingTaskGroup(of: Double.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try GEOSContext.run { (ctx: GEOSContext) throws(LandtrackError) -> Double in
                        var handles: [GEOSGeometryHandle] = []
                        for s in squares { handles.append(try ctx.geometry(s)) }
                        return try ctx.planarArea(ctx.unaryUnion(ctx.collection(handles)))
                    }
                }
            }
            var out: [Double] = []
            for try await a in group { out.append(a) }
            return out
        }
        #expect(areas == Array(repeating: 50, count: 8))
    }
}
