import Foundation
import Testing
import Geometry
import Parcels
@testable import Planner
import TestSupport

/// Gap 0's contact graph (`ParcelContacts`): GEOS's answer on every pair, whatever the tiles and
/// threads; the blocks taken from it are those of a pass of their own; the parcel cache keeps
/// it for the very parcels it was made of.
@Suite("Parcel contacts")
struct ParcelContactsTests {
    static var sample: String { SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path }

    struct Pair: Hashable { var i, j: Int }

    /// The graph by GEOS alone: every two parcels whose envelopes meet, `intersects` and
    /// `relate` T******** on their GEOS copies.
    static func byGEOS(_ parcels: [Parcel]) throws -> (intersecting: Set<Pair>, overlapping: Set<Pair>) {
        let ctx = GEOSContext()
        let handles = try parcels.map { try ctx.geometry(.multiPolygon(MultiPolygon($0.polygons))) }
        let envelopes = parcels.map { MultiPolygon($0.polygons).envelope! }
        var intersecting = Set<Pair>(), overlapping = Set<Pair>()
        for i in parcels.indices {
            for j in (i + 1)..<parcels.count where envelopes[i].intersects(envelopes[j]) {
                if try ctx.intersects(handles[i], handles[j]) { intersecting.insert(Pair(i: i, j: j)) }
                if try ctx.relate(handles[i], handles[j], pattern: "T********") { overlapping.insert(Pair(i: i, j: j)) }
            }
        }
        return (intersecting, overlapping)
    }

    static func pairs(_ list: [(Int, Int)]) -> Set<Pair> { Set(list.map { Pair(i: $0.0, j: $0.1) }) }

    @Test func theGraphIsGEOSsOnEveryPair() throws {
        let (parcels, _) = try PlannerInput.load(try InputBytes(path: Self.sample))
        let contacts = try ParcelContacts.of(parcels)
        let truth = try Self.byGEOS(parcels)
        #expect(truth.intersecting.count > parcels.count)
        #expect(contacts.parcelCount == parcels.count)
        #expect(Self.pairs(contacts.intersectingPairs) == truth.intersecting)
        #expect(Self.pairs(contacts.overlappingPairs) == truth.overlapping)
    }

