import Foundation
import Testing
import Geometry
@testable import Parcels
import TestSupport

/// A one-feature FeatureCollection around Nanhai with the given geometry and properties.

/// One bad input and the problem code the reader must report for it.
struct BadParcelCase: Sendable, CustomTestStringConvertible {
    let name: String
    let document: String
    let code: String
    /// Words the message must contain.
    let words: String
    var testDescription: String { name }
}

let badParcelCases: [BadParcelCase] = [
    .init(name: "Point geometry", document: parcelDocument(geometry: #"{"type":"Point","coordinates":[113.1,23.05]}"#),
          code: "not-polygonal", words: "Point"),
    .init(name: "LineString geometry", document: parcelDocument(geometry: #"{"type":"LineString","coordinates":[[113.1,23.05],[113.2,23.05]]}"#),
          code: "not-polygonal", words: "LineString"),
    .init(name: "null geometry", document: parcelDocument(geometry: "null"), code: "null-geometry", words: "null"),
    .init(name: "empty polygon", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[]}"#),
          code: "empty-geometry", words: "empty"),
    .init(name: "unclosed ring", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[113.1,23.05],[113.101,23.05],[113.101,23.051],[113.1,23.051]]]}"#),
          code: "ring-not-closed", words: "not closed"),
    .init(name: "too-short ring", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[113.1,23.05],[113.101,23.05],[113.1,23.05]]]}"#),
          code: "ring-too-short", words: "at least 4"),
    .init(name: "self-intersection", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[113.1,23.05],[113.101,23.051],[113.101,23.05],[113.1,23.051],[113.1,23.05]]]}"#),
          code: "self-intersection", words: "crosses"),
    .init(name: "hole outside shell", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[\#(nanhaiSquare),[[113.2,23.2],[113.2,23.201],[113.201,23.201],[113.2,23.2]]]}"#),
          code: "hole-outside-shell", words: "outside"),
    .init(name: "overlapping multipolygon parts", document: parcelDocument(geometry: #"{"type":"MultiPolygon","coordinates":[[\#(nanhaiSquare)],[[[113.1005,23.0505],[113.1015,23.0505],[113.1015,23.0515],[113.1005,23.0515],[113.1005,23.0505]]]]}"#),
          code: "self-intersection", words: "parts overlap"),
    .init(name: "part inside another part", document: parcelDocument(geometry: #"{"type":"MultiPolygon","coordinates":[[\#(nanhaiSquare)],[[[113.1002,23.0502],[113.1004,23.0502],[113.1004,23.0504],[113.1002,23.0504],[113.1002,23.0502]]]]}"#),
          code: "overlapping-parts", words: "inside another"),
    .init(name: "zero-area ring", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[113.1,23.05],[113.101,23.05],[113.102,23.05],[113.1,23.05]]]}"#),
          code: "zero-area-ring", words: "zero area"),
    .init(name: "NaN coordinate", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[113.1,23.05],[NaN,23.05],[113.101,23.051],[113.1,23.05]]]}"#),
          code: "non-finite-coordinate", words: "not a finite"),
    .init(name: "huge coordinate", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[113.1,23.05],[1e400,23.05],[113.101,23.051],[113.1,23.05]]]}"#),
          code: "non-finite-coordinate", words: "inf"),
    .init(name: "string coordinate", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[113.1,23.05],["113.101",23.05],[113.101,23.051],[113.1,23.05]]]}"#),
          code: "bad-position", words: "must be a number"),
    .init(name: "out-of-range longitude", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[113.1,23.05],[213.1,23.05],[113.101,23.051],[113.1,23.05]]]}"#),
          code: "coordinate-out-of-range", words: "out of range"),
    .init(name: "latitude/longitude swapped", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[[[23.05,113.1],[23.05,113.101],[23.051,113.101],[23.05,113.1]]]}"#),
          code: "coordinate-out-of-range", words: "look swapped"),
    .init(name: "unknown state", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}"#, properties: #"{"id":"NH-1","state":"paddy"}"#),
          code: "unknown-state", words: "\"paddy\" is not one of"),
    .init(name: "state of the wrong type", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}"#, properties: #"{"id":"NH-1","state":3}"#),
          code: "unknown-state", words: "a number"),
    .init(name: "unreadable PBF flag", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}"#, properties: #"{"id":"NH-1","basic_farmland":"maybe"}"#),
          code: "bad-pbf-flag", words: "true/false"),
    .init(name: "id of the wrong type", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}"#, properties: #"{"id":{"a":1}}"#),
          code: "bad-id", words: "an object"),
    .init(name: "duplicate member", document: parcelDocument(geometry: #"{"type":"Polygon","type":"Point","coordinates":[\#(nanhaiSquare)]}"#),
          code: "duplicate-member", words: "twice"),
    .init(name: "properties not an object", document: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}"#, properties: "[1]"),
          code: "bad-properties", words: "an array"),
    .init(name: "unknown geometry type", document: parcelDocument(geometry: #"{"type":"polygon","coordinates":[\#(nanhaiSquare)]}"#),
          code: "unknown-type", words: "case-sensitive"),
]

