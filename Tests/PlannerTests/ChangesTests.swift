import Foundation
import Testing
import Geometry
@testable import Parcels
@testable import Planner
import TestSupport

@Suite("Changes")
struct ChangesTests {
    /// Squares of known area at Nanhai moved through a small programme; each figure by hand.
    @Test func figuresOfASmallProgramme() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-changes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var features: [String] = []
        let squares = [("W1", "wasteland", false), ("W2", "wasteland", false), ("I1", "industrial_park", false),
                       ("F1", "farmland", true), ("F2", "farmland", false)]
        for (i, (id, state, pbf)) in squares.enumerated() {
            let x = 113.1 + Double(i) * 0.002, y = 23.05
            let ring = [(x, y), (x + 0.001, y), (x + 0.001, y + 0.001), (x, y + 0.001), (x, y)].map { "[\($0.0),\($0.1)]" }.joined(separator: ",")
            features.append(#"{"type":"Feature","properties":{"id":"\#(id)","state":"\#(state)","basic_farmland":\#(pbf)},"geometry":{"type":"Polygon","coordinates":[[\#(ring)]]}}"#)
        }
        let file = dir.appendingPathComponent("p.geojson")
        try (#"{"type":"FeatureCollection","features":["# + features.joined(separator: ",") + "]}").write(to: file, atomically: true, encoding: .utf8)
        let store = try ParcelStore(path: dir.appendingPathComponent("s.gpkg").path, create: true)
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: "2023-01-01")
        _ = try store.importParcels(try InputBytes(path: file.path), options: options)
        let d = { (s: String) throws -> CalendarDate in try CalendarDate(parsing: s) }
        try store.transition([
            TransitionRequest(parcelID: "W1", to: .reclaimedFarmland, date: try d("2024-03-01"), ref: "P1"),
            TransitionRequest(parcelID: "W2", to: .ecoRestored, date: try d("2024-03-01"), ref: "P1"),
            TransitionRequest(parcelID: "I1", to: .reclaimedFarmland, date: try d("2024-04-01"), ref: "P2"),
            TransitionRequest(parcelID: "F2", to: .wasteland, date: try d("2024-05-01"), ref: "P2"),
        ])
        try store.setBasicFarmland("F1", designated: false, date: try d("2024-06-01"))
        try store.setBasicFarmland("W1", designated: true, date: try d("2024-06-01"))

        let area = { (id: String) throws -> Double in try #require(try store.parcel(id)).areaSquareMetres }
        let report = try ChangesReport(store: store, from: try d("2023-12-31"), to: try d("2024-12-31"))
        #expect(abs(report.newCultivatedLand.squareMetres - (try area("W1") + area("I1"))) < 1e-6)
        #expect(abs(report.reclaimedOrRegreened.squareMetres - (try area("W1") + area("W2") + area("I1"))) < 1e-6)
        #expect(abs(report.cultivatedLandLost.squareMetres - (try area("F2"))) < 1e-6)
        #expect(abs(report.basicFarmlandReleased.squareMetres - (try area("F1"))) < 1e-6)
        #expect(abs(report.basicFarmlandDesignated.squareMetres - (try area("W1"))) < 1e-6)
        #expect(report.matrix.first { $0.from == "industrial_park" }?.to == "reclaimed_farmland")

        // Before any change: nothing moved.
        let early = try ChangesReport(store: store, from: try d("2023-01-01"), to: try d("2024-01-01"))
        #expect(early.newCultivatedLand.squareMetres == 0)
        #expect(early.matrix.allSatisfy { $0.from == $0.to })

        // One programme reference.
        let p2 = try ChangesReport(store: store, from: try d("2023-12-31"), to: try d("2024-12-31"), ref: "P2")
        #expect(abs(p2.newCultivatedLand.squareMetres - (try area("I1"))) < 1e-6)
        #expect(p2.matrix.reduce(0) { $0 + $1.count } == 2)
        #expect(throws: LandtrackError.self) { try ChangesReport(store: store, from: try d("2025-01-01"), to: try d("2024-01-01")) }
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as! [String: Any]
        #expect(json["new_cultivated_land"] != nil && json["matrix"] != nil)
    }
}
