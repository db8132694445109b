import Foundation
import GRDB
import PropertyBased
import Testing
import Geometry
@testable import GeoPackageStore
import Parcels
import Planner
import Store
import TestSupport

/// A FeatureCollection of unit squares at Nanhai (as `squareParcelStore` lays them out), each
/// `(id, state, pbf or nil for no PBF member, column)`; for re-imports.
func squaresFile(_ squares: [(String, String, Bool?, Double)], in dir: URL, name: String = "squares.geojson") throws -> InputBytes {
    let features = squares.map { id, state, pbf, c in
        let x = 113.1 + c * 0.001, y = 23.05, d = 0.001
        let ring = "[[" + [(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)].map { "[\($0.0),\($0.1)]" }.joined(separator: ",") + "]]"
        let flag = pbf.map { #","basic_farmland":\#($0)"# } ?? ""
        return #"{"type":"Feature","properties":{"id":"\#(id)","state":"\#(state)"\#(flag),"village":"大岗村"},"geometry":{"type":"Polygon","coordinates":\#(ring)}}"#
    }
    let url = dir.appendingPathComponent(name)
    try (#"{"type":"FeatureCollection","features":["# + features.joined(separator: ",") + "]}").write(to: url, atomically: true, encoding: .utf8)
    return try InputBytes(path: url.path)
}

func importOptions(_ day: String) throws -> ImportOptions {
    var o = ImportOptions()
    o.date = try CalendarDate(parsing: day)
    return o
}

/// Every way a parcel's state or PBF flag can change goes through the one rule path.
@Suite("One write path for the rules")
struct WritePathTests {
    /// The bypass of the record issue: a PBF parcel re-imported as industrial_park.
    @Test(arguments: Backend.available) func aReimportCannotMovePBFIntoConstruction(backend: Backend) throws {
        let store = try squaresStore(backend, [("P", "farmland", true, 0, 0), ("Q", "wasteland", false, 1, 0)])
        let before = try store.counts()
        let file = try squaresFile([("P", "industrial_park", true, 0), ("Q", "farmland", false, 1)], in: try scratchDirectory())
        let e = #expect(throws: LandtrackError.self) { try store.importParcels(file, options: importOptions("2024-02-01")) }
        // Refused as a whole: Q's allowed move is not written either.
        #expect(refusedMoves(e).map(\.parcel) == ["P"])
        #expect(refusedMoves(e).map(\.rule) == ["D1"])
        #expect(e?.refusals.first?.origin?.hasSuffix("feature 1") == true)
        #expect(try store.counts() == before)
        #expect(try store.parcel("P")?.state == .farmland && store.parcel("Q")?.state == .wasteland)
    }

    /// Releasing PBF and converting in the same file is refused too (D1 looks at both flags).
    @Test(arguments: Backend.available) func aReimportCannotReleaseAndConvertAtOnce(backend: Backend) throws {
        let store = try squaresStore(backend, [("P", "farmland", true, 0, 0)])
        let file = try squaresFile([("P", "industrial_park", false, 0)], in: try scratchDirectory())
        let e = #expect(throws: LandtrackError.self) { try store.importParcels(file, options: importOptions("2024-02-01")) }
        #expect(refusedMoves(e).map(\.rule) == ["D1"])
        #expect(try store.history("P").count == 1)
    }

    /// A change the table allows is recorded as the transition it is, a PBF change as a PBF event.
    @Test(arguments: Backend.available) func allowedReimportChangesAreTransitionsAndPBFEvents(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "wasteland", false, 0, 0), ("B", "farmland", false, 1, 0)])
        let file = try squaresFile([("A", "reclaimed_farmland", false, 0), ("B", "farmland", true, 1)], in: try scratchDirectory())
        let summary = try store.importParcels(file, options: importOptions("2024-02-01"))
        #expect(summary.updated == 2 && summary.transitions == 1 && summary.basicFarmlandChanges == 1)
        let a = try store.history("A"), b = try store.history("B")
        #expect(a.map(\.kind) == [.imported, .transition])
        #expect(a[1].ruleID == "R1" && a[1].fromState == .wasteland && a[1].toState == .reclaimedFarmland)
        #expect(b.map(\.kind) == [.imported, .pbf])
        #expect(b[1].pbfBefore == false && b[1].pbfAfter == true)
        // As of the day before, the old values.
        let then = try store.snapshot(asOf: date("2024-01-31")).parcels
        #expect(then.map(\.state) == [.wasteland, .farmland] && then.map(\.basicFarmland) == [false, false])
    }

    /// A file without a PBF member says nothing about PBF: a re-import keeps the stored flag.
    @Test(arguments: Backend.available) func aFileWithoutThePBFFieldKeepsTheFlag(backend: Backend) throws {
        let store = try squaresStore(backend, [("P", "farmland", true, 0, 0)])
        let summary = try store.importParcels(try squaresFile([("P", "farmland", nil, 0)], in: try scratchDirectory()),
                                              options: importOptions("2024-02-01"))
        #expect(summary.unchanged == 1)
        #expect(try store.parcel("P")?.basicFarmland == true)
    }

    /// The table of `--rules` decides re-imports as it decides transitions.
    @Test(arguments: Backend.available) func aReimportFollowsTheConfiguredTable(backend: Backend) throws {
        let store = try squaresStore(backend, [("J", "wasteland", false, 0, 0)])
        var options = try importOptions("2024-02-01")
        options.rules = TransitionRules(rules: [.init(id: "S1", from: [.wasteland], to: [.ecoRestored], effect: .allow, reason: "re-greening only")])
        let e = #expect(throws: LandtrackError.self) {
            try store.importParcels(try squaresFile([("J", "farmland", false, 0)], in: try scratchDirectory()), options: options)
        }
        #expect(refusedMoves(e).map(\.allowed) == [["eco_restored"]])
        let ok = try store.importParcels(try squaresFile([("J", "eco_restored", false, 0)], in: try scratchDirectory()), options: options)
        #expect(try ok.transitions == 1 && store.history("J").last?.ruleID == "S1")
    }

    /// A retired parcel cannot be brought back or changed by a re-import; dates stay in order.
    @Test(arguments: Backend.available) func reimportsOfRetiredParcelsAndOldDatesAreRefused(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", false, 0, 0), ("B", "farmland", false, 1, 0)])
        try store.merge(["A", "B"], into: "AB", date: date("2024-03-01"))
        let dir = try scratchDirectory()
        let retired = #expect(throws: LandtrackError.self) {
            try store.importParcels(try squaresFile([("A", "wasteland", false, 0)], in: dir), options: importOptions("2024-04-01"))
        }
        #expect(reasons(retired) == [.retiredParcel("A")])
        let store2 = try squaresStore(backend, [("C", "wasteland", false, 0, 0)])
        try store2.transition([TransitionRequest(parcelID: "C", to: .farmland, date: date("2024-05-01"))])
        let early = #expect(throws: LandtrackError.self) {
            try store2.importParcels(try squaresFile([("C", "wasteland", false, 0)], in: dir, name: "c.geojson"), options: importOptions("2024-04-01"))
        }
        #expect(reasons(early) == [.datedBeforeHistory(parcel: "C", date: "2024-04-01", lastEvent: "2024-05-01")])
    }

    /// PBF changes: unknown, retired, no change and out-of-order dates are refusals.
    @Test(arguments: Backend.available) func basicFarmlandRefusals(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", false, 0, 0), ("B", "farmland", false, 1, 0), ("C", "farmland", true, 3, 0)])
        try store.merge(["A", "B"], into: "AB", date: date("2024-03-01"))
        #expect(reasons(#expect(throws: LandtrackError.self) { try store.setBasicFarmland("A", designated: true, date: date("2024-04-01")) })
                == [.retiredParcel("A")])
        #expect(reasons(#expect(throws: LandtrackError.self) { try store.setBasicFarmland("Z", designated: true, date: date("2024-04-01")) })
                == [.unknownParcel("Z")])
        #expect(reasons(#expect(throws: LandtrackError.self) { try store.setBasicFarmland("C", designated: true, date: date("2024-04-01")) })
                == [.noChange(parcel: "C", what: "permanent basic farmland")])
        #expect(reasons(#expect(throws: LandtrackError.self) { try store.setBasicFarmland("C", designated: false, date: date("2022-01-01")) })
                == [.datedBeforeHistory(parcel: "C", date: "2022-01-01", lastEvent: "2023-01-01")])
    }

    /// Merge measures its gap in metres in the Gauss-Krüger plane, as contiguity does: two fields
    /// 0.48 m apart east-west (4.7e-6° of longitude at 23°N, more than 0.5 m read as degrees of
    /// latitude) are within 0.5 m; 0.52 m apart they are not.
    @Test(arguments: Backend.available) func mergeGapIsInGaussKrugerMetres(backend: Backend) throws {
        let metresPerDegree = 111_320 * cos(23.05 * Double.pi / 180)
        let near = try squareParcelStore(backend, [("A", "farmland", false, 0, 0, 1), ("B", "farmland", false, 1 + 0.48 / metresPerDegree / 0.001, 0, 1)])
        let merged = try near.merge(["A", "B"], into: "AB", date: date("2024-09-01"), gap: 0.5)
        #expect(merged.polygons.count == 2)
        let far = try squareParcelStore(backend, [("A", "farmland", false, 0, 0, 1), ("B", "farmland", false, 1 + 0.52 / metresPerDegree / 0.001, 0, 1)])
        let e = #expect(throws: LandtrackError.self) { try far.merge(["A", "B"], into: "AB", date: date("2024-09-01"), gap: 0.5) }
        #expect(reparcellingProblems(e) == [.notTouching(parcels: ["B"], gapMetres: 0.5)])
    }

    /// Split names must be distinct (this was a database error, and a 500 over HTTP) and new.
    @Test(arguments: Backend.available) func splitNamesAreCheckedBeforeWriting(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", false, 0, 0), ("X", "farmland", false, 3, 0)])
        let line = Geometry.lineString(try LineString([try Point(x: 113.1005, y: 23.0495), try Point(x: 113.1005, y: 23.0515)]))
        let twice = #expect(throws: LandtrackError.self) { try store.split("A", by: line, names: ["D", "D"], date: date("2024-10-01")) }
        #expect(reparcellingProblems(twice) == [.nameTwice("D")])
        let taken = #expect(throws: LandtrackError.self) { try store.split("A", by: line, names: ["D", "X"], date: date("2024-10-01")) }
        #expect(reasons(taken) == [.parcelExists("X")])
        #expect(try store.history("A").count == 1 && store.parcel("D") == nil)
    }

    /// A parcel changed between the moment a merge was computed (outside the transaction) and
    /// its write refuses the merge: the parents are read again inside the transaction.
    @Test(arguments: Backend.available) func aParcelChangedMeanwhileRefusesTheMerge(backend: Backend) throws {
        let store = try squaresStore(backend, [("A", "farmland", false, 0, 0), ("B", "farmland", false, 1, 0)])
        // Reads of the wrapper see A and B as they were before B's boundary moved (its row changed).
        let stale = ForwardingStore(store)
        stale.staleParcels = ["A": try #require(try store.parcel("A")), "B": try #require(try store.parcel("B"))]
        try executeBehindTheStore(store, "UPDATE parcels SET village = '新村' WHERE parcel_id = 'B'")
        let e = #expect(throws: LandtrackError.self) { try stale.merge(["A", "B"], into: "AB", date: date("2024-09-01")) }
        #expect(reasons(e) == [.changedMeanwhile("B")])
        #expect(try store.parcel("AB") == nil && store.parcel("A")?.active == true)
    }

    /// `check` reads the store once, for its two distinct dates (the as-of date and the start).
    @Test(arguments: Backend.available) func checkReadsEachDateOnce(backend: Backend) throws {
        let store = ForwardingStore(try squaresStore(backend, [("A", "wasteland", false, 0, 0)]))
        try store.transition([TransitionRequest(parcelID: "A", to: .farmland, date: date("2024-05-01"))])
        var options = CheckOptions()
        options.asOf = try date("2024-12-31")
        let report = try CheckReport.load(from: store, options: options)
        #expect(report.results.count == PlannerRule.allCases.count)
        #expect(store.snapshotCalls.map { $0.map { $0?.description } } == [["2024-12-31", "2023-01-01"]])
    }

    /// Whatever sequence of writes is accepted, the history never holds a move the table refuses:
    /// random transitions, PBF changes and re-imports, refusals ignored, then the audit rule. The
    /// first parcel starts as wasteland and is re-greened first (R1), so that every sequence has
    /// at least one accepted write to audit (CI drew a seed whose 30 random writes were all refused).
    @Test(arguments: Backend.available) func acceptedWritesNeverBreakTheTable(backend: Backend) async throws {
        let states = ParcelState.allCases
        await checkProperty(count: 6, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(seed))
            let ids = (0..<6).map { "S\($0)" }
            let store = try squareParcelStore(ids.enumerated().map {
                ($0.element, $0.offset == 0 ? "wasteland" : states.randomElement(using: &rng)!.rawValue, Bool.random(using: &rng), Double($0.offset), 0, 1)
            }, backend: backend)
            let dir = try scratchDirectory()
            try store.transition([TransitionRequest(parcelID: "S0", to: .ecoRestored, date: try CalendarDate(parsing: "2023-12-31"))])
            var accepted = 1
            for step in 0..<30 {
                let day = try CalendarDate(parsing: String(format: "2024-%02d-%02d", 1 + step / 28, 1 + step % 28))
                let id = ids.randomElement(using: &rng)!
                do {
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0:
                        try store.transition([TransitionRequest(parcelID: id, to: states.randomElement(using: &rng)!, date: day)])
                    case 1:
                        try store.setBasicFarmland(id, designated: Bool.random(using: &rng), date: day)
                    default:
                        let file = try squaresFile(ids.enumerated().map { ($0.element, states.randomElement(using: &rng)!.rawValue, Bool.random(using: &rng), Double($0.offset)) },
                                                   in: dir, name: "step\(step).geojson")
                        _ = try store.importParcels(file, options: { var o = ImportOptions(); o.date = day; return o }())
                    }
                    accepted += 1
                } catch let error as LandtrackError {
                    #expect(!error.refusals.isEmpty, "a write failed other than by a refusal: \(error)")
                }
            }
            var options = CheckOptions()
            options.rules = [.recordedTransitions]
            let check = try CheckReport.load(from: store, options: options)
            #expect(check.passed, "seed \(seed), \(accepted) writes accepted: \(check.table())")
        }
    }

    /// The audit is no stub: a move the table refuses, written around the rules into the
    /// history (as stores before this version could hold), is found.
    @Test(arguments: Backend.available) func theAuditFindsAMoveAroundTheRules(backend: Backend) throws {
        let store = try squaresStore(backend, [("P", "farmland", true, 0, 0)])
        try executeBehindTheStore(store, """
            INSERT INTO parcel_events (parcel_id, kind, from_state, to_state, effective_date, recorded_at, recorded_by)
            VALUES ('P', 'import-update', 'farmland', 'industrial_park', '2024-01-01', '2024-01-01T00:00:00Z', 'old landtrack')
            """)
        var options = CheckOptions()
        options.rules = [.recordedTransitions]
        let check = try CheckReport.load(from: store, options: options)
        let result = try #require(check.results.first)
        #expect(!result.passed && result.findings.map(\.parcels) == [["P"]])
        #expect(result.findings.first?.message.contains("rule D1") == true)
    }
}

