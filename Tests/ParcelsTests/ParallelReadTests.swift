import Foundation
import Testing
import Geometry
@testable import Parcels
import TestSupport

/// A GeoJSON file read on several threads gives what one thread gives: the same parcels and
/// problems in the same order, the same error where the file stops being JSON, the same file
/// facts. Runs are cut tiny here (a few bytes to a few KB) so that every kind of feature meets a
/// cut: duplicates in other runs, syntax errors, strings full of brackets and commas.
@Suite("Parallel read")
struct ParallelReadTests {
    enum Seen: Equatable {
        case start(CoordinateReferenceSystem)
        case parcel(Parcel)
        case problem(Diagnostic)
        case info(crs: CoordinateReferenceSystem, effective: CoordinateReferenceSystem, axis: AxisOrder?, features: Int)
        case failed(LandtrackError)
    }

    static let ways: [ReadParallelism] = [
        ReadParallelism(threads: 2, runBytes: 1), ReadParallelism(threads: 2, runBytes: 97),
        ReadParallelism(threads: 3, runBytes: 4096), ReadParallelism(threads: 2, runBytes: 1 << 20),
    ]

    func seen(_ input: InputBytes, _ parallelism: ReadParallelism, options: ParcelReadOptions = ParcelReadOptions(defaultState: .farmland)) -> [Seen] {
        var out: [Seen] = []
        let reader = ParcelReader(options: options, parallelism: parallelism)
        do {
            let info = try reader.read(input, start: { out.append(.start($0)) }, parcel: { out.append(.parcel($0)) },
                                       problem: { out.append(.problem($0)) })
            out.append(.info(crs: info.declaredCRS, effective: info.effectiveCRS, axis: info.axisOrder, features: info.featureCount))
        } catch {
            out.append(.failed(error))
        }
        return out
    }

