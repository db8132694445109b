import Foundation
import Geometry
import GeoPackageStore
import Parcels
import Store

/// A store of square parcels at Nanhai for tests: each square `(id, state, pbf, column, row, size)`
/// has its south-west corner at (113.1 + column·0.001°, 23.05 + row·0.001°) and a side of
/// size·0.001° (≈ 102 × 111 m, 17 mu, at size 1); all in village 大岗村, imported on 2023-01-01.
/// `layers` adds constraint-layer squares `(column, row, size)`; `village` names the village.
public func squareParcelStore(
    _ squares: [(String, String, Bool, Double, Double, Double)],
    layers: [ConstraintLayer: [(Double, Double, Double)]] = [:],
    village: String = "大岗村",
    backend: Backend
) throws -> any ParcelStore {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landtrack-squares-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    func ring(_ c: Double, _ r: Double, _ size: Double) -> String {
        let x = 113.1 + c * 0.001, y = 23.05 + r * 0.001, d = 0.001 * size
        return "[[" + [(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)].map { "[\($0.0),\($0.1)]" }.joined(separator: ",") + "]]"
    }
    func collection(_ features: [String]) -> String { #"{"type":"FeatureCollection","features":["# + features.joined(separator: ",") + "]}" }
    func json(_ s: String) -> String {
        var out = ""
        JSONValue.writeString(s, to: &out)
        return out
    }
    let features = squares.map { id, state, pbf, c, r, size in
        #"{"type":"Feature","properties":{"id":\#(json(id)),"state":"\#(state)","basic_farmland":\#(pbf),"village":\#(json(village))},"geometry":{"type":"Polygon","coordinates":\#(ring(c, r, size))}}"#
    }
    let file = dir.appendingPathComponent("squares.geojson")
    try collection(features).write(to: file, atomically: true, encoding: .utf8)
    let store = try backend.newStore()
    var options = ImportOptions()
    options.date = try CalendarDate(parsing: "2023-01-01")
    _ = try store.importParcels(try InputBytes(path: file.path), options: options)
    for (layer, boxes) in layers {
        let path = dir.appendingPathComponent("\(layer.rawValue).geojson")
        try collection(boxes.map { c, r, size in
            #"{"type":"Feature","properties":{"name":"\#(layer.rawValue)"},"geometry":{"type":"Polygon","coordinates":\#(ring(c, r, size))}}"#
        }).write(to: path, atomically: true, encoding: .utf8)
        _ = try store.importLayer(layer, from: InputBytes(path: path.path))
    }
    return store
}

/// The square-parcel store in a GeoPackage (tests of the GeoPackage file itself).
public func squareParcelStore(
    _ squares: [(String, String, Bool, Double, Double, Double)],
    layers: [ConstraintLayer: [(Double, Double, Double)]] = [:],
    village: String = "大岗村"
) throws -> GeoPackageStore {
    try squareParcelStore(squares, layers: layers, village: village, backend: .geoPackage) as! GeoPackageStore
}

extension ParcelStore {
    /// The parcels and CRS of the snapshot on `date`, as the planner's file input gives them.
    public func plannerInput(asOf date: CalendarDate?) throws -> (parcels: [Parcel], crs: CoordinateReferenceSystem) {
        let s = try snapshot(asOf: date)
        return (s.parcels, s.crs)
    }
}
