import Geometry
import Parcels

/// Parcels as they stood on a date: `landtrack parcels` prints this, `landtrack export` writes it.
public struct ParcelListReport: Sendable, RenderableReport {
    public let asOf: CalendarDate?
    public let parcels: [Parcel]
    /// The store's CRS; its ellipsoid is named with the areas.
    public let crs: CoordinateReferenceSystem
    public var ellipsoid: String { crs.ellipsoid.name }

    /// The parcels of `snapshot`, optionally only those in `state`.
    public init(_ snapshot: Snapshot, state: ParcelState?) {
        asOf = snapshot.asOf
        parcels = state.map { s in snapshot.parcels.filter { $0.state == s } } ?? snapshot.parcels
        crs = snapshot.crs
    }

    private var dateText: String { asOf.map { "as of \($0)" } ?? "now" }

    public func table() -> String {
        var t = TextTable(headers: ["id", "state", "PBF", "village", "land use", "area (m²)", "area (mu)"], rightAligned: [5, 6])
        var total = AreaMeasure.zero
        for p in parcels {
            let a = AreaMeasure(squareMetres: p.areaSquareMetres)
            total = total + a
            t.append([p.id, p.state.rawValue, p.basicFarmland ? "yes" : "no", p.village ?? "", p.landuseCode ?? "",
                      fixed(a.squareMetres, 2), fixed(a.mu, 4)])
        }
        t.append(["total (\(grouped(parcels.count)) parcels)", "", "", "", "", fixed(total.squareMetres, 2), fixed(total.mu, 4)])
        return "parcels \(dateText); areas geodesic on the \(ellipsoid) ellipsoid, 1 mu = 2000/3 m²\n\n" + t.render()
    }

    public func csv() -> String {
        var out = CSV.line(["id", "state", "basic_farmland", "village", "landuse_code", "area_m2", "area_mu"])
        for p in parcels {
            out += CSV.line([p.id, p.state.rawValue, p.basicFarmland ? "true" : "false", p.village ?? "", p.landuseCode ?? "",
                             fixed(p.areaSquareMetres, 4), fixed(p.areaSquareMetres * 3 / 2000, 6)])
        }
        return out
    }

    public func json() -> String {
        var out = "{\"as_of\":" + (asOf.map { "\"\($0)\"" } ?? "null") + ",\"area_method\":\"geodesic\",\"ellipsoid\":"
        JSONValue.writeString(ellipsoid, to: &out)
        out += ",\"parcels\":["
        for (i, p) in parcels.enumerated() {
            if i > 0 { out += "," }
            out += "\n" + JSONValue.object(p.attributes).jsonText
        }
        return out + "]}\n"
    }

    /// RFC 7946 GeoJSON: the current attributes, then the parcel's other original properties.
    public func geojson(precision: Int = 7) throws(LandtrackError) -> String {
        var out = "{\"type\":\"FeatureCollection\",\"name\":\"landtrack parcels \(dateText)\",\"features\":["
        for (i, p) in parcels.enumerated() {
            if i > 0 { out += "," }
            var props = p.attributes
            for (k, v) in try p.properties.object(owner: p.id).members where props[k] == nil { props.append(k, v) }
            out += "\n" + GeoJSONWriter.feature(id: p.id, properties: props, polygons: p.polygons, precision: precision)
        }
        return out + "]}\n"
    }
}
