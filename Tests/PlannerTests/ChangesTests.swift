import Foundation
import Testing
import Geometry
@testable import GeoPackageStore
import Parcels
import Store
@testable import Planner
import TestSupport

@Suite("Changes")
struct ChangesTests {
    /// Squares of known area at Nanhai moved through a small programme; each figure by hand.
    @Test func figuresOfASmallProgramme() throws {
        let store = try squareParcelStore([("W1", "wasteland", false, 0, 0, 1), ("W2", "wasteland", false, 2, 0, 1),
                                           ("I1", "industrial_park", false, 4, 0, 1), ("F1", "farmland", true, 6, 0, 1),
                                           ("F2", "farmland", false, 8, 0, 1)])
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
        let report = try ChangesReport.load(from: store, from: try d("2023-12-31"), to: try d("2024-12-31"))
        #expect(abs(report.newCultivatedLand.squareMetres - (try area("W1") + area("I1"))) < 1e-6)
        #expect(abs(report.reclaimedOrRegreened.squareMetres - (try area("W1") + area("W2") + area("I1"))) < 1e-6)
        #expect(abs(report.cultivatedLandLost.squareMetres - (try area("F2"))) < 1e-6)
        #expect(abs(report.basicFarmlandReleased.squareMetres - (try area("F1"))) < 1e-6)
        #expect(abs(report.basicFarmlandDesignated.squareMetres - (try area("W1"))) < 1e-6)
        #expect(report.matrix.first { $0.from == "industrial_park" }?.to == "reclaimed_farmland")

        // Before any change: nothing moved.
        let early = try ChangesReport.load(from: store, from: try d("2023-01-01"), to: try d("2024-01-01"))
        #expect(early.newCultivatedLand.squareMetres == 0)
        #expect(early.matrix.allSatisfy { $0.from == $0.to })

        // One programme reference.
        let p2 = try ChangesReport.load(from: store, from: try d("2023-12-31"), to: try d("2024-12-31"), ref: "P2")
        #expect(abs(p2.newCultivatedLand.squareMetres - (try area("I1"))) < 1e-6)
        #expect(p2.matrix.reduce(0) { $0 + $1.count } == 2)
        #expect(throws: LandtrackError.self) { try ChangesReport.load(from: store, from: try d("2025-01-01"), to: try d("2024-01-01")) }
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as! [String: Any]
        #expect(json["new_cultivated_land"] != nil && json["matrix"] != nil)
    }

    /// Two snapshots are paired by id walking the id-ordered lists together; lists in any other
    /// order are paired the same way (through a dictionary): every id once, with its parcels.
    @Test func pairingDoesNotDependOnOrder() throws {
        let store = try demoProgrammeStore()
        let snapshots = try store.snapshots(at: [try CalendarDate(parsing: "2023-06-30"), try CalendarDate(parsing: "2025-12-31")], history: false)
        let (before, after) = (snapshots[0].parcels, snapshots[1].parcels)
        #expect(Set(before.map(\.id)) != Set(after.map(\.id)), "the demo splits and merges parcels: some ids exist on one date only")
        func pairs(_ b: [Parcel], _ a: [Parcel]) -> [String] {
            var out: [String] = []
            ChangesReport.forEachPair(b, a) { i, j in
                let (x, y) = (i.map { b[$0] }, j.map { a[$0] })
                out.append("\(x?.id ?? "-")|\(y?.id ?? "-")|\(x?.state.rawValue ?? "")|\(y?.state.rawValue ?? "")")
            }
            return out
        }
        let ordered = pairs(before, after)
        #expect(ordered == pairs(before.shuffled(), after.shuffled()))
        #expect(ordered == pairs(before, after.reversed()))
        let ids = Set(before.map(\.id)).union(after.map(\.id))
        #expect(ordered.count == ids.count)
        #expect(ordered.allSatisfy { line in
            let parts = line.split(separator: "|", omittingEmptySubsequences: false)
            return parts[0] == "-" || parts[1] == "-" || parts[0] == parts[1]
        })
    }

    /// Ids are paired by their bytes: "é" composed and decomposed (equal as Swift strings) are
    /// two parcels, each on one date only.
    @Test func idsPairByTheirBytes() {
        func parcel(_ id: String) -> Parcel { Parcel(id: id, state: .farmland, polygons: [], areaSquareMetres: 1) }
        var pairs: [String] = []
        ChangesReport.forEachPair([parcel("a"), parcel("e\u{301}")], [parcel("a"), parcel("é")]) { i, j in
            pairs.append("\(i.map(String.init) ?? "-")|\(j.map(String.init) ?? "-")")
        }
        #expect(pairs == ["0|0", "1|-", "-|1"])
    }
}
