import Foundation
import PropertyBased
import Testing
import Geometry
import GeoPackageStore
import Parcels
import Store
@testable import Planner
import TestSupport
import VectorSources

@Suite("Contiguity")
struct ContiguityTests {
    /// The selection's table (by PBF flag and state ordinal) answers as the rule does, for every
    /// state, flag and option.
    @Test(arguments: [nil, [ParcelState.farmland], [.wasteland, .farmland, .ecoRestored]] as [Set<ParcelState>?], [false, true])
    func theSelectionTableIsTheRule(states: Set<ParcelState>?, pbfOnly: Bool) {
        var options = ContiguityReport.Options()
        options.states = states
        options.basicFarmlandOnly = pbfOnly
        let selects = options.selection()
        for state in ParcelState.allCases {
            for pbf in [false, true] {
                #expect(selects(state, pbf) == options.selects(state: state, basicFarmland: pbf), "\(state), PBF \(pbf)")
                #expect(selects(state, pbf) == ((states?.contains(state) ?? true) && (pbf || !pbfOnly)))
            }
        }
    }

    /// Component sizes from summary.json (GEOS via shapely on the same coordinates).
    func referenceSizes(_ set: String, _ graph: String) throws -> [Int] {
        let contiguity = try SharedData.summary(set)["contiguity"] as! [String: Any]
        return ((contiguity[graph] as! [String: Any])["sizes"] as! [Int]).sorted(by: >)
    }

    func components(_ set: String, gap: Double, source: (any FeatureSource)? = nil) throws -> [Int] {
        let input = try source ?? InputBytes(path: SharedData.url("\(set)/parcels.geojson").path)
        let (parcels, crs) = try PlannerInput.load(input, options: ParcelReadOptions(defaultState: .farmland))
        var options = ContiguityReport.Options()
        options.states = nil
        options.gapMetres = gap
        let report = try ContiguityReport.analyse(parcels, crs: crs, options: options)
        #expect(report.blocks.reduce(0) { $0 + $1.parcels.count } == parcels.count)
        return report.blocks.map(\.parcels.count).sorted(by: >)
    }

    /// Any contact (a shared corner counts): the same components as the reference.
    @Test(SharedData.required, arguments: SharedData.parcelSets)
    func anyContactMatchesTheReference(set: String) throws {
        #expect(try components(set, gap: 0) == referenceSizes(set, "any_contact"))
    }

