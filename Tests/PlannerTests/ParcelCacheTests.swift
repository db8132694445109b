import Foundation
import PropertyBased
import Testing
import Geometry
import Parcels
@testable import Planner
import TestSupport

@Suite("Parcel cache")
struct ParcelCacheTests {
    func scratch() throws -> URL { try scratchFolder("landtrack-cache") }

    var sample: String { SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path }

    func cacheFiles(_ cache: ParcelCache) -> [URL] {
        (try? FileManager.default.contentsOfDirectory(at: cache.directory, includingPropertiesForKeys: nil)) ?? []
    }

    /// The second load comes from the cache and equals a fresh read, parcel by parcel.
    @Test func aCachedLoadEqualsAFreshRead() throws {
        let cache = ParcelCache(directory: try scratch())
        let fresh = try PlannerInput.load(try InputBytes(path: sample))
        let first = try PlannerInput.load(path: sample, cache: cache)
        #expect(cacheFiles(cache).count == 1)
        let second = try PlannerInput.load(path: sample, cache: cache)
        #expect(first.parcels == fresh.parcels && second.parcels == fresh.parcels)
        #expect(second.crs == fresh.crs)
        // The second really came from the cache: a cache file for another input is not used
        // (the fingerprint is checked), but this one is read without touching the GeoJSON.
        let copy = try scratch().appendingPathComponent("copy.geojson")
        try FileManager.default.copyItem(atPath: sample, toPath: copy.path)
        _ = try PlannerInput.load(path: copy.path, cache: cache)
        #expect(cacheFiles(cache).count == 2)
    }

    /// The cache is decoded in runs on every core: runs of 7 parcels (the sample's 2,000 in 286
    /// runs) give the parcels of a fresh read, in order; a run damaged in the middle of the
    /// file makes the whole cache unread, and the file is read again.
    @Test func aCacheDecodedInManySmallRunsEqualsAFreshRead() throws {
        let cache = ParcelCache(directory: try scratch(), parcelsPerRun: 7)
        let fresh = try PlannerInput.load(try InputBytes(path: sample))
        _ = try PlannerInput.load(path: sample, cache: cache)
        #expect(try PlannerInput.load(path: sample, cache: cache).parcels == fresh.parcels)
        let file = try #require(cacheFiles(cache).first)
        var bytes = try Data(contentsOf: file)
        let written = bytes
        // Parcel 1,500's first ring given a form neither decimal nor Float64: the index still
        // holds, the thread decoding that run (214: parcels 1,498–1,504) finds it.
        let offset = bytes.withUnsafeBytes { raw -> Int in
            var tail = ParcelCache.Reader(raw: raw, offset: raw.count - 8)
            var index = ParcelCache.Reader(raw: raw, offset: tail.int()! + 8 * 214)
            var r = ParcelCache.Reader(raw: raw, offset: index.int()!)
            for _ in 0..<2 { _ = r.parcel() }
            _ = r.attributes()
            _ = r.count(); _ = r.count(); _ = r.count()   // polygons, rings, points
            return r.offset
        }
        #expect(bytes[offset] <= 9, "the sample's rings are written as decimals")
        bytes[offset] = 0x7F
        try bytes.write(to: file)
        #expect(try PlannerInput.load(path: sample, cache: cache).parcels == fresh.parcels)
        #expect(try Data(contentsOf: file) == written, "rewritten")
    }

