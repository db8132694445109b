import Foundation
import GRDB
import PropertyBased
import Testing
import Geometry
@testable import GeoPackageStore
import Parcels
import Store
@testable import Planner
import TestSupport

func ruleStore(_ squares: [(String, String, Bool, Double, Double, Double)], layers: [ConstraintLayer: [(Double, Double, Double)]] = [:]) throws -> GeoPackageStore {
    try squareParcelStore(squares, layers: layers)
}

func check(_ store: ParcelStore, _ rule: PlannerRule, _ configure: (inout CheckOptions) -> Void = { _ in }) throws -> CheckReport.Result {
    var options = CheckOptions()
    options.rules = [rule]
    options.asOf = try CalendarDate(parsing: "2025-12-31")
    configure(&options)
    return try #require(try CheckReport.load(from: store, options: options).results.first)
}

func day(_ s: String) throws -> CalendarDate { try CalendarDate(parsing: s) }

/// Every rule is shown passing and failing.
@Suite("Rule checks")
struct RuleCheckTests {
    @Test func pbfFragmentation() throws {
        let store = try ruleStore([("P", "farmland", true, 0, 0, 1)])
        #expect(try check(store, .pbfFragmentation).passed)                         // 17 mu ≥ 10 mu
        let failing = try check(store, .pbfFragmentation) { $0.pbfMinimumMu = 20 }
        #expect(!failing.passed && failing.findings.first?.parcels == ["P"])
    }

    @Test func pbfInsideTheUrbanBoundary() throws {
        let inside = try ruleStore([("P", "farmland", true, 0, 0, 1), ("Q", "farmland", false, 3, 0, 1)], layers: [.urbanBoundary: [(0.5, 0, 1)]])
        let r = try check(inside, .pbfInUrbanBoundary)
        #expect(!r.passed && r.findings.map(\.parcels) == [["P"]])
        #expect(abs((r.findings[0].area?.squareMetres ?? 0) - 11_390 / 2) < 200)
        let apart = try ruleStore([("P", "farmland", true, 0, 0, 1)], layers: [.urbanBoundary: [(1, 0, 1)]])  // touches only
        #expect(try check(apart, .pbfInUrbanBoundary).passed)
    }

    @Test func constructionInsideTheRedLine() throws {
        let store = try ruleStore([("I", "industrial_park", false, 0, 0, 1), ("F", "farmland", false, 0, 2, 1)], layers: [.ecoRedline: [(0, 0, 3)]])
        let r = try check(store, .constructionInRedLine)
        #expect(!r.passed && r.findings.map(\.parcels) == [["I"]])
        let outside = try ruleStore([("I", "industrial_park", false, 5, 5, 1)], layers: [.ecoRedline: [(0, 0, 3)]])
        #expect(try check(outside, .constructionInRedLine).passed)
    }

    @Test func controlLinesMustNotOverlap() throws {
        let overlapping = try ruleStore([("F", "farmland", false, 9, 9, 1)], layers: [.urbanBoundary: [(0, 0, 2)], .ecoRedline: [(1, 1, 2)]])
        let r = try check(overlapping, .controlLinesOverlap)
        #expect(!r.passed && r.findings.first?.message.contains("urban boundary and the red line overlap") == true)
        let separate = try ruleStore([("F", "farmland", true, 9, 9, 1)], layers: [.urbanBoundary: [(0, 0, 2)], .ecoRedline: [(4, 4, 2)]])
        #expect(try check(separate, .controlLinesOverlap).passed)
    }