    /// The same sets converted by GDAL's ogr2ogr to Shapefile and GeoPackage and read through
    /// GDAL give the same blocks.
    @Test(SharedData.required, arguments: SharedData.parcelSets)
    func theSameBlocksThroughShapefileAndGeoPackage(set: String) throws {
        guard let ogr2ogr = ProcessRun.installed("ogr2ogr") else {
            Issue.record("ogr2ogr is not installed (scripts/test.sh installs gdal-bin): GDAL sources were not tested")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-blocks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let reference = try referenceSizes(set, "any_contact")
        for (driver, name) in [("ESRI Shapefile", "parcels.shp"), ("GPKG", "parcels.gpkg")] {
            let out = dir.appendingPathComponent(name).path
            let made = try ProcessRun(ogr2ogr, ["-f", driver, out, SharedData.url("\(set)/parcels.geojson").path])
            #expect(made.status == 0, "\(made.stderr)")
            #expect(try components(set, gap: 0, source: GDALLayerSource(path: out)) == reference, "\(driver)")
        }
    }

    /// Within 0.5 m: the reference measured in each set's metric source CRS, landtrack in the
    /// Gauss-Krüger plane; no pair of these sets sits near enough to 0.5 m for that to matter.
    @Test(SharedData.required, arguments: SharedData.parcelSets)
    func withinHalfAMetreMatchesTheReference(set: String) throws {
        #expect(try components(set, gap: 0.5) == referenceSizes(set, "tolerance_0.5m"))
    }

    /// The real registers' sliver overlaps are reported and counted once.
    @Test(SharedData.required)
    func sliverOverlapsAreCountedOnce() throws {
        let set = "parcels-at-invekos-2025"
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: SharedData.url("\(set)/parcels.geojson").path), options: ParcelReadOptions(defaultState: .farmland))
        var options = ContiguityReport.Options()
        options.states = nil
        let report = try ContiguityReport.analyse(parcels, crs: crs, options: options)
        let components = (try SharedData.summary(set)["contiguity"] as! [String: Any])["any_contact"] as! [String: Any]
        for reference in components["components"] as! [[String: Any]] where (reference["size"] as! Int) > 1 {
            let ids = (reference["ids"] as! [Any]).map { "\($0)" }.sorted()
            let block = try #require(report.blocks.first { $0.parcels == ids })
            let union = (reference["union_geodesic_area_m2"] as! NSNumber).doubleValue
            let sum = (reference["sum_geodesic_area_m2"] as! NSNumber).doubleValue
            #expect(abs(block.memberAreaSum.squareMetres - sum) < 0.01)
            #expect(abs(block.area.squareMetres - union) < 0.01, "block \(ids): \(block.area.squareMetres) vs union \(union)")
        }
    }

    /// PostGIS's ST_ClusterIntersecting and ST_ClusterDBSCAN(minpoints 1) expectations, planar.
    @Test(SharedData.required)
    func postgisClusterCases() throws {
        let data = try Data(contentsOf: SharedData.url("postgis-regress-cases/cases.json"))
        let cases = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let clusterCases = cases["cluster_intersecting"] as! [[String: Any]]
        let t1Inputs = clusterCases[0]["inputs"] as! [[String: Any]]
        for c in clusterCases {
            let ctx = GEOSContext()
            // "same as t1": the later cases reuse t1's inputs with ST_ClusterWithin(…, d).
            let inputs = c["inputs"] as? [[String: Any]] ?? t1Inputs
            let function = c["function"] as! String
            var gap = 0.0
            if function.hasPrefix("ST_ClusterWithin"), let open = function.lastIndex(of: ","), let close = function.lastIndex(of: ")") {
                gap = Double(function[function.index(after: open)..<close].trimmingCharacters(in: .whitespaces))!
            }
            let handles = try inputs.map { i in try (i["wkt"] as? String).map { try ctx.readWKT($0) } }
            let got = try ContiguityAnalysis.components(ctx, handles, gap: gap).map { $0.map { inputs[$0]["id"] as! Int } }
            let expected = c["expected_clusters_by_input_id"] as! [[Int]]
            #expect(Set(got.map { Set($0) }) == Set(expected.map { Set($0) }), "\(c["id"]!)")
        }
        let dbscan = cases["cluster_dbscan"] as! [String: Any]
        let inputs = dbscan["inputs"] as! [[String: Any]]
        for c in dbscan["cases"] as! [[String: Any]] where (c["minpoints"] as! Int) == 1 {
            let ctx = GEOSContext()
            let handles = try inputs.map { try ctx.readWKT($0["wkt"] as! String) as GEOSGeometryHandle? }
            let got = try ContiguityAnalysis.components(ctx, handles, gap: (c["eps"] as! NSNumber).doubleValue)
            let expected = c["expected_cluster_id_by_input_id"] as! [String: Any]
            var clusters: [Int: Set<Int>] = [:]
            for (k, v) in expected { clusters[(v as! NSNumber).intValue, default: []].insert(Int(k)!) }
            #expect(Set(got.map { Set($0.map { inputs[$0]["id"] as! Int }) }) == Set(clusters.values), "\(c["id"]!)")
        }
    }

    /// Block counts and memberships do not depend on the order of the input.
    @Test func blocksDoNotDependOnInputOrder() async throws {
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path))
        let subset = Array(parcels.prefix(400))
        var options = ContiguityReport.Options()
        options.gapMetres = 10
        let base = try ContiguityReport.analyse(subset, crs: crs, options: options).blocks.map(\.parcels)
        #expect(base.count > 1)
        await checkProperty(count: 5, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let shuffled = subset.shuffled(using: &rng)
            let blocks = try ContiguityReport.analyse(shuffled, crs: crs, options: options).blocks.map(\.parcels)
            #expect(blocks == base)
        }
    }

    /// GEOS holds one tile of parcels per thread at a time: the blocks, their areas and overlaps
    /// are the same whatever the tiles' size (from 7 parcels, most blocks spread over many tiles,
    /// to one tile) and however many threads share the tiles out, touching and within a gap alike.
    @Test(arguments: [0.0, 2.0]) func blocksDoNotDependOnTheTilingOrTheThreads(gap: Double) throws {
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path))
        var options = ContiguityReport.Options()
        options.gapMetres = gap
        options.threads = 1
        options.parcelsPerTile = 100_000
        let whole = try ContiguityReport.analyse(parcels, crs: crs, options: options).blocks
        #expect(whole.count > 1 && whole.contains { $0.parcels.count > 50 })
        for size in [7, 64, 500] {
            for threads in [1, 2, 3] {
                options.parcelsPerTile = size
                options.threads = threads
                #expect(try ContiguityReport.analyse(parcels, crs: crs, options: options).blocks == whole, "\(size) parcels per tile, \(threads) threads")
            }
        }
    }

    /// The real registers' sliver overlaps come out the same in small tiles.
    @Test(SharedData.required) func overlapsDoNotDependOnTheTiling() throws {
        let set = "parcels-at-invekos-2025"
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: SharedData.url("\(set)/parcels.geojson").path), options: ParcelReadOptions(defaultState: .farmland))
        var options = ContiguityReport.Options()
        options.states = nil
        let whole = try ContiguityReport.analyse(parcels, crs: crs, options: options).blocks
        #expect(whole.contains { $0.overlap.squareMetres > 0 })
        options.parcelsPerTile = 25
        options.threads = 2
        #expect(try ContiguityReport.analyse(parcels, crs: crs, options: options).blocks == whole)
    }

    /// The analysis decides most pairs without GEOS (contacts on the coordinates, gap 0's blocks
    /// as a start, GEOS only for parcels near another block): its blocks are those of GEOS alone
    /// on every pair (`components` over the parcels' GEOS copies, lon/lat at gap 0, in the
    /// Gauss-Krüger plane within a gap), for the sample's farmland and for all its parcels.
    @Test(arguments: [0.0, 2.0, 3.5, 5.0]) func blocksAreThoseOfGEOSOnEveryPair(gap: Double) throws {
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path))
        for states in [ContiguityReport.Options().states, nil] {
            var options = ContiguityReport.Options()
            options.states = states
            options.gapMetres = gap
            let selected = parcels.filter { states?.contains($0.state) ?? true }.sorted { $0.id < $1.id }
            let ctx = GEOSContext()
            let transform = try CoordinateTransform.gaussKrugerPlane(from: crs, near: selected[0].polygons[0].exterior.points[0].x)
            let handles = try selected.map { p in
                try ctx.geometry(.multiPolygon(MultiPolygon(gap > 0 ? try p.polygons.map { try transform.transform($0) } : p.polygons)))
            }
            let truth = try ContiguityAnalysis.components(ctx, handles, gap: gap).map { $0.map { selected[$0].id }.sorted() }
            let blocks = try ContiguityReport.analyse(parcels, crs: crs, options: options).blocks.map(\.parcels)
            #expect(blocks.count > 1)
            #expect(Set(blocks) == Set(truth), "gap \(gap) m, \(states == nil ? "all states" : "farmland")")
        }
    }

    /// A pair with a parcel that may be invalid (`decidable` says no, as `check` says for a
    /// store's parcel it cannot prove valid) is left to GEOS even when its coordinates would
    /// decide it.
    @Test func pairsWithAParcelNotProvedValidGoToGEOS() throws {
        func square(_ x: Double) throws -> [Polygon] {
            [Polygon(exterior: try LinearRing([(x, 0), (x + 1, 0), (x + 1, 1), (x, 1), (x, 0)].map { try Point(x: $0.0, y: $0.1) }))]
        }
        let polygons = [try square(0), try square(1), try square(5)]
        var touching: [(Int, Int)] = []
        #expect(ContiguityAnalysis.contacts([0, 1, 2], polygons: { polygons[$0] }) { touching.append(($0, $1)) }.isEmpty)
        #expect(touching.count == 1 && touching[0] == (0, 1))
        touching = []
        let undecided = ContiguityAnalysis.contacts([0, 1, 2], polygons: { polygons[$0] }, decidable: { $0 != 1 }) { touching.append(($0, $1)) }
        #expect(touching.isEmpty && undecided.count == 1 && undecided[0] == (0, 1))
    }

    /// A gap joins what touching does not: roads 3–8 m wide split the sample's farmland at gap 0
    /// and not at 10 m.
    @Test func aGapJoinsAcrossNarrowRoads() throws {
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path))
        var options = ContiguityReport.Options()
        let touching = try ContiguityReport.analyse(parcels, crs: crs, options: options)
        options.gapMetres = 10
        let within = try ContiguityReport.analyse(parcels, crs: crs, options: options)
        #expect(within.blocks.count < touching.blocks.count)
        #expect(within.parcelCount == touching.parcelCount)
        #expect(within.distanceMethod.contains("EPSG:4547"))
        options.basicFarmlandOnly = true
        let pbf = try ContiguityReport.analyse(parcels, crs: crs, options: options)
        #expect(pbf.parcelCount == parcels.filter { $0.basicFarmland && ($0.state == .farmland || $0.state == .reclaimedFarmland) }.count)
    }
}

