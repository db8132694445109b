import Geometry
import Parcels
import Store

/// Parcels of a GeoJSON file for the planner, checked as an import would check them. (The
/// store's parcels come as a `Snapshot`.)
public enum PlannerInput {
    /// Parcels of a file, with geodesic areas on the file's ellipsoid. A parcel whose state
    /// cannot be decided (no state, no land-use code, no `options.defaultState`) refuses the
    /// file, naming the parcels. The planner reads no original properties: they are left out.
    public static func load(_ input: any FeatureSource, options: ParcelReadOptions = ParcelReadOptions()) throws(LandtrackError) -> (parcels: [Parcel], crs: CoordinateReferenceSystem) {
        var crs = CoordinateReferenceSystem.crs84
        var parcels: [Parcel] = []
        var problems: [Diagnostic] = []
        var options = options
        options.requireState = true
        // Room for every parcel at once: an array doubling as a million parcels arrive moved
        // half a million of them on the receiving thread while the parsing threads waited.
        _ = try ParcelReader(options: options, properties: .none).read(input, expecting: { parcels.reserveCapacity($0) }, start: { (g: CoordinateReferenceSystem) throws(LandtrackError) in
            crs = g
        }, parcel: { (p: Parcel) throws(LandtrackError) in
            var p = p
            p.source = nil
            parcels.append(p)
        }, problem: { d in if d.severity == .error { problems.append(d) } })
        guard problems.isEmpty else { throw .invalidInput(source: input.name, problems: problems) }
        return (parcels, crs)
    }
}

extension Snapshot {
    /// The barriers layer (roads, rivers) as geometry values, for `ContiguityReport.Options.barriers`.
    public func barrierGeometries() throws(LandtrackError) -> [Geometry] {
        let ctx = GEOSContext()
        var out: [Geometry] = []
        for f in layer(.barriers) { out.append(try f.geometry(ctx)) }
        return out
    }
}