    /// 19 farmland squares at the start: reclaiming a half square is 2.6 % (fails), a whole one 5.3 % (passes).
    @Test func newCultivatedLandAtLeastFivePercent() throws {
        var squares = (0..<19).map { ("F\($0)", "farmland", false, Double($0 % 5), Double($0 / 5), 1.0) }
        squares.append(("H", "wasteland", false, 8, 6, 0.7071))
        squares.append(("W", "wasteland", false, 8, 8, 1))
        let store = try ruleStore(squares)
        #expect(try !check(store, .newCultivatedLand).passed)
        try store.transition([TransitionRequest(parcelID: "H", to: .reclaimedFarmland, date: try day("2024-03-01"))])
        #expect(try !check(store, .newCultivatedLand).passed)
        try store.transition([TransitionRequest(parcelID: "H", to: .farmland, date: try day("2024-03-02")),
                              TransitionRequest(parcelID: "W", to: .reclaimedFarmland, date: try day("2024-03-01"))])
        let r = try check(store, .newCultivatedLand)
        #expect(r.passed, "\(r.detail)")
        #expect(r.detail.contains("no programme_area layer"))
    }

    /// With a programme_area layer only the land inside it counts: at the start (C0 in, C5 out) and
    /// gained (A in, B out), each parcel's geometry asked once for both dates.
    @Test func newCultivatedLandInsideTheProgrammeArea() throws {
        let store = try ruleStore([("C0", "farmland", false, 0, 0, 1), ("C5", "farmland", false, 5, 0, 1),
                                   ("A", "wasteland", false, 0, 1, 1), ("B", "wasteland", false, 5, 1, 1)],
                                  layers: [.programmeArea: [(-0.25, -0.25, 2.5)]])
        try store.transition([TransitionRequest(parcelID: "A", to: .reclaimedFarmland, date: try day("2024-03-01")),
                              TransitionRequest(parcelID: "B", to: .reclaimedFarmland, date: try day("2024-03-01"))])
        let areas = Dictionary(uniqueKeysWithValues: try store.snapshot().parcels.map { ($0.id, $0.areaSquareMetres * 3 / 2000) })
        let r = try check(store, .newCultivatedLand)
        #expect(r.detail.contains("new cultivated land \(String(format: "%.2f", areas["A"]!)) mu = "), "\(r.detail)")
        #expect(r.detail.contains("of \(String(format: "%.2f", areas["C0"]!)) mu at the start (inside the programme area)"), "\(r.detail)")
        #expect(r.passed)  // A is about as large as C0: far above 5 %
    }

    @Test func newBasicFarmlandAtLeastFivePercentOverReleased() throws {
        let store = try ruleStore([("A", "farmland", true, 0, 0, 1), ("B", "farmland", false, 2, 0, 1), ("C", "farmland", false, 4, 0, 0.1)])
        try store.setBasicFarmland("A", designated: false, date: try day("2024-01-01"))
        try store.setBasicFarmland("B", designated: true, date: try day("2024-01-01"))
        // Equal squares: designated = released, not 5 % more.
        #expect(try !check(store, .newBasicFarmland).passed)
        try store.setBasicFarmland("C", designated: true, date: try day("2024-02-01"))  // +1 % of a square… not enough
        #expect(try !check(store, .newBasicFarmland).passed)
        let bigger = try ruleStore([("A", "farmland", true, 0, 0, 1), ("B", "farmland", false, 2, 0, 1.05)])
        try bigger.setBasicFarmland("A", designated: false, date: try day("2024-01-01"))
        try bigger.setBasicFarmland("B", designated: true, date: try day("2024-01-01"))
        #expect(try check(bigger, .newBasicFarmland).passed)
    }

    @Test func cultivatedBalance() throws {
        let store = try ruleStore([("F", "farmland", false, 0, 0, 1), ("W", "wasteland", false, 2, 0, 1)])
        try store.transition([TransitionRequest(parcelID: "F", to: .wasteland, date: try day("2024-01-01"))])
        #expect(try !check(store, .cultivatedBalance).passed)
        try store.transition([TransitionRequest(parcelID: "W", to: .farmland, date: try day("2024-02-01"))])
        #expect(try check(store, .cultivatedBalance).passed)
    }

