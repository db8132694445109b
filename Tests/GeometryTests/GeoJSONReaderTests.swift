import Foundation
import Testing
@testable import Geometry
import TestSupport

/// A geojsonhint document with its expected verdict.
struct HintCase: Sendable, CustomTestStringConvertible {
    let file: String
    let expected: String
    let note: String?
    var testDescription: String { file }

    static func all() -> [HintCase] {
        guard SharedData.isAvailable,
              let data = try? Data(contentsOf: SharedData.url("geojson-validity-geojsonhint/manifest.json")),
              let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return entries.map { HintCase(file: $0["file"] as! String, expected: $0["expected"] as! String, note: $0["note"] as? String) }
    }
}

/// Reads a whole document: nil when accepted, else the reason it was refused.
func refusal(_ input: InputBytes) -> String? {
    do {
        let (_, _, problems) = try GeoJSONReader().readAll(input)
        return problems.first.map(\.description)
    } catch {
        return error.description
    }
}

@Suite("GeoJSON reader")
struct GeoJSONReaderTests {
    /// The external geojsonhint suite: valid documents are accepted, invalid ones refused with a
    /// message (the three that RFC 7946 leaves open may go either way), and nothing crashes.
    @Test(SharedData.required, arguments: HintCase.all())
    func geojsonhintVerdicts(entry: HintCase) throws {
        let input = try InputBytes(path: SharedData.url("geojson-validity-geojsonhint/\(entry.file)").path)
        let reason = refusal(input)
        switch entry.expected {
        case "invalid" where entry.note == nil:
            #expect(reason != nil, "accepted an invalid document")
            #expect(reason.map { !$0.isEmpty } ?? true)
        case "invalid":
            break  // RFC 7946 leaves it open; reading it at all without crashing is the test
        default:
            #expect(reason == nil, "refused: \(reason ?? "")")
        }
    }