/// Ids are text without control characters, compared exactly as stored.
@Suite("Parcel ids")
struct ParcelIDTests {
    @Test(arguments: ["DUP-1\u{0}", "\u{0}", "A\tB", "line\nbreak", "del\u{7F}", "", String(repeating: "x", count: 257),
                      String(repeating: "村", count: 257)])
    func badIdsAreRefused(id: String) {
        #expect(ParcelID.problem(id) != nil)
    }

    @Test(arguments: ["NH-000177", "大岗村-0001", "a b", String(repeating: "x", count: 256), "id with \"quotes\"",
                      String(repeating: "村", count: 256), String(repeating: "e\u{301}", count: 200)])
    func goodIdsPass(id: String) {
        #expect(ParcelID.problem(id) == nil)
    }

    /// The rule on ids of every length around the limit, in characters of one to four bytes and
    /// of two scalars, with and without controls: a limit on characters, not bytes.
    @Test func theQuickTestAgreesWithTheRule() {
        var rng = SplitMix(seed: 14)
        let pieces = ["a", "7", "-", "é", "村", "😀", "e\u{301}", "\u{0}", "\t", "\u{1F}", "\u{7F}", "\u{80}"]
        for _ in 0..<3_000 {
            let n = [0, 1, 85, 128, 255, 256, 257, 300][Int.random(in: 0..<8, using: &rng)]
            let clean = Bool.random(using: &rng)
            let id = (0..<n).map { _ in pieces[Int.random(in: 0..<(clean ? 7 : pieces.count), using: &rng)] }.joined()
            let good = !id.isEmpty && id.count <= 256 && !id.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
            #expect((ParcelID.problem(id) == nil) == good, "\(id.count) characters, \(id.utf8.count) bytes")
        }
    }

