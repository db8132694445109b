import Foundation
import GRDB
import Testing
import Geometry
@testable import GeoPackageStore
import Parcels
import Store
import TestSupport

/// Unit squares at Nanhai: `(id, state, pbf, column, row)` (see `squareParcelStore`).
func squaresStore(_ squares: [(String, String, Bool, Double, Double)]) throws -> GeoPackageStore {
    try squareParcelStore(squares.map { ($0.0, $0.1, $0.2, $0.3, $0.4, 1) })
}

/// The same on `backend`.
func squaresStore(_ backend: Backend, _ squares: [(String, String, Bool, Double, Double)]) throws -> any ParcelStore {
    try squareParcelStore(squares.map { ($0.0, $0.1, $0.2, $0.3, $0.4, 1) }, backend: backend)
}

func squareParcelStore(_ backend: Backend, _ squares: [(String, String, Bool, Double, Double, Double)],
                       layers: [ConstraintLayer: [(Double, Double, Double)]] = [:]) throws -> any ParcelStore {
    try squareParcelStore(squares, layers: layers, backend: backend)
}

func date(_ s: String) throws -> CalendarDate { try CalendarDate(parsing: s) }

@Suite("States, transitions, PBF, split and merge")
struct ParcelHistoryTests {
    @Test(arguments: Backend.available) func allowedTransitionIsRecordedWithItsRule(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "wasteland", false, 0, 0)])
        let events = try store.transition([TransitionRequest(parcelID: "A", to: .reclaimedFarmland, date: date("2024-05-01"), ref: "NH-7")], by: "Li Wei")
        #expect(events.first?.ruleID == "R1")
        #expect(events.first?.recordedBy == "Li Wei")
        #expect(try store.parcel("A")?.state == .reclaimedFarmland)
        #expect(try store.snapshot(asOf: date("2024-04-30")).parcels.first?.state == .wasteland)
        #expect(try store.snapshot(asOf: date("2024-05-01")).parcels.first?.state == .reclaimedFarmland)
        #expect(try store.snapshot(asOf: date("2022-12-31")).parcels.isEmpty)
    }

    /// Refusals name the parcel and the rule, and list what is allowed.
    @Test(arguments: Backend.available) func refusedTransitionsSayWhy(backend: Backend) throws {
        let store = try squaresStore(backend, [("P", "farmland", true, 0, 0), ("Q", "farmland", false, 2, 0)])
        let d1 = #expect(throws: LandtrackError.self) { try store.transition([TransitionRequest(parcelID: "P", to: .industrialPark, date: date("2024-01-01"))]) }
        let move = try #require(refusedMoves(d1).first)
        #expect(move.parcel == "P" && move.from == "farmland" && move.to == "industrial_park" && move.rule == "D1")
        #expect(move.allowed == ["wasteland"])
        let none = #expect(throws: LandtrackError.self) { try store.transition([TransitionRequest(parcelID: "Q", to: .industrialPark, date: date("2024-01-01"))]) }
        #expect(refusedMoves(none).map(\.rule) == [nil])
        #expect(try store.history("P").count == 1)
    }

    @Test(arguments: Backend.available) func farmlandAbandonmentIsRecordedAsALoss(backend: Backend) throws {
        let store = try squaresStore(backend, [("F", "farmland", false, 0, 0)])
        let e = try store.transition([TransitionRequest(parcelID: "F", to: .wasteland, date: date("2024-01-01"))])
        #expect(e.first?.note?.contains("cultivated land loss") == true)
    }

    /// The eco red line layer refuses construction inside it (rule D2), and a bureau's rules
    /// file can tighten the table.
    @Test(arguments: Backend.available) func redLineAndConfiguredRules(backend: Backend) throws {
        let store = try squaresStore(backend, [("I", "farmland", false, 0, 0), ("J", "wasteland", false, 3, 0)])
        let dir = try scratchDirectory()
        let redline = dir.appendingPathComponent("redline.geojson")
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"红线1"},"geometry":{"type":"Polygon","coordinates":[[[113.0995,23.0495],[113.1015,23.0495],[113.1015,23.0515],[113.0995,23.0515],[113.0995,23.0495]]]}}]}"#
            .write(to: redline, atomically: true, encoding: .utf8)
        #expect(try store.importLayer(.ecoRedline, from: InputBytes(path: redline.path)) == 1)
        var rules = TransitionRules.standard
        rules.rules.append(.init(id: "X1", from: [.farmland], to: [.industrialPark], effect: .allow, reason: "test allowance"))
        let inside = #expect(throws: LandtrackError.self) { try store.transition([TransitionRequest(parcelID: "I", to: .industrialPark, date: date("2024-01-01"))], rules: rules) }
        #expect(refusedMoves(inside).map(\.rule) == ["D2"])

        let file = dir.appendingPathComponent("strict.json")
        try #"{"rules":[{"id":"S1","from":["wasteland"],"to":["eco_restored"],"effect":"allow","reason":"re-greening only"}]}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let strict = try TransitionRules.load(path: file.path)
        let refused = #expect(throws: LandtrackError.self) { try store.transition([TransitionRequest(parcelID: "J", to: .farmland, date: date("2024-01-01"))], rules: strict) }
        #expect(refusedMoves(refused).map(\.allowed) == [["eco_restored"]])
        #expect(try store.transition([TransitionRequest(parcelID: "J", to: .ecoRestored, date: date("2024-01-01"))], rules: strict).first?.ruleID == "S1")
    }

    @Test(arguments: Backend.available) func changesDatedBeforeTheLastEventAreRefused(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "wasteland", false, 0, 0)])
        let e = #expect(throws: LandtrackError.self) { try store.transition([TransitionRequest(parcelID: "A", to: .farmland, date: date("2022-06-01"))]) }
        #expect(reasons(e) == [.datedBeforeHistory(parcel: "A", date: "2022-06-01", lastEvent: "2023-01-01")])
        let unknown = #expect(throws: LandtrackError.self) { try store.transition([TransitionRequest(parcelID: "ZZ", to: .farmland, date: date("2024-06-01"))]) }
        #expect(reasons(unknown) == [.unknownParcel("ZZ")])
    }

    /// A CSV of changes is applied all or nothing, every bad row named with its line.
    @Test(arguments: Backend.available) func csvOfChangesIsAllOrNothing(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "wasteland", false, 0, 0), ("B", "industrial_park", false, 2, 0)])
        let dir = try scratchDirectory()
        let bad = dir.appendingPathComponent("bad.csv")
        try "id,to,date,ref,note\nA,farmland,2024-03-01,R-1,ok\nB,paddy,2024-03-01,,\nB,eco_restored,2024-13-01,,\n".write(to: bad, atomically: true, encoding: .utf8)
        let e = #expect(throws: LandtrackError.self) { try TransitionRequest.load(csv: bad.path) }
        #expect(e?.description.contains("bad.csv line 3") == true)
        #expect(e?.description.contains("bad.csv line 4") == true)

        let illegal = dir.appendingPathComponent("illegal.csv")
        try "id,to,date\nA,farmland,2024-03-01\nB,wasteland,2024-03-01\n".write(to: illegal, atomically: true, encoding: .utf8)
        let requests = try TransitionRequest.load(csv: illegal.path)
        let refused = #expect(throws: LandtrackError.self) { try store.transition(requests) }
        #expect(refused?.refusals.map(\.origin) == ["\(illegal.path) line 3"])
        #expect(refusedMoves(refused).map(\.parcel) == ["B"])
        #expect(try store.parcel("A")?.state == .wasteland, "the good row must not have been applied")

        let good = dir.appendingPathComponent("good.csv")
        try "id,to,date,ref,note\nA,farmland,2024-03-01,R-1,\"reclaimed, irrigated\"\nB,eco_restored,2024-03-01,R-1,\n".write(to: good, atomically: true, encoding: .utf8)
        #expect(try store.transition(TransitionRequest.load(csv: good.path)).count == 2)
        #expect(try store.history("A").last?.note == "reclaimed, irrigated")
    }

    @Test(arguments: Backend.available) func basicFarmlandIsTrackedOverTime(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", true, 0, 0)])
        try store.setBasicFarmland("A", designated: false, date: date("2024-06-30"), ref: "PBF-1")
        #expect(try store.snapshot(asOf: date("2024-06-29")).parcels.first?.basicFarmland == true)
        #expect(try store.snapshot(asOf: date("2024-06-30")).parcels.first?.basicFarmland == false)
        #expect(throws: LandtrackError.self) { try store.setBasicFarmland("A", designated: false, date: date("2024-07-01")) }
        let e = try store.history("A").last!
        #expect(e.kind == .pbf && e.pbfBefore == true && e.pbfAfter == false && e.ref == "PBF-1")
    }

    @Test(arguments: Backend.available) func mergeOfTouchingParcels(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", false, 0, 0), ("B", "farmland", false, 1, 0), ("C", "farmland", false, 5, 0),
                                      ("W", "wasteland", false, 0, 1)])
        let a = try #require(try store.parcel("A")), b = try #require(try store.parcel("B"))
        let merged = try store.merge(["A", "B"], into: "AB", date: date("2024-09-01"))
        #expect(abs(merged.areaSquareMetres - (a.areaSquareMetres + b.areaSquareMetres)) <= 0.01)
        #expect(merged.polygons.count == 1)
        #expect(try store.lineage("AB").parents == ["A", "B"])
        #expect(try store.lineage("A").children == ["AB"])
        #expect(try store.snapshot(asOf: date("2024-08-31")).parcels.map(\.id).sorted() == ["A", "B", "C", "W"])
        #expect(try store.snapshot(asOf: date("2024-09-01")).parcels.map(\.id).sorted() == ["AB", "C", "W"])
        let apart = #expect(throws: LandtrackError.self) { try store.merge(["AB", "C"], into: "X", date: date("2024-09-02")) }
        #expect(reparcellingProblems(apart) == [.notTouching(parcels: ["C"], gapMetres: 0.5)])
        let mixed = #expect(throws: LandtrackError.self) { try store.merge(["AB", "W"], into: "X", date: date("2024-09-02")) }
        #expect(reparcellingProblems(mixed) == [.mixedStates(["AB: farmland", "W: wasteland"])])
        let retired = #expect(throws: LandtrackError.self) { try store.merge(["A", "C"], into: "X", date: date("2024-09-02")) }
        #expect(reasons(retired) == [.retiredParcel("A")])
    }

    @Test(arguments: Backend.available) func mergeOfOverlappingParcelsIsRefusedWithTheDifference(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", false, 0, 0), ("B", "farmland", false, 0.5, 0)])
        let e = #expect(throws: LandtrackError.self) { try store.merge(["A", "B"], into: "AB", date: date("2024-09-01")) }
        guard case let .areaMismatch(operation, result, expected, _)? = reparcellingProblems(e).first else {
            Issue.record("not an area mismatch: \(String(describing: e))")
            return
        }
        // The squares overlap by half: the union is three quarters of the parts' sum.
        #expect(operation == "merge" && abs(result / expected - 0.75) < 1e-6)
    }

    /// A line across a parcel gives two children whose areas add up to the parent's.
    @Test(arguments: Backend.available) func splitAlongALine(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", true, 0, 0)])
        let parent = try #require(try store.parcel("A"))
        let line = Geometry.lineString(try LineString([try Point(x: 113.1003, y: 23.0495), try Point(x: 113.1006, y: 23.0515)]))
        let children = try store.split("A", by: line, date: date("2024-10-01"))
        #expect(children.map(\.id) == ["A-1", "A-2"])
        #expect(abs(children.reduce(0) { $0 + $1.areaSquareMetres } - parent.areaSquareMetres) <= 0.01)
        #expect(children.allSatisfy { $0.basicFarmland && $0.state == .farmland })
        #expect(try store.snapshot(asOf: date("2024-09-30")).parcels.map(\.id) == ["A"])
        #expect(try store.snapshot(asOf: date("2024-10-01")).parcels.map(\.id) == ["A-1", "A-2"])
        #expect(try store.lineage("A").children == ["A-1", "A-2"])

        let miss = Geometry.lineString(try LineString([try Point(x: 113.2, y: 23.0), try Point(x: 113.2, y: 23.1)]))
        let e = #expect(throws: LandtrackError.self) { try store.split("A-1", by: miss, date: date("2024-10-02")) }
        #expect(reparcellingProblems(e) == [.doesNotCross(parcel: "A-1", cutter: "LineString")])
    }

    /// A polygon cutter gives the part inside it and the part outside (with a hole); names go to
    /// the pieces from the south-west, as for a line.
    @Test(arguments: Backend.available) func splitByAPolygonAndNamedChildren(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", false, 0, 0)])
        let parent = try #require(try store.parcel("A"))
        let pond = try Polygon(rings: [[(113.1002, 23.0502), (113.1004, 23.0502), (113.1004, 23.0504), (113.1002, 23.0504), (113.1002, 23.0502)].map { try Point(x: $0.0, y: $0.1) }])
        let children = try store.split("A", by: .polygon(pond), names: ["A-field", "A-pond"], date: date("2024-10-01"))
        #expect(children.map(\.id) == ["A-field", "A-pond"])
        let field = children[0], inner = children[1]
        #expect(field.polygons.count == 1 && field.polygons[0].holes.count == 1)
        #expect(abs(inner.areaSquareMetres - (try GeodesicAreaEngine(ellipsoid: .wgs84).area(of: pond))) < 0.01)
        #expect(abs(field.areaSquareMetres + inner.areaSquareMetres - parent.areaSquareMetres) <= 0.01)
        // The pond is now a hole of A-field: cutting by it again leaves one piece.
        let again = #expect(throws: LandtrackError.self) { try store.split("A-field", by: .polygon(pond), date: date("2024-10-02")) }
        #expect(reparcellingProblems(again) == [.doesNotCross(parcel: "A-field", cutter: "Polygon")])
        let line = Geometry.lineString(try LineString([try Point(x: 113.1007, y: 23.049), try Point(x: 113.1007, y: 23.052)]))
        let names = #expect(throws: LandtrackError.self) { try store.split("A-field", by: line, names: ["only-one"], date: date("2024-10-02")) }
        #expect(reparcellingProblems(names) == [.nameCount(pieces: 2, names: 1)])
    }

    /// Readers keep reading while a writer holds a long transaction (WAL).
    @Test func readersReadWhileAnImportWrites() throws {
        let store = try squaresStore([("A", "farmland", false, 0, 0)])
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let writer = BackgroundThread {
            try store.pool.write { db in
                try db.execute(sql: "UPDATE parcels SET village = 'writing' WHERE parcel_id = 'A'")
                started.signal()
                release.wait()
            }
        }
        started.wait()
        // The writer holds its transaction: a reader sees the committed state, without waiting.
        let village = try store.parcel("A")?.village
        release.signal()
        try writer.join()
        #expect(village == "大岗村")
        #expect(try store.parcel("A")?.village == "writing")
    }
}
