import Foundation
import Testing
import Geometry
import Parcels
import Planner
import TestSupport

/// The demo programme in geodata/programme replays cleanly and leaves exactly the violations
/// its story describes for the checks to find.
@Suite("Demo programme")
struct ProgrammeTests {
    static func replayed() throws -> ParcelStore {
        let log = SharedData.repositoryRoot.appendingPathComponent("geodata/programme")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-programme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try ParcelStore(path: dir.appendingPathComponent("p.gpkg").path, create: true)
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: "2023-01-01")
        _ = try store.importParcels(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path), options: options)
        for layer in ConstraintLayer.allCases {
            #expect(try store.importLayer(layer, from: InputBytes(path: log.appendingPathComponent("\(layer.rawValue).geojson").path)) >= 1)
        }
        let transitions = try TransitionRequest.load(csv: log.appendingPathComponent("transitions.csv").path)
        #expect(try store.transition(transitions).count == transitions.count)
        for line in try String(contentsOf: log.appendingPathComponent("pbf.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            try store.setBasicFarmland(f[0], designated: f[1] == "designate", date: try CalendarDate(parsing: f[2]), ref: f[3])
        }
        for line in try String(contentsOf: log.appendingPathComponent("merges.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            try store.merge(f[0].split(separator: " ").map(String.init), into: f[1], date: try CalendarDate(parsing: f[2]), ref: f[3])
        }
        return store
    }

    @Test func theLogReplaysAndTheChecksFindTheStorysViolations() throws {
        let store = try Self.replayed()
        var check = CheckOptions()
        check.asOf = try CalendarDate(parsing: "2025-12-31")
        let report = try CheckReport(store: store, options: check)
        let failed = Set(report.results.filter { !$0.passed }.map(\.rule))
        #expect(failed == [.pbfFragmentation, .pbfInUrbanBoundary, .constructionInRedLine, .controlLinesOverlap, .sliver])
        let changes = try ChangesReport(store: store, from: try CalendarDate(parsing: "2023-01-01"), to: try CalendarDate(parsing: "2025-12-31"))
        #expect(changes.newCultivatedLand > changes.cultivatedLandLost)
        #expect(changes.basicFarmlandDesignated.squareMetres >= 1.05 * changes.basicFarmlandReleased.squareMetres)
    }

    /// --programme: only that programme's changes count. Clearing industrial parks gains
    /// cultivated land; the abandonment programme only loses it.
    @Test func checksOfOneProgramme() throws {
        let store = try Self.replayed()
        func balance(_ ref: String) throws -> CheckReport.Result {
            var options = CheckOptions()
            options.rules = [.cultivatedBalance, .newCultivatedLand]
            options.asOf = try CalendarDate(parsing: "2025-12-31")
            options.programme = ref
            let report = try CheckReport(store: store, options: options)
            return try #require(report.results.first { $0.rule == .cultivatedBalance })
        }
        let cleared = try balance("NH-2024-02")
        #expect(cleared.passed && cleared.detail.contains("programme NH-2024-02"))
        #expect(cleared.detail.contains("2024-"), "the period starts the day before the programme's first event: \(cleared.detail)")
        #expect(try !balance("NH-2025-02").passed)
        #expect(try CalendarDate(parsing: "2024-03-01").dayBefore() == CalendarDate(parsing: "2024-02-29"))
        #expect(try CalendarDate(parsing: "2025-01-01").dayBefore() == CalendarDate(parsing: "2024-12-31"))
    }
}
