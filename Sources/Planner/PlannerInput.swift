import Geometry
import Parcels

/// Where the planner's parcels come from: a GeoJSON file (checked as an import would check it)
/// or the store (as of a date).
public enum PlannerInput {
    /// Parcels of a file, with geodesic areas on the file's ellipsoid. A parcel without a state
    /// takes `defaultState`; without one either, the file is refused naming the parcels.
    public static func load(_ input: InputBytes, options: ParcelReadOptions = ParcelReadOptions(),
                            defaultState: ParcelState? = nil) throws(LandtrackError) -> (parcels: [PlannerParcel], crs: CoordinateReferenceSystem) {
        var crs = CoordinateReferenceSystem.crs84
        var engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        var parcels: [PlannerParcel] = []
        var problems: [Diagnostic] = []
        _ = try ParcelReader(options: options).read(input, start: { (g: CoordinateReferenceSystem) throws(LandtrackError) in
            crs = g
            engine = GeodesicAreaEngine(ellipsoid: g.ellipsoid)
        }, parcel: { (p: Parcel) throws(LandtrackError) in
            guard let state = p.state ?? defaultState else {
                problems.append(Diagnostic("no-state", "the parcel has no state and no --default-state was given",
                                           featureIndex: p.featureIndex, featureID: p.id))
                return
            }
            parcels.append(PlannerParcel(id: p.id, state: state, basicFarmland: p.basicFarmland ?? false, village: p.village,
                                         landuseCode: p.landuseCode, polygons: p.polygons, area: try engine.area(of: p.polygons)))
        }, problem: { d in if d.severity == .error { problems.append(d) } })
        guard problems.isEmpty else { throw .invalidInput(source: input.name, problems: problems) }
        return (parcels, crs)
    }

    /// Parcels of the store as they stood on `asOf` (nil: now).
    public static func load(_ store: ParcelStore, asOf: CalendarDate?) throws(LandtrackError) -> (parcels: [PlannerParcel], crs: CoordinateReferenceSystem) {
        let parcels = try store.parcels(asOf: asOf).map {
            PlannerParcel(id: $0.id, state: $0.state, basicFarmland: $0.basicFarmland, village: $0.village,
                          landuseCode: $0.landuseCode, polygons: $0.polygons, area: $0.areaSquareMetres)
        }
        return (parcels, try store.ellipsoid())
    }
}