    /// "DUP-1\u0000" in a file no longer slips past the duplicate check to overwrite DUP-1.
    @Test(arguments: Backend.available) func aNULInAFileIsABadID(backend: Backend) throws {
        let store = try squaresStore(backend, [("DUP-1", "farmland", false, 0, 0)])
        let doc = #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"DUP-1\u0000","state":"wasteland"},"geometry":{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}},{"type":"Feature","properties":{"id":"\u0000","state":"wasteland"},"geometry":{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}}]}"#
        let e = #expect(throws: LandtrackError.self) { try store.importParcels(InputBytes(text: doc), options: importOptions("2024-01-01")) }
        guard case let .invalidInput(_, problems)? = e else { Issue.record("not refused as a file problem: \(String(describing: e))"); return }
        #expect(problems.map(\.code) == [.badId, .badId])
        #expect(problems.map(\.featureIndex) == [1, 2])
        #expect(problems[0].message.contains("U+0000"))
        #expect(try store.parcel("DUP-1")?.state == .farmland && store.history("DUP-1").count == 1)
    }

    /// Every write and read of the store refuses such an id (the last defence below the readers).
    @Test(arguments: Backend.available) func theStoreRefusesControlCharacters(backend: Backend) throws {
        let store = try squaresStore(backend, [("NH-000177", "wasteland", false, 0, 0)])
        let evil = "NH-000177\u{0}evil"
        let t = #expect(throws: LandtrackError.self) { try store.transition([TransitionRequest(parcelID: evil, to: .farmland, date: date("2024-01-01"))]) }
        #expect(reasons(t).count == 1)
        if case .invalidID(let id, _)? = reasons(t).first { #expect(id == evil) } else { Issue.record("\(reasons(t))") }
        #expect(throws: LandtrackError.self) { try store.setBasicFarmland(evil, designated: true, date: date("2024-01-01")) }
        #expect(throws: LandtrackError.self) { try store.merge(["NH-000177", "B\u{1}"], into: "M", date: date("2024-01-01")) }
        #expect(throws: LandtrackError.self) { try HistoryReport(store: store, parcelID: evil) }
        #expect(try store.parcel("NH-000177")?.state == .wasteland)
        // Compared exactly: a prefix or another case is another parcel.
        #expect(try store.parcel("nh-000177") == nil && store.parcel("NH-00017") == nil)
    }

    /// CSV rows: an id with a control character is named with its line.
    @Test func csvRowsWithControlCharacters() throws {
        let dir = try scratchDirectory()
        let file = dir.appendingPathComponent("t.csv")
        try "id,to,date\nA\u{1},farmland,2024-01-01\n".write(to: file, atomically: true, encoding: .utf8)
        let e = #expect(throws: LandtrackError.self) { try TransitionRequest.load(csv: file.path) }
        guard case let .invalidInput(_, problems)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(problems.map(\.code) == [.badId])
        #expect(problems[0].message.contains("line 2"))
    }
}

/// CSV input goes through CSV.swift's RFC 4180 reader.
@Suite("CSV input")
struct CSVInputTests {
    @Test func quotedCommasQuotesAndLineBreaks() throws {
        let dir = try scratchDirectory()
        let file = dir.appendingPathComponent("t.csv")
        try "id,to,date,ref,note\r\nA,farmland,2024-01-01,\"R-1, phase 2\",\"first line\nsecond \"\"quoted\"\" line\"\r\nB,eco_restored,2024-01-02,,\r\n".write(to: file, atomically: true, encoding: .utf8)
        let requests = try TransitionRequest.load(csv: file.path)
        #expect(requests.map(\.parcelID) == ["A", "B"])
        #expect(requests[0].ref == "R-1, phase 2")
        #expect(requests[0].note == "first line\nsecond \"quoted\" line")
        // Line numbers count the line break inside the quoted note.
        #expect(requests.map(\.origin) == ["\(file.path) line 2", "\(file.path) line 4"])
    }

    @Test func anUnclosedQuoteIsAnError() throws {
        let dir = try scratchDirectory()
        let file = dir.appendingPathComponent("t.csv")
        try "id,to,date,ref,note\nA,farmland,2024-01-01,\"R-1,\n".write(to: file, atomically: true, encoding: .utf8)
        let e = #expect(throws: LandtrackError.self) { try TransitionRequest.load(csv: file.path) }
        #expect(e?.description.contains("never closed") == true)
    }

    @Test func landuseMapWithQuotedFields() throws {
        let dir = try scratchDirectory()
        let file = dir.appendingPathComponent("map.csv")
        try "code,state\n\"0101\",\"farmland\"\n0201,\"eco_restored\"\n".write(to: file, atomically: true, encoding: .utf8)
        let map = try LanduseMapping.load(path: file.path)
        #expect(map.state(for: "0101") == .farmland && map.state(for: "0201") == .ecoRestored && map.state(for: "0601") == .other)
        try "code,state\n0101,farmland,extra\n".write(to: file, atomically: true, encoding: .utf8)
        let e = #expect(throws: LandtrackError.self) { try LanduseMapping.load(path: file.path) }
        #expect(e?.description.contains("line 2") == true)
    }
}
