import Foundation
import Geometry
import Parcels
import Testing

/// The survey's deduction fields (扣除地类: KCXS, KCMJ, KCDLBM, TBDLMJ) read with `--schema
/// sandiao`: the three ways a file may state a deduction give the same net area, the file's own
/// figures are cross-checked, and values that cannot be a deduction are refused.
@Suite("Deductions read from survey fields")
struct DeductionReaderTests {
    /// A 0.001° square at Nanhai (≈ 11,300 m²) with the given survey properties.
    func document(_ features: [[String: Any]]) throws -> String {
        let ring = [[113.1, 23.05], [113.101, 23.05], [113.101, 23.051], [113.1, 23.051], [113.1, 23.05]]
        let fs: [[String: Any]] = features.enumerated().map { i, properties in
            var p = properties
            p["BSM"] = p["BSM"] ?? "T\(i + 1)"
            p["DLBM"] = p["DLBM"] ?? "0103"
            return ["type": "Feature", "properties": p, "geometry": ["type": "Polygon", "coordinates": [ring.map { [$0[0] + Double(i) * 0.002, $0[1]] }]]]
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "features": fs]), as: UTF8.self)
    }

    func read(_ features: [[String: Any]]) throws -> (parcels: [Parcel], problems: [Diagnostic]) {
        var options = ParcelReadOptions()
        options.fields = .sandiao
        let (_, parcels, problems) = try ParcelReader(options: options).readAll(InputBytes(text: try document(features)))
        return (parcels, problems)
    }

    /// The geodesic area of the test square, measured without any deduction field.
    func grossArea() throws -> Double { try #require(try read([[:]]).parcels.first).areaSquareMetres }

    /// KCXS alone; KCMJ with TBMJ (its share of the official area); KCMJ alone (its share of
    /// landtrack's area): each is a 5 % deduction, net = 0.95 × the patch.
    @Test func threeWaysToStateADeductionGiveOneNetArea() throws {
        let gross = try grossArea()
        let official = (gross * 100).rounded() / 100
        let (parcels, problems) = try read([
            ["KCXS": 0.05, "KCDLBM": "1203"],
            ["TBMJ": official, "KCMJ": official * 0.05, "KCDLBM": 1203],
            ["KCMJ": gross * 0.05],
        ])
        #expect(problems.isEmpty, "\(problems)")
        #expect(parcels.count == 3)
        for p in parcels {
            let d = try #require(p.deduction, "\(p.id)")
            #expect(abs(d.ratio - 0.05) < 1e-9, "\(p.id): \(d.ratio)")
            #expect(abs(p.netAreaSquareMetres - 0.95 * gross) < 1e-6, "\(p.id)")
            #expect(abs(p.deducted(from: p.areaSquareMetres) + p.netAreaSquareMetres - p.areaSquareMetres) < 1e-9)
        }
        // A code written as a number keeps its leading digits as the survey writes them.
        #expect(parcels.map { $0.deduction?.code } == ["1203", "1203", nil])
        #expect(parcels[0].deduction?.label == "田坎 1203")
    }

    /// A coefficient of 0 with no code, and no fields at all, are no deduction.
    @Test func noDeductionIsNil() throws {
        let (parcels, problems) = try read([["KCXS": 0], [:], ["KCXS": ""]])
        #expect(problems.isEmpty)
        #expect(parcels.allSatisfy { $0.deduction == nil && $0.netAreaSquareMetres == $0.areaSquareMetres })
    }

    /// The file's figures disagree: KCMJ is not TBMJ × KCXS, TBDLMJ is not TBMJ − KCMJ. Both are
    /// warnings with the numbers; the parcel is read with the coefficient.
    @Test func theFilesOwnFiguresAreCrossChecked() throws {
        let tbmj = 10_000.0
        let (parcels, problems) = try read([
            ["TBMJ": tbmj, "KCXS": 0.05, "KCMJ": 500.0, "TBDLMJ": 9_500.0],  // consistent
            ["TBMJ": tbmj, "KCXS": 0.05, "KCMJ": 501.0, "TBDLMJ": 9_499.0],  // KCMJ off by 1 m²
            ["TBMJ": tbmj, "KCXS": 0.05, "KCMJ": 500.0, "TBDLMJ": 9_600.0],  // TBDLMJ off by 100 m²
            ["TBMJ": tbmj, "KCXS": 0.05, "KCMJ": 500.004, "TBDLMJ": 9_499.996],  // rounding, within 0.01 m²
        ])
        #expect(parcels.count == 4)
        #expect(problems.allSatisfy { $0.severity == .warning && $0.code == .deductionMismatch }, "\(problems)")
        #expect(problems.map(\.featureID) == ["T2", "T3"])
        #expect(problems[0].message.contains("KCMJ is 501.00 m²") && problems[0].message.contains("500.00 m²"))
        #expect(problems[1].message.contains("TBDLMJ is 9600.00 m²") && problems[1].message.contains("9500.00 m²"))
        #expect(parcels.allSatisfy { abs(($0.deduction?.ratio ?? 0) - 0.05) < 1e-12 })
    }

    /// A coefficient of 1 or more (a percentage written as a number), text, or a negative area is
    /// an error naming the field; the parcel is not read. A KCMJ as large as the patch is a warning.
    @Test(arguments: [("KCXS", "5"), ("KCXS", "\"five\""), ("KCMJ", "-3"), ("KCXS", "1"), ("KCXS", "true")])
    func impossibleDeductionsAreRefused(field: String, json: String) throws {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        let (parcels, problems) = try read([[field: value]])
        #expect(parcels.isEmpty)
        let p = try #require(problems.first)
        #expect(p.code == .badDeduction && p.severity == .error && p.featureID == "T1")
        #expect(p.location == "properties.\(field)" && p.message.contains(field), "\(p.message)")
    }

    @Test func aDeductionAsLargeAsThePatchIsIgnoredWithAWarning() throws {
        let (parcels, problems) = try read([["TBMJ": 100.0, "KCMJ": 100.0]])
        #expect(parcels.count == 1 && parcels[0].deduction == nil)
        #expect(problems.map(\.code) == [.badDeduction] && problems[0].severity == .warning)
    }

    /// A bureau's schema file names the deduction fields like the others.
    @Test func aSchemaFileNamesTheDeductionFields() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-schema-\(UUID().uuidString).json")
        try #"{"id": "BSM", "landuse_code": "DLBM", "deduction_ratio": "TKXS", "deduction_code": "KCLX"}"#.write(to: dir, atomically: true, encoding: .utf8)
        var options = ParcelReadOptions()
        options.fields = try ParcelFields.load(path: dir.path)
        let (_, parcels, problems) = try ParcelReader(options: options).readAll(InputBytes(text: try document([["TKXS": 0.1, "KCLX": "1203"]])))
        #expect(problems.isEmpty)
        #expect(parcels.first?.deduction == AreaDeduction(ratio: 0.1, code: "1203"))
    }
}
