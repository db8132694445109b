import Foundation
import Geometry
import GeoPackageStore
import Parcels
import Store

/// The demo programme of geodata/programme replayed into a new store: the Nanhai sample
/// imported on 2023-01-01, the constraint layers, then the 2023–2025 log of transitions, PBF
/// changes and merges (what scripts/programme.sh does with the CLI).
public func demoProgrammeStore(backend: Backend) throws -> any ParcelStore {
    let log = SharedData.repositoryRoot.appendingPathComponent("geodata/programme")
    let store = try backend.newStore()
    var options = ImportOptions()
    options.date = try CalendarDate(parsing: "2023-01-01")
    _ = try store.importParcels(try InputBytes(path: SharedData.repositoryRoot.appendingPathComponent("geodata/nanhai-sample.geojson").path), options: options)
    for layer in ConstraintLayer.allCases {
        guard try store.importLayer(layer, from: InputBytes(path: log.appendingPathComponent("\(layer.rawValue).geojson").path)) >= 1 else {
            throw LandtrackError.invalidArgument("geodata/programme/\(layer.rawValue).geojson is empty")
        }
    }
    let transitions = try TransitionRequest.load(csv: log.appendingPathComponent("transitions.csv").path)
    guard try store.transition(transitions).count == transitions.count else {
        throw LandtrackError.invalidArgument("the transitions of geodata/programme did not all apply")
    }
    for line in try String(contentsOf: log.appendingPathComponent("pbf.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
        let f = line.split(separator: ",").map(String.init)
        try store.setBasicFarmland(f[0], designated: f[1] == "designate", date: try CalendarDate(parsing: f[2]), ref: f[3])
    }
    for line in try String(contentsOf: log.appendingPathComponent("merges.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
        let f = line.split(separator: ",").map(String.init)
        try store.merge(f[0].split(separator: " ").map(String.init), into: f[1], date: try CalendarDate(parsing: f[2]), ref: f[3])
    }
    return store
}

/// The demo programme in a GeoPackage (tests of the GeoPackage file itself).
public func demoProgrammeStore() throws -> GeoPackageStore {
    try demoProgrammeStore(backend: .geoPackage) as! GeoPackageStore
}
