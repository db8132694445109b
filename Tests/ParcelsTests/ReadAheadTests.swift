import Foundation
import Testing
import Geometry
@testable import Parcels
import TestSupport

/// Reading on a thread of its own gives what reading in place gives, in the same order, and a
/// caller that stops (the store refused a parcel) stops the reading thread.
@Suite("Read ahead")
struct ReadAheadTests {
    enum Seen: Equatable {
        case start(CoordinateReferenceSystem)
        case parcel(Parcel)
        case problem(Diagnostic)
    }

    func seen(_ path: String, ahead: Bool, stopAt: Int? = nil) throws(LandtrackError) -> [Seen] {
        var out: [Seen] = []
        let reader = ParcelReader(options: ParcelReadOptions(defaultState: .farmland))
        let input = try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent(path).path)
        let start = { (crs: CoordinateReferenceSystem) throws(LandtrackError) in out.append(.start(crs)) }
        let parcel = { (p: Parcel) throws(LandtrackError) in
            out.append(.parcel(p))
            if let stopAt, out.count >= stopAt { throw LandtrackError.invalidArgument("stopped at \(stopAt)") }
        }
        let problem = { (d: Diagnostic) throws(LandtrackError) in out.append(.problem(d)) }
        _ = ahead ? try reader.readAhead(input, start: start, parcel: parcel, problem: problem)
                  : try reader.read(input, start: start, parcel: parcel, problem: problem)
        return out
    }

    @Test(arguments: ["geodata/nanhai-sample.geojson", "geodata/problem-parcels.geojson", "geodata/nanhai-sample-gk38.geojson"])
    func theSameParcelsAndProblemsInTheSameOrder(path: String) throws {
        let inPlace = try seen(path, ahead: false)
        #expect(inPlace.count > 10)
        #expect(try seen(path, ahead: true) == inPlace)
    }

    @Test func aCallerThatStopsStopsTheReading() throws {
        // 1,500 of the sample's 2,000 parcels: the reading thread is ahead and must be told.
        let error = #expect(throws: LandtrackError.self) { try seen("geodata/nanhai-sample.geojson", ahead: true, stopAt: 1500) }
        #expect(error == .invalidArgument("stopped at 1500"))
    }

    @Test func aFileThatCannotBeReadIsReportedAsInPlace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-readahead-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let bad = dir.appendingPathComponent("bad.geojson")
        try Data("{\"type\":\"FeatureCollection\",\"features\":[".utf8).write(to: bad)
        let reader = ParcelReader()
        func run(_ ahead: Bool) -> LandtrackError? {
            do {
                let input = try InputBytes(path: bad.path)
                _ = ahead ? try reader.readAhead(input, start: { _ in }, parcel: { _ in }, problem: { _ in })
                          : try reader.read(input, start: { _ in }, parcel: { _ in }, problem: { _ in })
                return nil
            } catch { return error }
        }
        let inPlace = run(false)
        #expect(inPlace != nil)
        #expect(run(true) == inPlace)
    }
}
