import Foundation
import Testing
import Geometry
import Parcels
import Store
import TestSupport

/// PBF designated from a layer of polygons (the survey's 基本农田保护图斑), on both backends.
/// The squares are 0.001° wide; a layer strip covering columns of them from a given longitude
/// covers a share of each square equal to the longitude share (its edges are meridians), the
/// hand-computed truth the shares are compared with.
@Suite("PBF from a layer of polygons")
struct BasicFarmlandLayerTests {
    /// A, B, C, D, E in a row (columns 0, 2, 4, 6, 8), F above A; C and D PBF already.
    static let squares: [(String, String, Bool, Double, Double, Double)] = [
        ("A", "farmland", false, 0, 0, 1), ("B", "farmland", false, 2, 0, 1), ("C", "farmland", true, 4, 0, 1),
        ("D", "farmland", true, 6, 0, 1), ("E", "wasteland", false, 8, 0, 1), ("F", "farmland", false, 0, 4, 1),
    ]

    /// The layer: one rectangle from longitude 113.1 − 0.0005 to `east` across row 0, and one
    /// over C exactly (layer polygons may overlap; C is counted once).
    static func layer(_ dir: URL, east: Double) throws -> String {
        func rect(_ w: Double, _ e: Double, _ s: Double, _ n: Double) -> String {
            #"{"type":"Feature","properties":{"name":"JB"},"geometry":{"type":"Polygon","coordinates":[[[\#(w),\#(s)],[\#(e),\#(s)],[\#(e),\#(n)],[\#(w),\#(n)],[\#(w),\#(s)]]]}}"#
        }
        let path = dir.appendingPathComponent("pbf-\(UUID().uuidString).geojson").path
        try (#"{"type":"FeatureCollection","features":["# + rect(113.0995, east, 23.0495, 23.0515) + ","
            + rect(113.104, 113.105, 23.05, 23.051) + "]}").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func scratch() throws -> URL { try scratchFolder("landtrack-pbf-layer") }

    func options(_ share: Double = 0.5, date: String = "2024-06-30") throws -> BasicFarmlandLayerOptions {
        var o = BasicFarmlandLayerOptions()
        o.minimumShare = share
        o.date = try CalendarDate(parsing: date)
        o.ref = "PBF-2024"
        return o
    }

    /// The layer reaches 113.1026: all of A, 60 % of B, C (its own polygon), nothing of D, E, F.
    @Test(arguments: Backend.available) func parcelsMostlyInTheLayerAreDesignated(backend: Backend) throws {
        let store = try squareParcelStore(Self.squares, backend: backend)
        let layer = try Self.layer(try scratch(), east: 113.1026)
        let result = try store.designateBasicFarmland(from: try InputBytes(path: layer), options: options())
        #expect(result.designated.map(\.parcelID) == ["A", "B"])
        #expect(result.alreadyDesignated.map(\.parcelID) == ["C"])
        #expect(result.designatedButOutside.map(\.parcelID) == ["D"])
        #expect(result.straddling.map(\.parcelID) == ["B"])
        let shares = Dictionary(uniqueKeysWithValues: (result.designated + result.alreadyDesignated + result.designatedButOutside).map { ($0.parcelID, $0.share) })
        #expect(abs(shares["A"]! - 1) < 1e-9 && abs(shares["B"]! - 0.6) < 1e-6 && abs(shares["C"]! - 1) < 1e-9 && shares["D"]! == 0, "\(shares)")
        #expect(result.layerFeatures == 2 && result.line.contains("2 parcels designated PBF (at least 50 %"))

        let now = Dictionary(uniqueKeysWithValues: try store.snapshot().parcels.map { ($0.id, $0.basicFarmland) })
        #expect(now == ["A": true, "B": true, "C": true, "D": true, "E": false, "F": false])
        let event = try #require(try store.history("B").last)
        #expect(event.kind == .pbf && event.pbfAfter == true && event.ref == "PBF-2024" && event.effectiveDate.description == "2024-06-30")
        #expect(event.note?.contains("60.00 % of the parcel") == true, "\(String(describing: event.note))")

        // The same layer again records nothing.
        let again = try store.designateBasicFarmland(from: try InputBytes(path: layer), options: options())
        #expect(again.designated.isEmpty && again.alreadyDesignated.map(\.parcelID) == ["A", "B", "C"])
        #expect(try store.history("B").count == 2)
    }

    /// A higher share leaves B out; B still straddles.
    @Test func theShareIsAThreshold() throws {
        let store = try squareParcelStore(Self.squares)
        let result = try store.designateBasicFarmland(from: try InputBytes(path: Self.layer(try scratch(), east: 113.1026)), options: options(0.7))
        #expect(result.designated.map(\.parcelID) == ["A"] && result.straddling.map(\.parcelID) == ["B"])
        #expect(try store.parcel("B")?.basicFarmland == false)
        #expect(throws: LandtrackError.self) { try store.designateBasicFarmland(from: try InputBytes(path: Self.layer(try scratch(), east: 113.1026)), options: options(0)) }
    }

    /// All or nothing: B has an event after the layer's date, so the layer is refused (naming B)
    /// and A is not designated either.
    @Test(arguments: Backend.available) func aRefusalDesignatesNothing(backend: Backend) throws {
        let store = try squareParcelStore(Self.squares, backend: backend)
        try store.transition([TransitionRequest(parcelID: "B", to: .wasteland, date: try CalendarDate(parsing: "2025-01-01"))])
        let error = #expect(throws: LandtrackError.self) {
            try store.designateBasicFarmland(from: try InputBytes(path: Self.layer(try scratch(), east: 113.1026)), options: options())
        }
        let refusals = error?.refusals ?? []
        #expect(refusals.count == 1 && refusals.first?.parcelID == "B", "\(refusals)")
        if case .datedBeforeHistory? = refusals.first?.reason {} else { Issue.record("\(refusals)") }
        #expect(try store.parcel("A")?.basicFarmland == false)
        #expect(try store.history("A").count == 1)
    }

    /// A layer of lines is no PBF layer: refused, naming the feature.
    @Test func aLineLayerIsRefused() throws {
        let store = try squareParcelStore(Self.squares)
        let path = try scratch().appendingPathComponent("lines.geojson").path
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[113.1,23.05],[113.2,23.06]]}}]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: LandtrackError.self) { try store.designateBasicFarmland(from: try InputBytes(path: path), options: options()) }
        guard case let .invalidInput(_, problems)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(problems.map(\.code) == [.notPolygonal] && problems[0].featureIndex == 1)
        #expect(try store.snapshot().parcels.filter(\.basicFarmland).map(\.id) == ["C", "D"])
    }
}