    /// Multipolygons, holes and absent attributes go through the cache as they were read (each
    /// run is written where its size, counted first, says it starts; the reader holds every run
    /// to end where the next begins).
    @Test func multipolygonsAndHolesComeBackFromTheCache() throws {
        let file = try scratch().appendingPathComponent("parts.geojson")
        func square(_ x: Double, _ y: Double, _ d: Double) -> String {
            "[[\(x),\(y)],[\(x + d),\(y)],[\(x + d),\(y + d)],[\(x),\(y + d)],[\(x),\(y)]]"
        }
        let features = [
            #"{"type":"Feature","properties":{"id":"M1","state":"farmland","village":"黄庄村","landuse_code":"0101"},"geometry":{"type":"MultiPolygon","coordinates":[[\#(square(113.1, 23.05, 0.002)),\#(square(113.1005, 23.0505, 0.0005))],[\#(square(113.11, 23.05, 0.001))]]}}"#,
            #"{"type":"Feature","properties":{"id":"H2","state":"wasteland"},"geometry":{"type":"Polygon","coordinates":[\#(square(113.12, 23.05, 0.003)),\#(square(113.1202, 23.0502, 0.0005)),\#(square(113.1212, 23.0512, 0.0005))]}}"#,
            #"{"type":"Feature","properties":{"id":"P3","state":"farmland","basic_farmland":true},"geometry":{"type":"Polygon","coordinates":[\#(square(113.13, 23.05, 0.001))]}}"#,
        ]
        try (#"{"type":"FeatureCollection","features":["# + features.joined(separator: ",") + "]}").write(to: file, atomically: false, encoding: .utf8)
        for run in [1, 2, 8192] {
            let cache = ParcelCache(directory: try scratch(), parcelsPerRun: run)
            let fresh = try PlannerInput.load(path: file.path, cache: cache)
            #expect(fresh.parcels.map(\.polygons.count) == [2, 1, 1] && fresh.parcels[1].polygons[0].holes.count == 2)
            let key = try #require(cache.key(path: file.path, options: ParcelReadOptions()))
            #expect(cache.read(key)?.parcels == fresh.parcels, "runs of \(run)")
            #expect(cacheFiles(cache).count == 1)
        }
    }

    /// Read without polygons, the cache gives the parcels of a full read with their polygons
    /// left empty (runs of 7 and whole, multipolygons and holes passed over); a run damaged in a
    /// ring's form is refused so too.
    @Test(arguments: [7, 8192])
    func aReadWithoutPolygonsIsTheParcelsWithoutThem(run: Int) throws {
        let cache = ParcelCache(directory: try scratch(), parcelsPerRun: run)
        let full = try PlannerInput.load(path: sample, cache: cache).parcels
        let key = try #require(cache.key(path: sample, options: ParcelReadOptions()))
        let light = try #require(cache.read(key, polygons: false))
        #expect(light.parcels.count == full.count && light.parcels.allSatisfy { $0.polygons.isEmpty })
        #expect(light.parcels == full.map { var p = $0; p.polygons = []; return p })
        // The first parcel's first ring given a form neither decimal nor Float64.
        let file = try #require(cacheFiles(cache).first)
        var bytes = try Data(contentsOf: file)
        let offset = bytes.withUnsafeBytes { raw -> Int in
            var tail = ParcelCache.Reader(raw: raw, offset: raw.count - 8)
            var index = ParcelCache.Reader(raw: raw, offset: tail.int()!)
            var r = ParcelCache.Reader(raw: raw, offset: index.int()!)
            _ = r.attributes()
            _ = r.count(); _ = r.count(); _ = r.count()
            return r.offset
        }
        bytes[offset] = 0x7F
        try bytes.write(to: file)
        #expect(cache.read(key, polygons: false) == nil)
    }

    /// A load that needs no polygons gets none from the cache, and the parcels of a full load
    /// otherwise; when the file must be read, it gets them (and the cache is written whole).
    @Test func aLoadWithoutPolygonsTakesNoneFromTheCache() throws {
        let cache = ParcelCache(directory: try scratch())
        let miss = try PlannerInput.loadCached(path: sample, cache: cache, polygons: false)
        #expect(miss.parcels.allSatisfy { !$0.polygons.isEmpty })
        let hit = try PlannerInput.loadCached(path: sample, cache: cache, polygons: false)
        #expect(hit.parcels == miss.parcels.map { var p = $0; p.polygons = []; return p })
        #expect(try PlannerInput.loadCached(path: sample, cache: cache).parcels == miss.parcels)
    }

    /// A changed file is read again, even with the same size.
    @Test func aChangedFileIsReadAgain() throws {
        let cache = ParcelCache(directory: try scratch())
        let file = try scratch().appendingPathComponent("p.geojson")
        func write(_ state: String) throws {
            try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"A","state":"\#(state)"},"geometry":{"type":"Polygon","coordinates":[[[113.1,23.05],[113.101,23.05],[113.101,23.051],[113.1,23.051],[113.1,23.05]]]}}]}"#
                .write(to: file, atomically: false, encoding: .utf8)
        }
        try write("farmland")
        #expect(try PlannerInput.load(path: file.path, cache: cache).parcels.first?.state == .farmland)
        try write("wasteland")   // same length as "farmland" + 1: a different size
        #expect(try PlannerInput.load(path: file.path, cache: cache).parcels.first?.state == .wasteland)
        try write("farmlan_")    // same size as the first version: caught by content and mtime
        #expect(throws: LandtrackError.self) { try PlannerInput.load(path: file.path, cache: cache) }
    }

    /// The options are part of the key: another default state is another reading.
    @Test func optionsArePartOfTheKey() throws {
        let cache = ParcelCache(directory: try scratch())
        let file = try scratch().appendingPathComponent("nostate.geojson")
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"A"},"geometry":{"type":"Polygon","coordinates":[[[113.1,23.05],[113.101,23.05],[113.101,23.051],[113.1,23.051],[113.1,23.05]]]}}]}"#
            .write(to: file, atomically: false, encoding: .utf8)
        #expect(try PlannerInput.load(path: file.path, options: ParcelReadOptions(defaultState: .farmland), cache: cache).parcels.first?.state == .farmland)
        #expect(try PlannerInput.load(path: file.path, options: ParcelReadOptions(defaultState: .wasteland), cache: cache).parcels.first?.state == .wasteland)
        #expect(throws: LandtrackError.self) { try PlannerInput.load(path: file.path, cache: cache) }
    }

    /// A damaged cache file is ignored and rewritten; an unwritable cache directory only
    /// means no cache.
    @Test(arguments: [0, 7, 100, 5000])
    func aDamagedCacheIsIgnored(keep: Int) throws {
        let cache = ParcelCache(directory: try scratch())
        let fresh = try PlannerInput.load(path: sample, cache: cache)
        let file = try #require(cacheFiles(cache).first)
        let bytes = try Data(contentsOf: file)
        var damaged = bytes.prefix(keep)
        damaged.append(contentsOf: [0xFF, 0x00, 0x7F])
        try damaged.write(to: file)
        #expect(try PlannerInput.load(path: sample, cache: cache).parcels == fresh.parcels)
        #expect(try Data(contentsOf: file) == bytes)
    }

    /// The index of runs is checked as the runs are decoded: a run start moved by a byte, two
    /// starts swapped, an index offset off by eight, the index cut short, a parcel count the file
    /// cannot hold (with a run size that keeps the index's length right): each cache is not used
    /// (the file is read again, the cache rewritten), and what is read equals a fresh read.
    @Test(arguments: ["start + 1", "swapped", "index - 8", "cut", "count"])
    func aDamagedIndexIsIgnored(damage: String) throws {
        let cache = ParcelCache(directory: try scratch(), parcelsPerRun: 300)
        let fresh = try PlannerInput.load(path: sample, cache: cache)
        let file = try #require(cacheFiles(cache).first)
        let bytes = try Data(contentsOf: file)
        var damaged = bytes
        let indexStart = bytes.withUnsafeBytes { raw in Int(raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self)) }
        func put(_ value: Int, at offset: Int) {
            withUnsafeBytes(of: UInt64(value).littleEndian) { damaged.replaceSubrange(offset..<(offset + 8), with: $0) }
        }
        func start(_ k: Int) -> Int { bytes.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: indexStart + 8 * k, as: UInt64.self)) } }
        #expect(bytes.count == indexStart + 8 * ((2000 + 299) / 300) + 8)
        switch damage {
        case "start + 1": put(start(3) + 1, at: indexStart + 8 * 3)
        case "swapped": put(start(4), at: indexStart + 8 * 3); put(start(3), at: indexStart + 8 * 4)
        case "index - 8": put(indexStart - 8, at: bytes.count - 8)
        case "count":
            // Two billion parcels in runs of 300 million: still 7 runs, as the index holds.
            // The CRS identifier's length is a one-byte varint (under 128 bytes).
            let crsLength = Int(bytes[bytes.startIndex + 40])
            #expect(crsLength < 128)
            put(Int(Int32.max), at: 41 + crsLength)
            put(Int(Int32.max) / 7 + 1, at: 49 + crsLength)
        default: damaged = bytes.prefix(bytes.count - 12) + bytes.suffix(4)
        }
        #expect(damaged != bytes)
        try damaged.write(to: file)
        #expect(try PlannerInput.load(path: sample, cache: cache).parcels == fresh.parcels)
        #expect(try Data(contentsOf: file) == bytes, "rewritten")
    }

    @Test func anUnwritableCacheIsNoCache() throws {
        let blocker = try scratch().appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: blocker)
        let cache = ParcelCache(directory: blocker.appendingPathComponent("landtrack"))
        let a = try PlannerInput.load(path: sample, cache: cache)
        #expect(a.parcels.count == 2000)
    }

    /// A ring through `Writer.ring` and `Reader.ring`: its form byte, and the positions read back.
    static func roundTrip(_ points: [Point]) -> (form: UInt8, read: [Point]?, bytes: Int, consumed: Bool) {
        var out: [UInt8] = []
        ParcelCache.Writer.ring(points, &out)
        return out.withUnsafeBytes { raw in
            var r = ParcelCache.Reader(raw: raw)
            let read = r.ring(points.count)
            return (out[0], read, out.count, r.atEnd)
        }
    }

    static func bits(_ points: [Point]) -> [UInt64] { points.flatMap { [$0.x.bitPattern, $0.y.bitPattern] } }

    /// Rings come back to the bit: as decimal integers when every coordinate is one exactly at
    /// some scale up to 10^9, else as Float64 pairs (a third, -0.0, more than nine decimals,
    /// beyond Float64's integers).
    @Test(arguments: [
        ("seven decimals", ["112.9982009", "22.9211035", "112.9981996", "22.9212209", "112.998163", "22.9209638"], UInt8(7)),
        ("fewer decimals first", ["113.1", "23", "113.1234567", "23.0000001", "113.1", "23"], 7),
        ("west and south", ["-70.1234567", "-33.4567891", "-70.1234", "-33.45", "-70", "-33"], 7),
        ("nine decimals", ["113.123456789", "23.987654321", "113.123456788", "23.987654322"], 9),
        ("whole numbers", ["500000", "2500000", "500010", "2500000", "500010", "2500010"], 0),
        ("whole numbers past 2^51", ["3000000000000000", "1", "3000000000000001", "2", "3000000000000002", "1"], 0),
        ("ten decimals", ["113.1234567891", "23.1", "113.2", "23.2"], 0xFF),
        ("a third", ["\(1.0 / 3)", "23.1", "113.2", "23.2"], 0xFF),
        ("negative zero", ["-0.0", "0.5", "1", "0.5"], 0xFF),
        ("beyond the integers", ["9007199254740993", "1", "2", "3"], 0xFF),
    ] as [(String, [String], UInt8)])
    func ringsComeBackToTheBit(_ name: String, _ texts: [String], _ form: UInt8) throws {
        let values = texts.map { Double($0)! }
        var points = try stride(from: 0, to: values.count, by: 2).map { try Point(x: values[$0], y: values[$0 + 1]) }
        points.append(points[0])
        let trip = Self.roundTrip(points)
        #expect(trip.form == form, "\(name)")
        #expect(trip.read.map(Self.bits) == Self.bits(points), "\(name)")
        #expect(trip.consumed)
    }

    /// Random rings of decimals with 0 to 9 places, and some of arbitrary Float64 values, spread
    /// over the globe or walking in steps of up to 1e-3° as a parcel's outline does: every
    /// position back to the bit; a parcel-like outline of up to seven places in under 40 % of
    /// the Float64 pairs' bytes.
    @Test func randomRingsComeBackToTheBit() async {
        await checkProperty(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let places = Int.random(in: 0...10, using: &rng)
            let n = Int.random(in: 3...300, using: &rng)
            let walking = Bool.random(using: &rng)
            // "-0" read as -0.0 goes as Float64 (a case of its own above): + 0 makes it +0.0.
            func decimal(_ v: Double) -> Double { places == 10 ? v : Double(String(format: "%.\(places)f", v))! + 0 }
            var (x, y) = (Double.random(in: -180...180, using: &rng), Double.random(in: -90...90, using: &rng))
            var points: [Point] = []
            for _ in 0..<n {
                if walking {
                    (x, y) = (x + Double.random(in: -1e-3...1e-3, using: &rng), y + Double.random(in: -1e-3...1e-3, using: &rng))
                } else {
                    (x, y) = (Double.random(in: -180...180, using: &rng), Double.random(in: -90...90, using: &rng))
                }
                points.append(try Point(x: decimal(x), y: decimal(y)))
            }
            points.append(points[0])
            let trip = Self.roundTrip(points)
            #expect(trip.read.map(Self.bits) == Self.bits(points), "\(places) places")
            #expect(trip.consumed)
            if places <= 7 { #expect(trip.form <= 7, "\(places) places") }
            if places <= 7 && walking { #expect(trip.bytes * 10 < 16 * points.count * 4 + 160, "\(places) places, \(trip.bytes) bytes") }
        }
    }

    /// A parcel whose count of polygons (or of a polygon's rings) is more than the bytes left
    /// could hold is no parcel, and no room is asked for that many.
    @Test(arguments: [[Int(Int32.max)], [1, Int(Int32.max)]]) func aCountLargerThanTheBytesLeftIsNoParcel(counts: [Int]) {
        var bytes: [UInt8] = []
        var run = ParcelCache.Writer.Run()
        run.id("NH-1", &bytes)
        bytes += [0, 1]
        run.text(nil, &bytes)
        run.text(nil, &bytes)
        ParcelCache.Writer.double(1, &bytes)
        ParcelCache.Writer.share(0, &bytes)
        run.text(nil, &bytes)
        for c in counts { ParcelCache.Writer.count(c, &bytes) }
        bytes += Array(repeating: 0, count: 16)
        bytes.withUnsafeBytes { raw in
            var r = ParcelCache.Reader(raw: raw)
            #expect(r.parcel() == nil)
        }
    }

    /// A run's attributes come back as written, whatever the ids share (also a part of a
    /// character: ids are cut by bytes), whatever texts repeat or are absent (byte for byte: two
    /// spellings of é are two texts), whatever the share
    /// (+0.0 in a byte, -0.0 and the rest as Float64): encoded by one `Writer.Run`, decoded by one
    /// `Reader`, parcel after parcel; a text referred to before it was written is no parcel.
    @Test func attributesComeBackAsWritten() async {
        await checkProperty(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let stems = ["NH-00", "NH-01", "村", "杜", "", "長い"], texts = ["竹冈村", "0101", "0601", "", "x", "\u{E9}", "e\u{301}"]
            let shares: [Double] = [0, -0.0, 0.05, 1e-300, .leastNonzeroMagnitude]
            let rows = (0..<Int.random(in: 1...40, using: &rng)).map { _ -> (String, ParcelState, Bool, String?, String?, Double, Double, String?) in
                func text() -> String? { Bool.random(using: &rng) ? nil : texts.randomElement(using: &rng)! }
                return (stems.randomElement(using: &rng)! + String(Int.random(in: 0...120, using: &rng)), ParcelState.allCases.randomElement(using: &rng)!,
                        Bool.random(using: &rng), text(), text(), Double.random(in: 0...1e6, using: &rng), shares.randomElement(using: &rng)!, text())
            }
            var bytes: [UInt8] = []
            var run = ParcelCache.Writer.Run()
            for row in rows {
                run.id(row.0, &bytes)
                bytes += [UInt8(row.1.ordinal), row.2 ? 1 : 0]
                run.text(row.3, &bytes)
                run.text(row.4, &bytes)
                ParcelCache.Writer.double(row.5, &bytes)
                ParcelCache.Writer.share(row.6, &bytes)
                run.text(row.7, &bytes)
            }
            bytes.withUnsafeBytes { raw in
                var r = ParcelCache.Reader(raw: raw)
                for row in rows {
                    let got = r.attributes()
                    #expect(got?.id == row.0 && got?.state == row.1 && got?.basicFarmland == row.2)
                    // As bytes: é composed and decomposed are equal Strings, and two texts.
                    func utf8(_ s: String??) -> [UInt8]?? { s.map { $0.map { Array($0.utf8) } } }
                    #expect(utf8(got?.village) == utf8(row.3) && utf8(got?.landuse) == utf8(row.4) && utf8(got?.deductionCode) == utf8(row.7))
                    #expect(got?.area.bitPattern == row.5.bitPattern && got?.deductionRatio.bitPattern == row.6.bitPattern)
                }
                #expect(r.atEnd)
            }
        }
        // A reference to a third text in a run that has one (2 would be the next, written out
        // after it): no attributes.
        var bytes: [UInt8] = []
        var run = ParcelCache.Writer.Run()
        run.id("A", &bytes)
        bytes += [0, 0]
        run.text("v", &bytes)
        bytes += [3]
        ParcelCache.Writer.double(1, &bytes)
        bytes += [0, 0]
        bytes.withUnsafeBytes { raw in
            var r = ParcelCache.Reader(raw: raw)
            #expect(r.attributes() == nil)
        }
    }

    /// A varint cut short, or longer than ten bytes, is no ring.
    @Test func damagedVarintsAreNoRing() {
        for bytes: [UInt8] in [[7, 0x80], [7, 0x02, 0x80, 0x80], [7] + Array(repeating: 0x80, count: 11) + [0x01, 0x02]] {
            bytes.withUnsafeBytes { raw in
                var r = ParcelCache.Reader(raw: raw)
                #expect(r.ring(1) == nil, "\(bytes)")
            }
        }
    }
}
