import Foundation
import Testing
import Geometry
import GeoPackageStore
import Parcels
import Store
@testable import Planner
import TestSupport

@Suite("Summary")
struct SummaryTests {
    let sample = SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path

    /// Group totals add up to the total, which equals the area report's (an independent path),
    /// and counts match the file's states counted by Foundation's JSON parser.
    @Test(arguments: [[SummaryReport.Key.state], [.village, .state], [.pbf], [.landuse, .pbf]])
    func groupsAddUpToTheTotal(keys: [SummaryReport.Key]) throws {
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: sample))
        let report = try SummaryReport(parcels: parcels, crs: crs, by: keys)
        let sum = report.rows.reduce(0.0) { $0 + $1.area.squareMetres }
        #expect(abs(sum - report.total.area.squareMetres) < 1e-6)
        #expect(report.rows.reduce(0) { $0 + $1.count } == 2000)
        let area = try AreaReport.measure(try InputBytes(path: sample), method: .geodesic)
        #expect(abs(report.total.area.squareMetres - area.total.squareMetres) < 1e-6)
        if keys == [.state] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sample))) as! [String: Any]
            var counts: [String: Int] = [:]
            for f in json["features"] as! [[String: Any]] { counts[(f["properties"] as! [String: Any])["state"] as! String, default: 0] += 1 }
            #expect(Dictionary(uniqueKeysWithValues: report.rows.map { ($0.values[0], $0.count) }) == counts)
        }
    }

    @Test(arguments: AreaMethod.allCases)
    func everyMethodIsNamed(method: AreaMethod) throws {
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: sample))
        let report = try SummaryReport(parcels: Array(parcels.prefix(100)), crs: crs, by: [.state], method: method)
        #expect(report.table().contains("method: \(method.rawValue)"))
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as! [String: Any]
        #expect(json["method"] as? String == method.rawValue)
        #expect((json["groups"] as! [[String: Any]]).allSatisfy { $0["state"] is String })
    }

    /// From the store, as of a date: a transition moves area between states.
    @Test func asOfTheStore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-summary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try GeoPackageStore(path: dir.appendingPathComponent("s.gpkg").path, create: true)
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: "2023-01-01")
        _ = try store.importParcels(try InputBytes(path: sample), options: options)
        try store.transition([TransitionRequest(parcelID: "NH-000001", to: .reclaimedFarmland, date: try CalendarDate(parsing: "2024-05-01"))])
        let moved = try #require(try store.parcel("NH-000001")).areaSquareMetres
        func wasteland(_ d: String) throws -> Double {
            let (parcels, crs) = try store.plannerInput(asOf: try CalendarDate(parsing: d))
            return try SummaryReport(parcels: parcels, crs: crs, by: [.state]).rows.first { $0.values == ["wasteland"] }!.area.squareMetres
        }
        #expect(abs(try wasteland("2024-04-30") - wasteland("2024-05-01") - moved) < 1e-6)
    }
}