    /// Pairs the coordinates leave undecided go to GEOS: B's corner on A's side (touching, no
    /// shared vertex), C across A's corner (overlapping), D apart.
    @Test func pairsLeftUndecidedAreGEOSs() throws {
        func feature(_ id: String, _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> String {
            let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)].map { "[\($0.0),\($0.1)]" }.joined(separator: ",")
            return #"{"type":"Feature","properties":{"id":"\#(id)","state":"farmland"},"geometry":{"type":"Polygon","coordinates":[[\#(ring)]]}}"#
        }
        let text = #"{"type":"FeatureCollection","features":["# + [
            feature("A", 113.000, 23.000, 113.001, 23.001), feature("B", 113.001, 23.0005, 113.002, 23.0015),
            feature("C", 112.9995, 22.9995, 113.0005, 23.0005), feature("D", 113.005, 23.000, 113.006, 23.001),
        ].joined(separator: ",") + "]}"
        let (parcels, _) = try PlannerInput.load(InputBytes(text: text))
        let contacts = try ParcelContacts.of(parcels)
        #expect(Self.pairs(contacts.intersectingPairs) == [Pair(i: 0, j: 1), Pair(i: 0, j: 2)])
        #expect(Self.pairs(contacts.overlappingPairs) == [Pair(i: 0, j: 2)])
        let truth = try Self.byGEOS(parcels)
        #expect(Self.pairs(contacts.intersectingPairs) == truth.intersecting && Self.pairs(contacts.overlappingPairs) == truth.overlapping)
    }

    /// A real register with sliver overlaps: the overlapping pairs too are GEOS's.
    @Test(SharedData.required) func aRegistersOverlapsAreGEOSs() throws {
        let (parcels, _) = try PlannerInput.load(try InputBytes(path: SharedData.url("parcels-at-invekos-2025/parcels.geojson").path),
                                                 options: ParcelReadOptions(defaultState: .farmland))
        let contacts = try ParcelContacts.of(parcels, parcelsPerTile: 50)
        let truth = try Self.byGEOS(parcels)
        #expect(!truth.overlapping.isEmpty)
        #expect(Self.pairs(contacts.intersectingPairs) == truth.intersecting)
        #expect(Self.pairs(contacts.overlappingPairs) == truth.overlapping)
    }

    @Test func theGraphDoesNotDependOnTheTilingOrTheThreads() throws {
        let (parcels, _) = try PlannerInput.load(try InputBytes(path: Self.sample))
        let whole = try ParcelContacts.of(parcels, threads: 1, parcelsPerTile: 100_000)
        for (size, threads) in [(7, 1), (64, 2), (500, 3)] {
            let tiled = try ParcelContacts.of(parcels, threads: threads, parcelsPerTile: size)
            #expect(tiled.intersectingPairs.elementsEqual(whole.intersectingPairs, by: ==), "\(size) a tile, \(threads) threads")
            #expect(tiled.overlappingPairs.elementsEqual(whole.overlappingPairs, by: ==))
        }
    }

    /// Every gap and selection: the blocks (members, areas, overlaps) from the graph are those
    /// of a gap-0 pass of the analysis' own.
    @Test(arguments: [0.0, 2.0, 5.0], ["farmland", "all", "pbf", "wasteland"])
    func blocksFromTheGraphAreThoseOfAPassOfTheirOwn(gap: Double, selection: String) throws {
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: Self.sample))
        let contacts = try ParcelContacts.of(parcels)
        var options = ContiguityReport.Options()
        options.gapMetres = gap
        switch selection {
        case "all": options.states = nil
        case "pbf": options.basicFarmlandOnly = true
        case "wasteland": options.states = [.wasteland]
        default: break
        }
        let own = try ContiguityReport.analyse(parcels, crs: crs, options: options)
        #expect(own.blocks.count > 1)
        // In another order too: positions are the list's, whatever its order.
        let reversed = Array(parcels.reversed())
        #expect(try ContiguityReport.analyse(parcels, crs: crs, options: options, contacts: contacts).blocks == own.blocks)
        #expect(try ContiguityReport.analyse(reversed, crs: crs, options: options, contacts: try ParcelContacts.of(reversed)).blocks == own.blocks)
    }

    @Test(SharedData.required) func aRegistersBlocksFromTheGraphHaveTheirOverlaps() throws {
        let (parcels, crs) = try PlannerInput.load(try InputBytes(path: SharedData.url("parcels-at-invekos-2025/parcels.geojson").path),
                                                   options: ParcelReadOptions(defaultState: .farmland))
        var options = ContiguityReport.Options()
        options.states = nil
        let own = try ContiguityReport.analyse(parcels, crs: crs, options: options).blocks
        #expect(own.contains { $0.overlap.squareMetres > 0 })
        #expect(try ContiguityReport.analyse(parcels, crs: crs, options: options, contacts: try ParcelContacts.of(parcels)).blocks == own)
    }

    func scratch() throws -> URL { try scratchFolder("landtrack-contacts") }

    /// A grid of squares (farmland, every third PBF) sharing their edges; `overlapping`: one of
    /// them moved half into its neighbour.
    static func grid(overlapping: Bool) -> String {
        var features: [String] = []
        for k in 0..<60 {
            // In 1e-4° units, so that neighbours share their edges exactly.
            let (x, y) = (1_130_000 + 10 * (k % 10) + (overlapping && k == 14 ? 5 : 0), 230_000 + 10 * (k / 10))
            let ring = [(x, y), (x + 10, y), (x + 10, y + 10), (x, y + 10), (x, y)]
                .map { "[\(Double($0.0) / 10_000),\(Double($0.1) / 10_000)]" }.joined(separator: ",")
            let state = k % 7 == 3 ? "wasteland" : "farmland"
            features.append(#"{"type":"Feature","properties":{"id":"G\#(k)","state":"\#(state)","basic_farmland":\#(k % 3 == 0)},"geometry":{"type":"Polygon","coordinates":[[\#(ring)]]}}"#)
        }
        return #"{"type":"FeatureCollection","features":["# + features.joined(separator: ",") + "]}"
    }

    /// With a kept graph in which no two parcels overlap, gap 0's blocks come from parcels read
    /// without their polygons, and are the blocks of the parcels with them, for every selection;
    /// with an overlapping pair (whose area a block subtracts) the parcels are not read so.
    @Test(arguments: [false, true])
    func gapZeroFromAKeptGraphNeedsNoPolygons(overlapping: Bool) throws {
        let folder = try scratch()
        let input = folder.appendingPathComponent("grid.geojson")
        try Self.grid(overlapping: overlapping).write(to: input, atomically: false, encoding: .utf8)
        let cache = ParcelCache(directory: folder.appendingPathComponent("cache"))
        #expect(PlannerInput.loadForKeptContacts(path: input.path, cache: cache) == nil, "nothing cached yet")
        let loaded = try PlannerInput.loadCached(path: input.path, cache: cache)
        #expect(PlannerInput.loadForKeptContacts(path: input.path, cache: cache) == nil, "no graph kept yet")
        let contacts = try ParcelContacts.of(loaded.parcels)
        #expect(contacts.overlapping.isEmpty == !overlapping)
        try #require(loaded.entry).keep(contacts)
        let light = PlannerInput.loadForKeptContacts(path: input.path, cache: cache)
        guard !overlapping else {
            #expect(light == nil)
            return
        }
        let kept = try #require(light)
        #expect(kept.parcels.allSatisfy { $0.polygons.isEmpty })
        #expect(kept.parcels.map { var p = $0; p.polygons = []; return p } == loaded.parcels.map { var p = $0; p.polygons = []; return p })
        for selection in ["farmland", "all", "pbf", "wasteland"] {
            var options = ContiguityReport.Options()
            switch selection {
            case "all": options.states = nil
            case "pbf": options.basicFarmlandOnly = true
            case "wasteland": options.states = [.wasteland]
            default: break
            }
            let full = try ContiguityReport.analyse(loaded.parcels, crs: loaded.crs, options: options)
            #expect(full.blocks.count >= 1)
            #expect(try ContiguityReport.analyse(kept.parcels, crs: kept.crs, options: options, contacts: kept.contacts).json() == full.json(), "\(selection)")
        }
    }

    /// Kept and read back as they were; refused for another count of parcels, when damaged,
    /// and once the input has changed (its entry is another, and the old graph is gone).
    @Test func theCacheKeepsTheGraphForTheseParcelsOnly() throws {
        let folder = try scratch()
        let input = folder.appendingPathComponent("parcels.geojson")
        try FileManager.default.copyItem(atPath: Self.sample, toPath: input.path)
        let cache = ParcelCache(directory: folder.appendingPathComponent("cache"))
        let loaded = try PlannerInput.loadCached(path: input.path, cache: cache)
        let entry = try #require(loaded.entry)
        #expect(entry.contacts(parcelCount: loaded.parcels.count) == nil)
        let contacts = try ParcelContacts.of(loaded.parcels)
        entry.keep(contacts)
        let read = try #require(entry.contacts(parcelCount: loaded.parcels.count))
        #expect(read.intersecting == contacts.intersecting && read.overlapping == contacts.overlapping)
        #expect(entry.contacts(parcelCount: loaded.parcels.count + 1) == nil)
        // From the parcel cache this time: the same entry.
        let again = try #require(PlannerInput.loadCached(path: input.path, cache: cache).entry)
        #expect(again.contacts(parcelCount: loaded.parcels.count)?.intersecting == contacts.intersecting)

        // Damage: cut short, a pair turned round, a position past the end, another magic.
        let kept = try Data(contentsOf: entry.contactsPath)
        let pairsStart = 8 + 8 + 32 + 24
        func damaged(_ change: (inout Data) -> Void) throws -> ParcelContacts? {
            var bytes = kept
            change(&bytes)
            try bytes.write(to: entry.contactsPath)
            return entry.contacts(parcelCount: loaded.parcels.count)
        }
        func setPair(_ bytes: inout Data, _ k: Int, _ i: Int, _ j: Int) {
            withUnsafeBytes(of: ParcelContacts.pack(i, j).littleEndian) { bytes.replaceSubrange((pairsStart + 8 * k)..<(pairsStart + 8 * k + 8), with: $0) }
        }
        #expect(try damaged { _ in } != nil)   // the control: rewritten as it was, read
        #expect(try damaged { $0.removeLast(8) } == nil)
        #expect(try damaged { setPair(&$0, 3, 9, 2) } == nil)
        #expect(try damaged { setPair(&$0, 3, 2, 2) } == nil)
        #expect(try damaged { setPair(&$0, 3, 2, loaded.parcels.count) } == nil)
        #expect(try damaged { $0[0] = UInt8(ascii: "X") } == nil)

        // The input changes: another fingerprint, nothing kept for it; the old graph is removed
        // when the parcels are read again.
        try Data(kept).write(to: entry.contactsPath)
        var text = try String(contentsOf: input, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"state\":\"wasteland\"", with: "\"state\":\"farmland\"")
        try text.write(to: input, atomically: false, encoding: .utf8)
        let changed = try PlannerInput.loadCached(path: input.path, cache: cache)
        #expect(changed.parcels != loaded.parcels)
        #expect(!FileManager.default.fileExists(atPath: entry.contactsPath.path))
        #expect(try #require(changed.entry).contacts(parcelCount: changed.parcels.count) == nil)
    }
}