    /// A member name given twice makes a feature, its geometry or the root ambiguous: refused,
    /// naming the member, among the first names and past the eighth (where the names seen are
    /// no longer kept on the stack). Distinct names, even many, are read.
    @Test(arguments: [
        (#"{"type":"Feature","type":"Feature","properties":{},"geometry":null}"#, "\"type\""),
        (#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2],"coordinates":[1,2]}}"#, "\"coordinates\""),
        (#"{"type":"Feature","a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"c":10,"properties":{},"geometry":null}"#, "\"c\""),
        (#"{"type":"Feature","a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"i":10,"properties":{},"geometry":null}"#, "\"i\""),
        (#"{"type":"FeatureCollection","features":[],"type":"FeatureCollection"}"#, "\"type\""),
    ])
    func aMemberGivenTwiceIsRefused(text: String, member: String) {
        var codes: [DiagnosticCode] = []
        do {
            let (_, _, problems) = try GeoJSONReader().readAll(InputBytes(text: text))
            codes = problems.map(\.code)
        } catch let LandtrackError.invalidInput(_, problems) {
            codes = problems.map(\.code)
        } catch {
            Issue.record("refused otherwise: \(error)")
        }
        #expect(codes == [.duplicateMember], "member \(member)")
    }

    @Test func manyDistinctMembersAreRead() throws {
        let extra = (0..<20).map { "\"m\($0)\":\($0)" }.joined(separator: ",")
        let text = #"{"type":"Feature",\#(extra),"properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}"#
        let (_, features, problems) = try GeoJSONReader().readAll(InputBytes(text: text))
        #expect(problems.isEmpty && features.count == 1)
    }

    @Test func suiteIsPresentWhenSharedDataIs() {
        if SharedData.isAvailable { #expect(HintCase.all().count == 62) }
    }

    @Test(SharedData.required)
    func fiboaForeignMembersAndABareFeature() throws {
        let collection = try GeoJSONReader().readAll(InputBytes(path: SharedData.url("fiboa-examples/fiboa-example.json").path))
        #expect(collection.problems.isEmpty)
        #expect(collection.features.count == 2)
        #expect(collection.features.allSatisfy { $0.properties?["crop:name"] == .string("Ackerland") })
        let single = try GeoJSONReader().readAll(InputBytes(path: SharedData.url("fiboa-examples/fiboa-feature-minimal.json").path))
        #expect(single.header?.rootType == "Feature")
        let f = try #require(single.features.first)
        #expect(f.id == .string("12324"))
        // PROVENANCE.md: geographiclib gives 16,321.512 m² for this ring.
        let area = try GeodesicAreaEngine(ellipsoid: .wgs84).area(of: try #require(f.geometry?.polygons))
        #expect(abs(area - 16_321.512) < 0.001)
    }

    @Test func aCRSWrittenAfterTheFeaturesIsKnownBeforeTheFirstFeature() throws {
        let text = #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":null,"geometry":null}],"crs":{"type":"name","properties":{"name":"EPSG:4490"}}}"#
        var crsName: String?
        var sawCRSFirst = false
        try GeoJSONReader().read(InputBytes(text: text), header: { h throws(LandtrackError) in crsName = h.crsName }) { _ throws(LandtrackError) in
            sawCRSFirst = crsName != nil
        }
        #expect(crsName == "EPSG:4490")
        #expect(sawCRSFirst)
    }

    /// The header says how many features follow (the first pass counts them), whatever the
    /// spacing: an empty array, strings holding commas and brackets, a lone Feature.
    @Test(arguments: [0, 1, 2, 37]) func theHeaderCountsTheFeatures(count: Int) throws {
        let feature = #"{"type":"Feature","properties":{"name":"a,[b],{c}\",\""},"geometry":null}"#
        let text = #"{"type":"FeatureCollection","features":[ "# + Array(repeating: feature, count: count).joined(separator: " ,\n") + " ]}"
        var announced: Int?
        var seen = 0
        try GeoJSONReader().read(InputBytes(text: text), header: { h throws(LandtrackError) in announced = h.featureCount }) { f throws(LandtrackError) in
            #expect((try? f.get())?.properties?["name"]?.stringValue == "a,[b],{c}\",\"")
            seen += 1
        }
        #expect(seen == count && announced == count)
        var lone: Int?
        try GeoJSONReader().read(InputBytes(text: feature), header: { h throws(LandtrackError) in lone = h.featureCount }) { _ throws(LandtrackError) in }
        #expect(lone == 1)
    }

    @Test func zValuesAreDroppedAndBBoxChecked() throws {
        let text = #"{"type":"Feature","bbox":[0,0,1,1],"properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]]}}"#
        let r = try GeoJSONReader().readAll(InputBytes(text: text))
        #expect(r.problems.isEmpty)
        #expect(r.features[0].geometry == .polygon(try Polygon(rings: [[(0.0, 0.0), (1, 0), (1, 1), (0, 0)].map { try Point(x: $0.0, y: $0.1) }])))
        let bad = #"{"type":"Feature","bbox":[0,0,1],"properties":{},"geometry":null}"#
        #expect(refusal(InputBytes(text: bad))?.contains("bbox") == true)
    }

    /// A bad feature does not stop the others; its problem names it and says where.
    @Test func problemsNameTheFeatureAndReadingGoesOn() throws {
        let text = """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"id":"A"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
             {"type":"Feature","properties":{"id":"B"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}},
             {"type":"Feature","properties":{"id":"C"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],["x",1],[0,0]]]}},
             {"type":"Feature","properties":{"id":"D"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[NaN,1],[0,0]]]}},
             {"type":"Feature","properties":{"id":"E"},"geometry":{"type":"Polygon","coordinates":[[0,0],[1,0],[1,1],[0,0]]}},
             {"type":"Feature","properties":{"id":"F"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}
            ]}
            """
        let r = try GeoJSONReader().readAll(InputBytes(text: text))
        #expect(r.features.map { $0.properties?["id"] } == [.string("A"), .string("F")])
        #expect(r.problems.map(\.featureIndex) == [2, 3, 4, 5])
        #expect(r.problems.map(\.featureID) == ["B", "C", "D", "E"])
        #expect(r.problems[0].code.rawValue == "ring-not-closed")
        #expect(r.problems[1].location == "geometry.coordinates[0][2]")
        #expect(r.problems[2].code.rawValue == "non-finite-coordinate")
        #expect(r.problems[2].location?.contains("vertex 2") == true)
        #expect(r.problems[3].code.rawValue == "bad-nesting")
    }

    /// Positions written "[x,y]" (read by the plain path) and written any other way (spaces, a
    /// z, NaN, an error inside): the same geometries, problems and errors as the general path
    /// gives for the same positions with a space inside every one (which the plain path passes).
    @Test func plainPositionsReadAsSpacedOnes() throws {
        var rng = SplitMix(seed: 41)
        var rings: [String] = []
        for _ in 0..<200 {
            let n = Int.random(in: 3...9, using: &rng)
            // A convex ring (points around a centre in angle order): valid unless spoilt below.
            let (cx, cy) = (Double.random(in: 113...114, using: &rng), Double.random(in: 23...24, using: &rng))
            let angles = (0..<n).map { _ in Double.random(in: 0..<(2 * .pi), using: &rng) }.sorted()
            var points = angles.map { (String(format: "%.7f", cx + 0.001 * cos($0)), String(format: "%.7f", cy + 0.001 * sin($0))) }
            points.append(points[0])
            var written = points.map { "[\($0.0),\($0.1)]" }
            switch Int.random(in: 0...5, using: &rng) {
            case 0: written[1] = "[\(points[1].0),\(points[1].1),5]"
            case 1: written[1] = "[NaN,\(points[1].1)]"
            case 2: written[1] = "[-Infinity,\(points[1].1)]"
            case 3: written[1] = "[\(points[1].0),\"x\"]"
            case 4: written[1] = "[\(points[1].0)]"
            default: break
            }
            rings.append(written.joined(separator: ","))
        }
        func document(_ rings: [String]) -> String {
            let features = rings.enumerated().map { k, ring in
                #"{"type":"Feature","properties":{"id":"P\#(k)"},"geometry":{"type":"Polygon","coordinates":[[\#(ring)]]}}"#
            }
            return #"{"type":"FeatureCollection","features":[\#(features.joined(separator: ","))]}"#
        }
        let plain = try GeoJSONReader().readAll(InputBytes(text: document(rings)))
        let spaced = try GeoJSONReader().readAll(InputBytes(text: document(rings.map { $0.replacingOccurrences(of: "[", with: "[ ") })))
        #expect(plain.features.count > 50 && plain.problems.count > 50, "\(plain.features.count) features, problems \(Set(plain.problems.map(\.code.rawValue)))")
        #expect(plain.features.map(\.geometry) == spaced.features.map(\.geometry))
        #expect(plain.problems == spaced.problems)
        // A syntax error inside a number is the same error, at the same byte, on either path.
        let broken = document(["[113.1,23.],[113.2,23.1],[113.1,23.1],[113.1,23.]"])
        let spacedBroken = broken.replacingOccurrences(of: "[113.1,23.]", with: "[113.1, 23.]")
        for text in [broken, spacedBroken] {
            #expect(refusal(InputBytes(text: text))?.contains("a number needs digits after '.'") == true, "\(text)")
        }
    }

    @Test(arguments: [
        ("not JSON at all", "not valid JSON"),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature""#, "truncated"),
        (#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":null}"#, "truncated"),
        ("", "empty"),
    ])
    func unreadableDocumentsThrowSyntaxErrors(text: String, words: String) {
        do {
            _ = try GeoJSONReader().readAll(InputBytes(text: text))
            Issue.record("read \(text)")
        } catch {
            guard case .json = error else {
                Issue.record("expected a JSON syntax error, got \(error)")
                return
            }
            #expect(error.description.contains(words), "\(error)")
        }
    }

    @Test func deeplyNestedCoordinatesAreRefused() throws {
        let deep = String(repeating: "[", count: 20) + "0,0" + String(repeating: "]", count: 20)
        let text = #"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":\#(deep)}}"#
        let r = try GeoJSONReader().readAll(InputBytes(text: text))
        #expect(r.problems.first?.code.rawValue == "too-deep")
    }
}
