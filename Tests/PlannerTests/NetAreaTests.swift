import Foundation
import Testing
import Geometry
import Parcels
import Planner
import Store
import TestSupport

/// Net areas (the patch less its 田坎 deduction) through the store and the reports, on both
/// backends. Expected figures are the parcels' own geodesic areas times (1 − KCXS), added up
/// here by hand.
@Suite("Net areas")
struct NetAreaTests {
    /// Three 0.001° squares at Nanhai: A farmland with 10 % 田坎, B wasteland without a
    /// deduction, C farmland with 5 % 田坎 and a coefficient changed to `cRatio`.
    static func file(_ dir: URL, name: String = "dltb.geojson", cRatio: Double = 0.05) throws -> String {
        func square(_ c: Double, _ r: Double) -> [[[Double]]] {
            let x = 113.1 + c * 0.001, y = 23.05 + r * 0.001
            return [[[x, y], [x + 0.001, y], [x + 0.001, y + 0.001], [x, y + 0.001], [x, y]]]
        }
        let features: [[String: Any]] = [
            ["id": "A", "state": "farmland", "KCXS": 0.1, "KCDLBM": "1203", "at": [0.0, 0.0]],
            ["id": "B", "state": "wasteland", "at": [2.0, 0.0]],
            ["id": "C", "state": "farmland", "KCXS": cRatio, "KCDLBM": "1203", "at": [0.0, 2.0]],
        ].map { p in
            let at = p["at"] as! [Double]
            var properties = p
            properties["at"] = nil
            return ["type": "Feature", "properties": properties, "geometry": ["type": "Polygon", "coordinates": square(at[0], at[1])]]
        }
        let path = dir.appendingPathComponent(name).path
        try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "features": features], options: .sortedKeys).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func importOptions(_ date: String, deductions: Bool = true) throws -> ImportOptions {
        var options = ImportOptions()
        options.date = try CalendarDate(parsing: date)
        if deductions {
            options.read.fields.deductionRatio = "KCXS"
            options.read.fields.deductionCode = "KCDLBM"
        } else {
            options.read.fields.deductionRatio = nil
            options.read.fields.deductionCode = nil
        }
        return options
    }

    func date(_ s: String) throws -> CalendarDate { try CalendarDate(parsing: s) }

    @Test(arguments: Backend.available) func deductionsThroughTheStoreAndTheReports(backend: Backend) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-net-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try backend.newStore()
        let file = try Self.file(dir)
        _ = try store.importParcels(try InputBytes(path: file), options: Self.importOptions("2023-01-01"))
        let start = try store.snapshot()
        let byID = Dictionary(uniqueKeysWithValues: start.parcels.map { ($0.id, $0) })
        let (a, b, c) = (try #require(byID["A"]), try #require(byID["B"]), try #require(byID["C"]))
        #expect(a.deduction == AreaDeduction(ratio: 0.1, code: "1203"))
        #expect(b.deduction == nil)
        #expect(c.deduction == AreaDeduction(ratio: 0.05, code: "1203"))

        // Summary: farmland net, the 田坎 on its own line, the total the whole patches.
        let farmlandNet = a.areaSquareMetres * 0.9 + c.areaSquareMetres * 0.95
        let ridges = a.areaSquareMetres * 0.1 + c.areaSquareMetres * 0.05
        let net = try SummaryReport(parcels: start.parcels, crs: start.crs, by: [.state])
        #expect(net.basis == .net)
        let rows = Dictionary(uniqueKeysWithValues: net.rows.map { ($0.values[0], $0) })
        #expect(abs(try #require(rows["farmland"]).area.squareMetres - farmlandNet) < 1e-6)
        let ridgeRow = try #require(rows["田坎 1203 (deducted)"])
        #expect(ridgeRow.deducted && ridgeRow.count == 2 && abs(ridgeRow.area.squareMetres - ridges) < 1e-6)
        let everything = a.areaSquareMetres + b.areaSquareMetres + c.areaSquareMetres
        #expect(abs(net.total.area.squareMetres - everything) < 1e-6 && net.total.count == 3)
        let byLanduse = try SummaryReport(parcels: start.parcels, crs: start.crs, by: [.landuse])
        #expect(byLanduse.rows.contains { $0.values == ["1203"] && $0.deducted })
        let gross = try SummaryReport(parcels: start.parcels, crs: start.crs, by: [.state], basis: .gross)
        #expect(gross.rows.allSatisfy { !$0.deducted } && gross.rows.count == 2)
        #expect(abs(gross.rows.first { $0.values == ["farmland"] }!.area.squareMetres - a.areaSquareMetres - c.areaSquareMetres) < 1e-6)
        #expect(abs(gross.total.area.squareMetres - net.total.area.squareMetres) < 1e-9)
        #expect(net.table().contains("areas: net") && gross.table().contains("areas: gross"))
        #expect(net.csv().split(separator: "\n").contains { $0.hasPrefix("田坎 1203 (deducted),2,") && $0.hasSuffix(",net,true") })

        // The same file again without the deduction fields in its schema keeps the deductions.
        let again = try store.importParcels(try InputBytes(path: file), options: Self.importOptions("2023-06-01", deductions: false))
        #expect(again.unchanged == 3)
        #expect(try store.parcel("A")?.deduction == a.deduction)
        // A changed coefficient is an attribute update, with the old one in the event.
        let changed = try store.importParcels(try InputBytes(path: Self.file(dir, name: "v2.geojson", cRatio: 0.07)), options: Self.importOptions("2023-06-01"))
        #expect(changed.updated == 1 && changed.unchanged == 2)
        #expect(try store.parcel("C")?.deduction == AreaDeduction(ratio: 0.07, code: "1203"))
        let update = try #require(try store.record().events.last { $0.event.parcelID == "C" })
        #expect(update.event.kind == .updated && update.previousAttributes?.contains("\"deduction_ratio\":0.05") == true, "\(String(describing: update.previousAttributes))")

        // A leaves cultivation, B is reclaimed: the changes count A's net area, B's whole one.
        try store.transition([TransitionRequest(parcelID: "A", to: .wasteland, date: try date("2024-05-01")),
                              TransitionRequest(parcelID: "B", to: .reclaimedFarmland, date: try date("2024-05-01"))])
        let changes = try ChangesReport.load(from: store, from: try date("2023-12-31"), to: try date("2024-12-31"))
        #expect(changes.basis == .net)
        #expect(abs(changes.cultivatedLandLost.squareMetres - a.areaSquareMetres * 0.9) < 1e-6)
        #expect(abs(changes.newCultivatedLand.squareMetres - b.areaSquareMetres) < 1e-6)
        let grossChanges = try ChangesReport.load(from: store, from: try date("2023-12-31"), to: try date("2024-12-31"), basis: .gross)
        #expect(abs(grossChanges.cultivatedLandLost.squareMetres - a.areaSquareMetres) < 1e-6)

        // The check's new-cultivated-land base is the net cultivated land at the start.
        var options = CheckOptions()
        options.rules = [.newCultivatedLand, .cultivatedBalance]
        options.asOf = try date("2024-12-31")
        options.from = try date("2023-12-31")
        let check = try CheckReport.load(from: store, options: options)
        #expect(check.basis == .net)
        let base = a.areaSquareMetres * 0.9 + c.areaSquareMetres * 0.93
        let detail = try #require(check.results.first { $0.rule == .newCultivatedLand }).detail
        #expect(detail.contains("of \(fixed(base * 3 / 2000, 2)) mu at the start") && detail.contains("net areas"), "\(detail)")
        let balance = try #require(check.results.first { $0.rule == .cultivatedBalance })
        #expect(balance.detail.contains("gained \(fixed(b.areaSquareMetres * 3 / 2000, 2)) mu, lost \(fixed(a.areaSquareMetres * 0.9 * 3 / 2000, 2)) mu"))

        // Split and merge keep the deducted land: each piece keeps the share, the merged parcel
        // deducts what its parents did.
        let cNow = try #require(try store.parcel("C"))
        let cut = try LineString([try Point(x: 113.1005, y: 23.0515), try Point(x: 113.1005, y: 23.0535)])
        let pieces = try store.split("C", by: .lineString(cut), names: ["C1", "C2"], date: try date("2025-01-01"))
        #expect(pieces.allSatisfy { $0.deduction == cNow.deduction })
        let merged = try store.merge(["C1", "C2"], into: "C3", date: try date("2025-02-01"))
        #expect(merged.deduction?.code == "1203")
        #expect(abs(merged.deducted(from: merged.areaSquareMetres) - cNow.deducted(from: cNow.areaSquareMetres)) < 1e-3)

        // An export read back with the standard schema keeps them (deduction_ratio, deduction_code).
        let exported = dir.appendingPathComponent("export.geojson").path
        try ParcelListReport(try store.snapshot(), state: nil).geojson().write(toFile: exported, atomically: true, encoding: .utf8)
        let reread = try backend.newStore()
        var standard = ImportOptions()
        standard.date = try date("2025-03-01")
        _ = try reread.importParcels(try InputBytes(path: exported), options: standard)
        #expect(try reread.snapshot().parcels.map(\.deduction) == store.snapshot().parcels.filter(\.active).map(\.deduction))
        #expect(try reread.snapshot().parcels.contains { $0.deduction != nil })

        // A copy to the other backend and back keeps every deduction.
        let there = try (backend == .geoPackage ? Backend.available.last! : Backend.geoPackage).newStore()
        _ = try there.copyRecord(from: store)
        let back = try backend.newStore()
        _ = try back.copyRecord(from: there)
        #expect(try back.snapshot().parcels.map(\.deduction) == store.snapshot().parcels.map(\.deduction))
    }
}