    /// The store refuses invalid parcels on import; one written behind landtrack's back is found.
    @Test func invalidGeometry() throws {
        let store = try ruleStore([("A", "farmland", false, 0, 0, 1)])
        #expect(try check(store, .invalidGeometry).passed)
        let bowtie = try Polygon(rings: [[(113.2, 23.1), (113.201, 23.101), (113.201, 23.1), (113.2, 23.101), (113.2, 23.1)].map { try Point(x: $0.0, y: $0.1) }])
        try store.pool.write { db in
            try db.execute(sql: "UPDATE parcels SET geom = ? WHERE parcel_id = 'A'", arguments: [GeoPackage.blob([bowtie], srsID: 4326)])
        }
        let r = try check(store, .invalidGeometry)
        #expect(!r.passed && r.findings.first?.message.contains("Self-intersection") == true)
    }

    /// An invalid parcel (written behind landtrack's back) that overlaps others and the layers
    /// does not stop the other rules: every rule runs, the invalid one is found, and each rule
    /// that measures overlaps says how many it could not measure.
    @Test func anInvalidParcelOverlappingOthersLeavesTheOtherRulesRunning() throws {
        let store = try ruleStore([("A", "farmland", true, 0, 0, 1), ("B", "farmland", true, 0.5, 0, 1), ("C", "farmland", true, 1.4, 0, 1)],
                                  layers: [.urbanBoundary: [(0, 0, 1)], .ecoRedline: [(0, 0, 1)]])
        let bowtie = try Polygon(rings: [[(113.1, 23.05), (113.101, 23.051), (113.101, 23.05), (113.1, 23.051), (113.1, 23.05)].map { try Point(x: $0.0, y: $0.1) }])
        try store.pool.write { db in
            try db.execute(sql: "UPDATE parcels SET geom = ? WHERE parcel_id = 'A'", arguments: [GeoPackage.blob([bowtie], srsID: 4326)])
        }
        var options = CheckOptions()
        options.asOf = try day("2025-12-31")
        let report = try CheckReport.load(from: store, options: options)
        #expect(report.results.count == PlannerRule.allCases.count)
        let invalid = try #require(report.results.first { $0.rule == .invalidGeometry })
        #expect(invalid.findings.map(\.parcels) == [["A"]])
        let overlap = try #require(report.results.first { $0.rule == .parcelOverlap })
        #expect(overlap.findings.map(\.parcels) == [["B", "C"]])
        #expect(overlap.detail.hasSuffix("; 1 pair with an invalid geometry not measured (see invalid-geometry)"), "\(overlap.detail)")
        let urban = try #require(report.results.first { $0.rule == .pbfInUrbanBoundary })
        #expect(urban.findings.map(\.parcels) == [["B"]])
        #expect(urban.detail == "1 PBF parcels inside; 1 parcel with an invalid geometry not measured (see invalid-geometry)")
        let lines = try #require(report.results.first { $0.rule == .controlLinesOverlap })
        #expect(lines.findings.map(\.parcels) == [[], ["B"]])
        #expect(lines.detail == "2 overlaps; 1 PBF parcel with an invalid geometry not measured (see invalid-geometry)")
        // The bytes written out are the rendered text's, in every format (JSON is written as bytes).
        for format in ReportFormat.allCases { #expect(report.utf8(format) == Array(report.render(format).utf8), "\(format)") }
        #expect(try JSONSerialization.jsonObject(with: Data(report.utf8(.json))) is [String: Any])
    }

    @Test func parcelOverlapAboveTheThreshold() throws {
        let store = try ruleStore([("A", "farmland", false, 0, 0, 1), ("B", "farmland", false, 0.9, 0, 1)])  // 10 % overlap ≈ 1,100 m²
        let r = try check(store, .parcelOverlap)
        #expect(!r.passed && r.findings.first?.parcels == ["A", "B"])
        #expect(try check(store, .parcelOverlap) { $0.overlapThreshold = 2000 }.passed)
    }

    /// Clean blocks of touching squares are skipped through their coverage union; the findings
    /// equal those of testing every pair, computed here with GEOS directly (a 3×3 clean block,
    /// a block with one overlapping pair hidden in it, a lone pair overlapping by a sliver).
    @Test func parcelOverlapEqualsEveryPairTested() throws {
        var squares: [(String, String, Bool, Double, Double, Double)] = []
        for c in 0..<3 { for r in 0..<3 { squares.append(("C\(c)\(r)", "farmland", false, Double(c), Double(r), 1)) } }
        for c in 0..<3 { squares.append(("K\(c)", "farmland", false, 5 + Double(c), 0, 1)) }
        squares.append(("K-over", "farmland", false, 5.5, 1, 1))       // on K0/K1's top edge: touches only
        squares.append(("K-in", "farmland", false, 6.2, 0.2, 0.5))     // inside K1
        squares.append(("L1", "farmland", false, 10, 0, 1))
        squares.append(("L2", "farmland", false, 10.9995, 0, 1))       // overlaps L1 by ≈ 5.6 m²
        let store = try ruleStore(squares)
        let r = try check(store, .parcelOverlap)
        let parcels = try store.snapshot().parcels
        let ctx = GEOSContext()
        let engine = GeodesicAreaEngine(ellipsoid: .wgs84)
        var truth: [[String]] = []
        for i in parcels.indices {
            for j in parcels.indices where j > i {
                let a = try ctx.geometry(parcels[i].geometry), b = try ctx.geometry(parcels[j].geometry)
                let overlap = try engine.area(of: ctx.value(ctx.intersection(a, b)).polygonalParts)
                if overlap > 1 { truth.append([parcels[i].id, parcels[j].id]) }
            }
        }
        #expect(truth.count == 2)
        #expect(r.findings.map(\.parcels) == truth)
        // GEOS holds a tile of parcels at a time: tiles of one, two, … parcels (most squares in
        // several tiles) find the same pairs.
        for size in [1, 2, 3, 5] {
            #expect(try check(store, .parcelOverlap) { $0.parcelsPerTile = size }.findings == r.findings, "\(size) parcels per tile")
            // The tiles shared out between threads: the same pairs, in the same order.
            for threads in [1, 2, 3] {
                #expect(try check(store, .parcelOverlap) { $0.parcelsPerTile = size; $0.threads = threads }.findings == r.findings,
                        "\(size) parcels per tile on \(threads) threads")
            }
        }
    }

