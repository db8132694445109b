import Foundation
import Testing
import Geometry
import Parcels
@testable import Planner
import TestSupport

@Suite("Parcel cache")
struct ParcelCacheTests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

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
        // Parcel 1,500's first x made NaN: the first pass (lengths only) goes through, the
        // thread decoding that run finds it.
        let offset = bytes.withUnsafeBytes { raw -> Int in
            var r = ParcelCache.Reader(raw: raw)
            _ = r.bytes(8 + 32)
            _ = r.string()
            _ = r.int()
            for _ in 0..<1500 { _ = r.skipParcel() }
            _ = r.string(); _ = r.byte(); _ = r.byte(); _ = r.optionalString(); _ = r.optionalString()
            _ = r.double(); _ = r.double(); _ = r.optionalString()
            _ = r.int(); _ = r.int(); _ = r.int()   // polygons, rings, points
            return r.offset
        }
        withUnsafeBytes(of: Double.nan.bitPattern.littleEndian) { bytes.replaceSubrange(offset..<(offset + 8), with: $0) }
        try bytes.write(to: file)
        #expect(try PlannerInput.load(path: sample, cache: cache).parcels == fresh.parcels)
        #expect(try Data(contentsOf: file) == written, "rewritten")
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

    @Test func anUnwritableCacheIsNoCache() throws {
        let blocker = try scratch().appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: blocker)
        let cache = ParcelCache(directory: blocker.appendingPathComponent("landtrack"))
        let a = try PlannerInput.load(path: sample, cache: cache)
        #expect(a.parcels.count == 2000)
    }
}