    func expectSameEveryWay(_ input: InputBytes, options: ParcelReadOptions = ParcelReadOptions(defaultState: .farmland),
                            sourceLocation: SourceLocation = #_sourceLocation) -> [Seen] {
        let one = seen(input, .oneThread, options: options)
        for way in Self.ways {
            let many = seen(input, way, options: options)
            #expect(many.count == one.count, "threads \(way.threads), runs of \(way.runBytes) bytes", sourceLocation: sourceLocation)
            if let k = zip(one, many).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                Issue.record("threads \(way.threads), runs of \(way.runBytes) bytes: item \(k) differs: \(one[k]) vs \(many[k])",
                             sourceLocation: sourceLocation)
            }
        }
        return one
    }

    @Test(arguments: ["geodata/nanhai-sample.geojson", "geodata/problem-parcels.geojson", "geodata/nanhai-sample-gk38.geojson"])
    func theSampleFilesReadAlikeOnEveryThreadCount(path: String) throws {
        let input = try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent(path).path)
        let one = expectSameEveryWay(input)
        #expect(one.count > 10)
    }

    /// A document of features written as given, each a JSON text.
    func collection(_ features: [String], crs: String? = nil) -> InputBytes {
        let crsMember = crs.map { #""crs": {"type": "name", "properties": {"name": "\#($0)"}}, "# } ?? ""
        return InputBytes(text: #"{"type": "FeatureCollection", \#(crsMember)"features": [\#n"# + features.joined(separator: ",\n") + "\n]}")
    }

    func square(_ id: String, _ x: Double, _ y: Double, name: String = "field", latitudeFirst: Bool = false) -> String {
        let ring = [(x, y), (x + 0.001, y), (x + 0.001, y + 0.001), (x, y + 0.001), (x, y)]
            .map { latitudeFirst ? "[\($0.1), \($0.0)]" : "[\($0.0), \($0.1)]" }.joined(separator: ", ")
        return #"{"type": "Feature", "properties": {"id": "\#(id)", "name": "\#(name)"}, "geometry": {"type": "Polygon", "coordinates": [[\#(ring)]]}}"#
    }

    @Test func duplicatesAreFoundWhereverTheRunsAreCut() {
        var features: [String] = []
        for i in 0..<60 { features.append(square("p\(i % 23)", 113 + Double(i) * 0.002, 23)) }
        let one = expectSameEveryWay(collection(features))
        let duplicates = one.filter { if case let .problem(d) = $0 { d.code == .duplicateId } else { false } }
        #expect(duplicates.count == 60 - 23)
    }

    @Test func stringsFullOfBracketsCommasAndQuotesDoNotMoveTheCuts() {
        let names = [#"a,b"#, #"]},{"#, #"\"],[{"#, #"\\"#, #"\\\"},"#, "{[", "逗号，"]
        let features = (0..<40).map { square("s\($0)", 113 + Double($0) * 0.002, 23, name: names[$0 % names.count]) }
        let one = expectSameEveryWay(collection(features))
        let parcels = one.compactMap { if case let .parcel(p) = $0 { p } else { nil } }
        #expect(parcels.count == 40)
        #expect(parcels[1].properties.jsonText.contains(#""]},{""#))
    }

    @Test(arguments: [
        #"{"type": "Feature", "properties": {"id": "bad" "x"}, "geometry": null}"#,   // a missing comma
        #"{"type": "Feature", "properties": {"id": 1e}, "geometry": null}"#,           // a broken number
        #"{"type": "Feature", "properties": {"id": "x"}, "geometry": null} garbage"#,  // text after a feature
        #"{"type": "Feature", "properties": {"id": "x"}, "geometry": null},"#,         // an empty element
    ])
    func aSyntaxErrorStopsTheReadWhereOneThreadStops(broken: String) {
        var features = (0..<30).map { square("q\($0)", 113 + Double($0) * 0.002, 23) }
        features.insert(broken, at: 17)
        let one = expectSameEveryWay(collection(features))
        guard case let .failed(error)? = one.last, case .json = error else {
            Issue.record("expected a JSON syntax error, got \(String(describing: one.last))")
            return
        }
        // The features before the broken one were delivered.
        #expect(one.filter { if case .parcel = $0 { true } else { false } }.count == 17)
    }

    @Test func elementsThatAreNotFeaturesAreProblemsInPlace() {
        var features = (0..<20).map { square("e\($0)", 113 + Double($0) * 0.002, 23) }
        features.insert("42", at: 3)
        features.insert(#"{"type": "Feature", "properties": {"id": "no-geometry"}}"#, at: 9)
        features.insert(#"{"type": "Feature", "properties": {"id": "e5"}, "geometry": {"type": "Point", "coordinates": [113, 23]}}"#, at: 12)
        let one = expectSameEveryWay(collection(features))
        let codes = one.compactMap { if case let .problem(d) = $0 { d.code } else { nil } }
        #expect(codes == [.badFeature, .missingGeometry, .duplicateId, .notPolygonal])
    }

    /// The axis order is decided by the first position: while no feature has one, the read stays
    /// on the calling thread, so a latitude-first file is read alike however it is cut.
    @Test func theAxisOrderIsDecidedBeforeTheThreadsStart() {
        var features = (0..<8).map { #"{"type": "Feature", "properties": {"id": "n\#($0)"}, "geometry": null}"# }
        features += (0..<40).map { square("l\($0)", 113 + Double($0) * 0.002, 23, latitudeFirst: true) }
        // A longitude-first square after the decision is out of range, and says so.
        features.insert(square("swapped", 113.5, 23), at: 30)
        let one = expectSameEveryWay(collection(features, crs: "EPSG:4490"))
        guard case let .info(_, _, axis, count)? = one.last else { Issue.record("no info"); return }
        #expect(axis == .northEast)
        #expect(count == 49)
        let outOfRange = one.compactMap { if case let .problem(d) = $0, d.code == .coordinateOutOfRange { d.featureID } else { nil } }
        #expect(outOfRange == ["swapped"])
    }

    @Test func anEmptyCollectionAndALoneFeatureReadAlike() throws {
        _ = expectSameEveryWay(InputBytes(text: #"{"type": "FeatureCollection", "features": []}"#))
        let one = expectSameEveryWay(InputBytes(text: square("alone", 113, 23)))
        #expect(one.contains { if case .parcel = $0 { true } else { false } })
    }
}

/// The runs really are read on other threads, and their outputs come back in order.
@Suite("Feature runs")
struct FeatureRunTests {
    struct ThreadRecorder: FeatureWorker {
        struct Output: Sendable { var index: Int; var thread: UInt }
        func process(_ feature: Result<GeoJSONFeature, Diagnostic>) -> Output {
            // Slow enough that both threads surely take runs.
            usleep(200)
            return Output(index: (try? feature.get().index) ?? -1, thread: UInt(pthread_self()))
        }
        func fork() -> ThreadRecorder? { ThreadRecorder() }
    }

    @Test func runsAreReadOnTheirOwnThreadsAndDeliveredInOrder() throws {
        let features = (0..<500).map { #"{"type": "Feature", "properties": {"id": \#($0)}, "geometry": null}"# }
        let input = InputBytes(text: #"{"type": "FeatureCollection", "features": ["# + features.joined(separator: ",") + "]}")
        var outputs: [ThreadRecorder.Output] = []
        try GeoJSONReader().read(input, parallelism: ReadParallelism(threads: 2, runBytes: 200), start: { _ in ThreadRecorder() }) {
            outputs.append($0)
        }
        #expect(outputs.map(\.index) == Array(1...500))
        // A worker that forks at once: every run on one of the two threads, none on the caller's.
        let threads = Set(outputs.map(\.thread))
        #expect(threads.count == 2)
        #expect(!threads.contains(UInt(pthread_self())))
    }
}
