import Foundation
import PropertyBased
import Testing
import Geometry
@testable import Parcels
import TestSupport

@Suite("Area report")
struct AreaReportTests {
    let sample = SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path

    /// The JSON shape scripts depend on, read back by Foundation's JSON parser.
    @Test(arguments: AreaMethod.allCases)
    func jsonShapeAndTotals(method: AreaMethod) throws {
        let report = try AreaReport.measure(try InputBytes(path: sample), method: method)
        let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as! [String: Any]
        #expect(json["method"] as? String == method.rawValue)
        #expect((json["ellipsoid"] as? String)?.isEmpty == false)
        let features = try #require(json["features"] as? [[String: Any]])
        #expect(features.count == 2000)
        #expect(features.allSatisfy { $0["id"] is String })
        let total = try #require(json["total"] as? [String: Any])
        let m2 = features.map { ($0["area_m2"] as! NSNumber).doubleValue }.reduce(0, +)
        // Rows are printed to 1e-4 m²: the sum of printed rows is within rounding of the total.
        #expect(abs(m2 - (total["area_m2"] as! NSNumber).doubleValue) < 2000 * 5e-5 + 1e-4)
        for f in features.prefix(50) {
            let a = (f["area_m2"] as! NSNumber).doubleValue
            #expect(abs((f["area_mu"] as! NSNumber).doubleValue - a * 3 / 2000) < 1e-6)
            #expect(abs((f["area_ha"] as! NSNumber).doubleValue - a / 10_000) < 1e-8)
        }
    }

    /// Through the whole pipeline (reader, CRS, engine), each parcel's geodesic area equals
    /// GeographicLib's reference for the real parcel sets.
    @Test(SharedData.required, arguments: SharedData.parcelSets)
    func geodesicAreasMatchTheReferences(set: String) throws {
        let reference = try SharedData.referenceAreas(set)
        let report = try AreaReport.measure(try InputBytes(path: SharedData.url("\(set)/parcels.geojson").path), method: .geodesic)
        #expect(report.rows.count == reference.count)
        for row in report.rows {
            let expected = try #require(reference[row.id])
            #expect(abs(row.area.squareMetres - expected) <= 0.01, "\(row.id)")
        }
        let total = try SharedData.summary(set)["total_geodesic_area_m2"] as! NSNumber
        #expect(abs(report.total.squareMetres - total.doubleValue) < 0.01)
    }

    /// The Gauss-Krüger copy of the first 40 sample parcels measures as the lon/lat originals,
    /// up to the 0.1 mm rounding of its coordinates and WGS 84 vs CGCS2000.
    @Test func aProjectedFileMeasuresLikeItsLonLatOriginal() throws {
        let gk = try AreaReport.measure(
            try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample-gk38.geojson").path),
            method: .geodesic)
        let original = try AreaReport.measure(try InputBytes(path: sample), method: .geodesic)
        #expect(gk.sourceCRS.hasPrefix("EPSG:4526"))
        #expect(gk.ellipsoid == "CGCS2000")
        for (a, b) in zip(gk.rows, original.rows.prefix(40)) {
            #expect(a.id == b.id)
            #expect(abs(a.area.squareMetres - b.area.squareMetres) < 0.01, "\(a.id)")
        }
    }

    /// Totals do not depend on the order of the features.
    @Test func totalDoesNotDependOnFeatureOrder() async throws {
        let text = try String(contentsOfFile: sample, encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let features = (json["features"] as! [Any]).prefix(200)
        let base = try AreaReport.measure(InputBytes(text: try Self.collection(Array(features))), method: .geodesic).total.squareMetres
        await checkProperty(count: 20, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let shuffled = features.shuffled(using: &rng)
            let total = try AreaReport.measure(InputBytes(text: try Self.collection(shuffled)), method: .geodesic).total.squareMetres
            #expect(abs(total - base) <= 1e-9 * base)
        }
    }

    static func collection(_ features: [Any]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "features": features])
        return String(decoding: data, as: UTF8.self)
    }

    @Test func aFileWithProblemsGetsNoAreas() throws {
        let path = SharedData.repositoryRoot.appendingPathComponent("geodata/problem-parcels.geojson").path
        do {
            _ = try AreaReport.measure(try InputBytes(path: path), method: .geodesic)
            Issue.record("measured a file with problems")
        } catch let LandtrackError.invalidInput(_, problems) {
            #expect(problems.count == 10)
        }
    }

    @Test func tableAndCSVNameTheMethodAndUnits() throws {
        let report = try AreaReport.measure(try InputBytes(path: sample), method: .survey)
        let table = report.table()
        #expect(table.contains("survey: 三调"))
        #expect(table.contains("area (m²)") && table.contains("area (mu)") && table.contains("area (ha)"))
        #expect(table.contains("total (2,000 parcels)"))
        let csv = report.csv().split(separator: "\n")
        #expect(csv.first == "id,area_m2,area_mu,area_ha,method")
        #expect(csv.count == 2002)
        #expect(csv.last?.hasPrefix("(total),") == true)
    }
}