extension ContiguityTests {
    /// Two fields 5 m apart across a road: one block within 10 m, two when the road is a barrier.
    @Test func barriersSplitBlocksAcrossRoads() throws {
        let engine = GeodesicAreaEngine(ellipsoid: .wgs84)
        let gapDegrees = 5 / (111_320 * cos(23.05 * Double.pi / 180))
        func field(_ id: String, _ x: Double) throws -> Parcel {
            let p = try Polygon(rings: [[(x, 23.05), (x + 0.001, 23.05), (x + 0.001, 23.051), (x, 23.051), (x, 23.05)].map { try Point(x: $0.0, y: $0.1) }])
            return Parcel(id: id, state: .farmland, basicFarmland: false, village: nil, landuseCode: nil, polygons: [p], areaSquareMetres: try engine.area(of: p))
        }
        let a = try field("A", 113.1), b = try field("B", 113.101 + gapDegrees)
        var options = ContiguityReport.Options()
        options.gapMetres = 10
        #expect(try ContiguityReport.analyse([a, b], crs: .crs84, options: options).blocks.count == 1)
        let roadX = 113.101 + gapDegrees / 2
        options.barriers = [.lineString(try LineString([try Point(x: roadX, y: 23.04), try Point(x: roadX, y: 23.06)]))]
        #expect(try ContiguityReport.analyse([a, b], crs: .crs84, options: options).blocks.count == 2)
        options.barriers = [.lineString(try LineString([try Point(x: 113.2, y: 23.04), try Point(x: 113.2, y: 23.06)]))]
        #expect(try ContiguityReport.analyse([a, b], crs: .crs84, options: options).blocks.count == 1)
    }

    /// A block's outline: one polygon whose geodesic area is the block's.
    @Test func outlinesAreTheUnionOfTheMembers() throws {
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path))
        var options = ContiguityReport.Options()
        options.outlines = true
        let report = try ContiguityReport.analyse(Array(parcels.prefix(300)), crs: crs, options: options)
        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        for b in report.blocks {
            let outline = try #require(b.outline)
            #expect(abs(try engine.area(of: outline) - b.area.squareMetres) < 0.01, "block \(b.id)")
        }
        let collection = try GeoJSONReader().readAll(InputBytes(text: report.geojson()))
        #expect(collection.problems.isEmpty)
        #expect(collection.features.count == report.blocks.count)
    }
}