    /// `check` finds the PBF blocks' contacts in the overlap rule's pass over every parcel
    /// instead of a pass of their own: the blocks (members, areas, overlaps) are those
    /// `contiguity` finds, for random PBF flags over the sample, with copies of parcels shifted
    /// a little (overlapping their neighbours: blocks with overlaps, pairs GEOS settles), a
    /// parcel with a hole (not proved valid: its overlaps go to GEOS, its contacts are decided
    /// as `contiguity` decides them) and a bow-tie (invalid: its overlaps are not measured),
    /// whatever the tiling or the threads.
    @Test func pbfBlocksFromTheOverlapPassAreThoseOfContiguity() async throws {
        let (sample, crs) = try PlannerInput.load(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path))
        var parcels = Array(sample.prefix(600))
        for k in stride(from: 0, to: 600, by: 40) {
            var copy = parcels[k]
            copy.id += "-shifted"
            copy.polygons = try copy.polygons.map { p in
                Polygon(exterior: try LinearRing(p.exterior.points.map { q throws(LandtrackError) in try Point(x: q.x + 2e-5, y: q.y + 1e-5) }))
            }
            parcels.append(copy)
        }
        func ring(around p: Point, _ corners: [(Double, Double)]) throws -> LinearRing {
            try LinearRing(corners.map { try Point(x: p.x + $0.0, y: p.y + $0.1) })
        }
        let corner = parcels[0].polygons[0].exterior.points[0]
        let bowTie = try ring(around: corner, [(0, 0), (2e-4, 2e-4), (2e-4, 0), (0, 2e-4), (0, 0)])
        parcels.append(Parcel(id: "bow-tie", state: .farmland, polygons: [Polygon(exterior: bowTie)], areaSquareMetres: 1))
        // Valid, but not one simple ring: proved nothing on coordinates.
        let middle = parcels[300].polygons[0].exterior.points[0]
        let holed = Polygon(exterior: try ring(around: middle, [(-3e-4, -3e-4), (3e-4, -3e-4), (3e-4, 3e-4), (-3e-4, 3e-4), (-3e-4, -3e-4)]),
                            holes: [try ring(around: middle, [(-1e-4, -1e-4), (-1e-4, 1e-4), (1e-4, 1e-4), (1e-4, -1e-4), (-1e-4, -1e-4)])])
        parcels.append(Parcel(id: "holed", state: .farmland, polygons: [holed], areaSquareMetres: 1))
        parcels.sort { $0.id < $1.id }
        let proved = CheckReport.provedValid(parcels)
        #expect(Set(parcels.indices.filter { !proved[$0] }.map { parcels[$0].id }).isSuperset(of: ["bow-tie", "holed"]))
        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        await checkProperty(count: 6, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            var flagged = parcels
            for i in flagged.indices { flagged[i].basicFarmland = Int.random(in: 0..<3, using: &rng) > 0 }
            for id in ["bow-tie", "holed"] { flagged[flagged.firstIndex { $0.id == id }!].basicFarmland = true }
            var blocks = ContiguityReport.Options()
            blocks.states = nil
            blocks.basicFarmlandOnly = true
            let alone = try ContiguityReport.analyse(flagged, crs: crs, options: blocks).blocks
            #expect(alone.contains { $0.overlap.squareMetres > 0 } && alone.contains { $0.parcels.count > 20 })
            for (perTile, threads) in [(nil, 1), (50, 2), (7, 3)] as [(Int?, Int)] {
                var options = CheckOptions()
                options.parcelsPerTile = perTile
                options.threads = threads
                let pass = try CheckReport.overlapPass(flagged, proved: proved, options: options, engine: engine, blocks: blocks)
                let shared = try ContiguityReport.analyse(flagged, crs: crs, options: blocks, gapZero: pass.contacts).blocks
                #expect(shared == alone, "seed \(seed), \(perTile.map(String.init) ?? "standard") parcels a tile, \(threads) threads")
                // The overlap rule's findings do not change with the blocks' contacts found on the way.
                let plain = try CheckReport.overlapPass(flagged, proved: proved, options: options, engine: engine, blocks: nil)
                #expect(plain.contacts == nil && plain.pairs.map { [$0.0, $0.1] } == pass.pairs.map { [$0.0, $0.1] })
                #expect(!pass.pairs.isEmpty && pass.unmeasured > 0 && plain.unmeasured == pass.unmeasured)
            }
        }
    }

    @Test func sliversBelowTheMinimumMappingUnit() throws {
        let store = try ruleStore([("S", "farmland", false, 0, 0, 0.15), ("I", "industrial_park", false, 3, 0, 0.15)])  // ≈ 256 m² each
        let r = try check(store, .sliver)
        #expect(r.findings.map(\.parcels) == [["S"]], "farmland under 400 m² is a sliver, construction over 200 m² is not")
        let area = try #require(try store.parcel("S")?.areaSquareMetres)
        #expect(r.findings.first?.message == "\(String(format: "%.2f", area)) m² farmland parcel, below the 400 m² minimum for farmland")
        #expect(r.findings.first?.area?.squareMetres == area)
        #expect(try check(store, .sliver) { $0.minimumFarmland = 200 }.passed)
        // Each state's own minimum and wording: the industrial park (≈ 256 m²) under a minimum of 300.5 m².
        let construction = try check(store, .sliver) { $0.minimumConstruction = 300.5 }
        #expect(construction.findings.map(\.parcels) == [["I"], ["S"]], "in id order")
        #expect(construction.findings.first?.message.hasSuffix(" m² industrial_park parcel, below the 300.5 m² minimum for construction") == true)
    }
}