@Suite("Parcel reader")
struct ParcelReaderTests {
    /// The options' text (the parcel cache's key, an import's fingerprint) changes with every
    /// member of the options and of `ParcelFields`: a member added to either without a place in
    /// `identityText` fails the first two expectations.
    @Test func theReadOptionsTextNamesEveryMember() {
        #expect(Set(Mirror(reflecting: ParcelReadOptions()).children.compactMap(\.label))
                == ["fields", "crs", "axisOrder", "repairInvalid", "landuse", "defaultState", "requireState"])
        #expect(Set(Mirror(reflecting: ParcelFields()).children.compactMap(\.label))
                == ["id", "state", "basicFarmland", "village", "landuseCode", "officialArea", "deductionRatio", "deductionArea",
                    "deductionCode", "netArea"])
        let changes: [(String, (inout ParcelReadOptions) -> Void)] = [
            ("id", { $0.fields.id = "BSM" }), ("state", { $0.fields.state = "s" }), ("basicFarmland", { $0.fields.basicFarmland = "pbf" }),
            ("village", { $0.fields.village = "ZLDWMC" }), ("landuseCode", { $0.fields.landuseCode = "DLBM" }),
            ("officialArea", { $0.fields.officialArea = "TBMJ" }), ("deductionRatio", { $0.fields.deductionRatio = nil }),
            ("deductionArea", { $0.fields.deductionArea = "KCMJ" }), ("deductionCode", { $0.fields.deductionCode = "KCDLBM" }),
            ("netArea", { $0.fields.netArea = "TBDLMJ" }), ("crs", { $0.crs = .cgcs2000 }), ("axisOrder", { $0.axisOrder = .northEast }),
            ("repairInvalid", { $0.repairInvalid = true }), ("landuse", { $0.landuse = LanduseMapping(table: ["0101": .farmland]) }),
            ("defaultState", { $0.defaultState = .other }), ("requireState", { $0.requireState = true }),
        ]
        var texts = [ParcelReadOptions().identityText]
        for (name, change) in changes {
            var options = ParcelReadOptions()
            change(&options)
            #expect(!texts.contains(options.identityText), "\(name) does not change the text")
            texts.append(options.identityText)
        }
        // The reading version is part of it: a landtrack that reads otherwise matches nothing older.
        #expect(ParcelReadOptions().identityText.hasPrefix("reading=\(ParcelReadOptions.readingVersion) "))
        // Not Swift's Dictionary order (seeded per process): the land-use table is sorted.
        #expect(ParcelReadOptions().identityText.contains("landuse[0101=farmland,0102=farmland,0103=farmland,03=eco_restored"))
    }

    /// Every kind of bad input gets its own problem, naming the feature, and nothing else is lost.
    @Test(arguments: badParcelCases)
    func badInputIsReportedPrecisely(entry: BadParcelCase) throws {
        // The bad feature sits between two good ones.
        let good = #"{"type":"Feature","properties":{"id":"OK-%d","state":"farmland"},"geometry":{"type":"Polygon","coordinates":[[[113.2,23.1],[113.201,23.1],[113.201,23.101],[113.2,23.1]]]}}"#
        let bad = try #require(entry.document.range(of: #"{"type":"Feature""#)).lowerBound
        let feature = String(entry.document[bad...].dropLast(2))
        let document = #"{"type":"FeatureCollection","features":["# + String(format: good, 1) + "," + feature + "," + String(format: good, 3) + "]}"
        let (_, parcels, problems) = try ParcelReader().readAll(InputBytes(text: document))
        #expect(parcels.map(\.id) == ["OK-1", "OK-3"])
        #expect(problems.count >= 1)
        let p = try #require(problems.first)
        #expect(p.code.rawValue == entry.code, "\(p)")
        #expect(p.featureIndex == 2)
        #expect(p.description.contains(entry.words), "\(p)")
        #expect(p.description.contains("feature 2"))
    }

    @Test func duplicateIdsAreReportedWithTheFirstUse() throws {
        let f = #"{"type":"Feature","properties":{"id":"NH-7"},"geometry":{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}}"#
        let (_, parcels, problems) = try ParcelReader().readAll(InputBytes(text: #"{"type":"FeatureCollection","features":[\#(f),\#(f)]}"#))
        #expect(parcels.count == 1)
        #expect(problems.map(\.code.rawValue) == ["duplicate-id"])
        #expect(problems[0].message.contains("feature 1"))
    }

    /// The planner's read drops the properties on the parsing threads: the same parcels otherwise.
    @Test func aReadThatKeepsNoPropertiesGivesTheSameParcelsWithoutThem() throws {
        let path = SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path
        let options = ParcelReadOptions(defaultState: .farmland)
        let kept = try ParcelReader(options: options).readAll(InputBytes(path: path))
        let dropped = try ParcelReader(options: options, properties: .none).readAll(InputBytes(path: path))
        #expect(kept.parcels.count > 100)
        #expect(kept.parcels.contains { $0.properties.jsonText != "{}" })
        #expect(dropped.parcels.allSatisfy { $0.properties.jsonText == "{}" })
        #expect(kept.parcels.map { p in var p = p; p.properties = ParcelProperties(); return p } == dropped.parcels)
        #expect(kept.problems == dropped.problems)
    }

    /// An import keeps the properties as the JSON text it writes: taken from the file where the
    /// file has it so (`JSONValue.compactText`), written again where not (spaces, escapes,
    /// numbers spelt otherwise); either way the text of the parsed members.
    @Test func keptPropertiesTextIsTheWrittenTextWhateverTheFileSpelling() throws {
        let spellings = [
            #"{"id":"NH-1","state":"farmland","area":1234.56,"village":"竹冈村","n":[1,2.25,null]}"#,
            #"{ "id" : "NH-2", "state":"farmland", "area":1.5e3 }"#,
            #"{"id":"NH-3","state":"farmland","note":"caf\u00e9 \"A\"","area":1234.50,"z":-0}"#,
        ]
        let features = spellings.map { #"{"type":"Feature","properties":\#($0),"geometry":{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}}"# }
        let doc = #"{"type":"FeatureCollection","features":[\#(features.joined(separator: ","))]}"#
        let (_, parcels, problems) = try ParcelReader(properties: .jsonText).readAll(InputBytes(text: doc))
        #expect(problems.isEmpty)
        #expect(parcels.map(\.properties.jsonText) == (try spellings.map { try JSONValue.parse($0).jsonText }))
        #expect(parcels[0].properties.jsonText == spellings[0], "a compact text is kept as it is")
    }

    @Test func idComesFromTheFieldThenTheFeatureThenThePosition() throws {
        let g = #"{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}"#
        let text = #"{"type":"FeatureCollection","features":[{"type":"Feature","id":9,"properties":{"BSM":"4406-001"},"geometry":\#(g)},{"type":"Feature","id":106806035,"properties":{},"geometry":\#(g)},{"type":"Feature","properties":null,"geometry":\#(g)}]}"#
        let options = ParcelReadOptions(fields: ParcelFields(id: "BSM"))
        let (_, parcels, problems) = try ParcelReader(options: options).readAll(InputBytes(text: text))
        #expect(problems.isEmpty)
        #expect(parcels.map(\.id) == ["4406-001", "106806035", "3"])
    }

    @Test func attributesAreTyped() throws {
        let g = #"{"type":"Polygon","coordinates":[\#(nanhaiSquare)]}"#
        let doc = parcelDocument(geometry: g, properties: #"{"id":"NH-1","state":"撂荒地","basic_farmland":"是","village":"大岗村","landuse_code":101,"note":{"x":[1,2]}}"#)
        let (_, parcels, problems) = try ParcelReader().readAll(InputBytes(text: doc))
        #expect(problems.isEmpty)
        let p = try #require(parcels.first)
        #expect(p.state == .wasteland)
        #expect(p.basicFarmland == true)
        #expect(p.village == "大岗村")
        #expect(p.landuseCode == "0101")
        #expect(try p.properties.object(owner: p.id)["note"] == .object(JSONObject([("x", .array([.number(1), .number(2)]))])))
    }

    @Test(arguments: ParcelState.allCases)
    func statesReadByNameAndChineseName(state: ParcelState) {
        #expect(ParcelState(parsing: state.rawValue) == state)
        #expect(ParcelState(parsing: state.rawValue.uppercased()) == state)
        #expect(ParcelState(parsing: state.chineseName) == state)
        #expect(ParcelState(parsing: "no such state") == nil)
    }

    /// A state's ordinal (what per-parcel tallies index by) is its position among all states.
    @Test func ordinalsArePositionsInAllCases() {
        #expect(ParcelState.allCases.map(\.ordinal) == Array(ParcelState.allCases.indices))
    }

    @Test func clockwiseExteriorsAreAccepted() throws {
        let cw = "[[113.1,23.05],[113.1,23.051],[113.101,23.051],[113.101,23.05],[113.1,23.05]]"
        let (_, parcels, problems) = try ParcelReader().readAll(InputBytes(text: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[\#(cw)]}"#)))
        #expect(problems.isEmpty)
        #expect(parcels.count == 1)
    }

    /// A file in EPSG:4490 written latitude first, and one in Gauss-Krüger zone 38 with prefixed
    /// eastings under the plain zone's code: both come out as the same lon/lat parcel.
    @Test func legacyCRSMembersAreHonoured() throws {
        let latlon = "[[23.05,113.1],[23.05,113.101],[23.051,113.101],[23.051,113.1],[23.05,113.1]]"
        let r1 = try ParcelReader().readAll(InputBytes(text: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[\#(latlon)]}"#, crs: "EPSG:4490")))
        #expect(r1.problems.isEmpty)
        #expect(r1.info.axisOrder == .northEast)
        #expect(r1.info.geographicCRS.ellipsoid == .cgcs2000)
        #expect(r1.parcels[0].polygons[0].exterior.points[0] == (try Point(x: 113.1, y: 23.05)))

        let toPlane = try CoordinateTransform(from: .cgcs2000, to: try .resolve("EPSG:4526"))
        let plane = try toPlane.transform(r1.parcels[0].polygons[0].exterior.points)
        let ring = "[" + plane.map { "[\($0.x),\($0.y)]" }.joined(separator: ",") + "]"
        let r2 = try ParcelReader().readAll(InputBytes(text: parcelDocument(geometry: #"{"type":"Polygon","coordinates":[\#(ring)]}"#, crs: "urn:ogc:def:crs:EPSG::4547")))
        #expect(r2.problems.isEmpty)
        #expect(r2.info.declaredCRS.identifier == "EPSG:4547")
        #expect(r2.info.effectiveCRS.identifier == "EPSG:4526")
        for (a, b) in zip(r2.parcels[0].polygons[0].exterior.points, r1.parcels[0].polygons[0].exterior.points) {
            #expect(abs(a.x - b.x) < 1e-9 && abs(a.y - b.y) < 1e-9)
        }
    }

    @Test func anUnknownCRSStopsTheReadWithAReason() {
        do {
            _ = try ParcelReader().readAll(InputBytes(text: parcelDocument(geometry: "null", crs: "EPSG:999999")))
            Issue.record("read")
        } catch {
            #expect(error.description.contains("EPSG:999999"))
        }
    }

    /// The shipped sample is clean, and its problem file has exactly the problems it documents.
    @Test func sampleFilesInGeodata() throws {
        let root = SharedData.repositoryRoot.appendingPathComponent("geodata")
        let sample = try ParcelReader().readAll(InputBytes(path: root.appendingPathComponent("nanhai-sample.geojson").path))
        #expect(sample.problems.isEmpty)
        #expect(sample.parcels.count == 2000)
        let problems = try ParcelReader().readAll(InputBytes(path: root.appendingPathComponent("problem-parcels.geojson").path))
        #expect(problems.parcels.map(\.id) == ["NH-P001", "NH-P012"])
        #expect(problems.problems.map(\.code.rawValue) == [
            "ring-not-closed", "self-intersection", "hole-outside-shell", "duplicate-id", "unknown-state",
            "coordinate-out-of-range", "not-polygonal", "null-geometry", "self-intersection", "zero-area-ring",
        ])
    }
}
