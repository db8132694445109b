import Foundation
import Testing
import Geometry
import GeoPackageStore
import Parcels
import Store
import Planner
import TestSupport

/// The demo programme in geodata/programme replays cleanly and leaves exactly the violations
/// its story describes for the checks to find.
@Suite("Demo programme")
struct ProgrammeTests {
    @Test func theLogReplaysAndTheChecksFindTheStorysViolations() throws {
        let store = try demoProgrammeStore()
        var check = CheckOptions()
        check.asOf = try CalendarDate(parsing: "2025-12-31")
        let report = try CheckReport.load(from: store, options: check)
        let failed = Set(report.results.filter { !$0.passed }.map(\.rule))
        #expect(failed == [.pbfFragmentation, .pbfInUrbanBoundary, .constructionInRedLine, .controlLinesOverlap, .sliver])
        let changes = try ChangesReport.load(from: store, from: try CalendarDate(parsing: "2023-01-01"), to: try CalendarDate(parsing: "2025-12-31"))
        #expect(changes.newCultivatedLand > changes.cultivatedLandLost)
        #expect(changes.basicFarmlandDesignated.squareMetres >= 1.05 * changes.basicFarmlandReleased.squareMetres)
    }

    /// --programme: only that programme's changes count. Clearing industrial parks gains
    /// cultivated land; the abandonment programme only loses it.
    @Test func checksOfOneProgramme() throws {
        let store = try demoProgrammeStore()
        func balance(_ ref: String) throws -> CheckReport.Result {
            var options = CheckOptions()
            options.rules = [.cultivatedBalance, .newCultivatedLand]
            options.asOf = try CalendarDate(parsing: "2025-12-31")
            options.programme = ref
            let report = try CheckReport.load(from: store, options: options)
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
