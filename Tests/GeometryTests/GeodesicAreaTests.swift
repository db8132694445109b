import Foundation
import Testing
@testable import Geometry
import TestSupport

@Suite("Geodesic area")
struct GeodesicAreaTests {
    let engine = GeodesicAreaEngine(ellipsoid: .wgs84)

    /// Every parcel of the four real sets: the fast path must be taken and agree with the
    /// GeographicLib areas in summary.json (computed by geographiclib 2.1 in Python) to 0.01 m².
    @Test(SharedData.required, arguments: SharedData.parcelSets)
    func agreesWithGeographicLibReference(set: String) throws {
        let reference = try SharedData.referenceAreas(set)
        let input = try InputBytes(path: SharedData.url("\(set)/parcels.geojson").path)
        let (_, features, problems) = try GeoJSONReader().readAll(input)
        #expect(problems.isEmpty)
        #expect(features.count == reference.count)
        var worst = 0.0
        for f in features {
            let id = try #require(f.id?.identifierText)
            let polygons = try #require(f.geometry?.polygons)
            for p in polygons {
                for ring in p.rings { #expect(engine.fastRingArea(ring.points) != nil, "fast path refused \(id)") }
            }
            let area = try engine.area(of: polygons)
            let expected = try #require(reference[id])
            worst = max(worst, abs(area - expected))
            #expect(abs(area - expected) <= 0.01, "parcel \(id): \(area) m² vs GeographicLib \(expected) m²")
        }
        #expect(worst <= 0.01)
    }

    /// The fast path against PROJ's geod_polygonarea on the same rings, far tighter than 0.01 m².
    @Test(SharedData.required, arguments: SharedData.parcelSets)
    func fastPathMatchesPROJ(set: String) throws {
        let input = try InputBytes(path: SharedData.url("\(set)/parcels.geojson").path)
        for f in try GeoJSONReader().readAll(input).features {
            for p in f.geometry?.polygons ?? [] {
                for ring in p.rings {
                    let fast = try #require(engine.fastRingArea(ring.points))
                    let proj = engine.geographicLibRingArea(ring.points)
                    #expect(abs(fast - proj) < 1e-4, "\(f.index): fast \(fast) vs PROJ \(proj)")
                }
            }
        }
    }
}
