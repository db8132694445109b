import Foundation
import Geometry
import Hummingbird
import Store

/// OGC API – Features Part 2 (CRS by reference): the CRSs a layer is served in, the `crs`,
/// `bbox-crs` and `filter-crs` parameters, and the `Content-Crs` header. Coordinates follow the
/// CRS's own axis order: CRS84 longitude first; EPSG:4326, EPSG:4490 and the CGCS2000
/// Gauss-Krüger CRSs north first, as their EPSG definitions say.
struct OfferedCRS: Sendable, Hashable {
    let uri: String
    let crs: CoordinateReferenceSystem

    static let crs84 = OfferedCRS(uri: API.crs84, crs: .crs84)

    var northFirst: Bool { crs.authorityAxisOrderIsNorthFirst }
}

extension API {
    static let crsConformance = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"

    /// The URI of an EPSG or OGC CRS (`http://www.opengis.net/def/crs/EPSG/0/4490`).
    static func uri(_ crs: CoordinateReferenceSystem) -> String { uri(identifier: crs.identifier) }

    /// "EPSG:4490" → its URI; "OGC:CRS84" → CRS84's.
    static func uri(identifier: String) -> String {
        if identifier.uppercased() == "OGC:CRS84" { return crs84 }
        let parts = identifier.split(separator: ":")
        return "http://www.opengis.net/def/crs/\(parts.first ?? "")/0/\(parts.count > 1 ? parts[parts.count - 1] : "")"
    }

    /// The CRSs every layer is offered in: CRS84, EPSG:4326, EPSG:4490, and the CGCS2000 3°
    /// Gauss-Krüger zones the parcels span (plain and zone-prefixed eastings).
    func offeredCRS() throws(LandtrackError) -> [OfferedCRS] {
        var out = [OfferedCRS.crs84]
        for code in ["EPSG:4326", "EPSG:4490"] {
            let crs = try CoordinateReferenceSystem.resolve(code)
            out.append(OfferedCRS(uri: Self.uri(crs), crs: crs))
        }
        if let e = try store.extent(of: .parcels) {
            let zones = Int((e.minX / 3).rounded())...Int((e.maxX / 3).rounded())
            for zone in zones where (25...45).contains(zone) {
                for prefixed in [false, true] {
                    let crs = try CoordinateReferenceSystem.gaussKruger(zone: zone, prefixed: prefixed)
                    out.append(OfferedCRS(uri: Self.uri(crs), crs: crs))
                }
            }
        }
        return out
    }

    /// The store's own CRS as a URI (`storageCrs`).
    func storageCRS() throws(LandtrackError) -> OfferedCRS {
        let crs = try store.crs()
        // A WGS 84 store keeps longitude first: that is CRS84, not EPSG:4326.
        if crs.identifier == "EPSG:4326" || crs.identifier == "OGC:CRS84" { return .crs84 }
        return OfferedCRS(uri: Self.uri(crs), crs: crs)
    }

    /// The offered CRSs when the request names one (`crs`, `bbox-crs`, `filter-crs`); else only
    /// CRS84, without the PROJ lookups and the extent query (QGIS pages through CRS84).
    func offeredCRS(for request: Request) throws(LandtrackError) -> [OfferedCRS] {
        ["crs", "bbox-crs", "filter-crs"].contains { query(request, $0) != nil } ? try offeredCRS() : [.crs84]
    }

    /// The CRS named by `parameter` (CRS84 when absent), which must be one of `offered`.
    func requestedCRS(_ request: Request, _ parameter: String, offered: [OfferedCRS]) throws -> OfferedCRS {
        guard let text = query(request, parameter) else { return .crs84 }
        // Clients write it as a URI, or as the safe CURIE [EPSG:4490].
        let wanted = text.hasPrefix("[") && text.hasSuffix("]") ? Self.uri(identifier: String(text.dropFirst().dropLast())) : text
        guard let found = offered.first(where: { $0.uri == wanted }) else {
            throw APIError.badRequest("\(parameter): '\(text)' is not offered; this collection is served in: \(offered.map(\.uri).joined(separator: ", "))",
                                      code: "unsupported-crs")
        }
        return found
    }
}

/// Features written in a requested CRS: transformed from the store's CRS (PROJ, for a
/// projected CRS), axes in the CRS's order, rounded to 7 decimals of a degree or 1 mm.
/// Holds a PROJ transformation: made and used inside one job, never shared.
struct FeatureProjection {
    let target: OfferedCRS
    private let transform: CoordinateTransform?

    init(from storage: CoordinateReferenceSystem, to target: OfferedCRS) throws(LandtrackError) {
        self.target = target
        // Longitude/latitude on WGS 84 or CGCS2000 are the same numbers to well under a
        // centimetre (CGCS2000 is realised within WGS 84's accuracy): only a projection moves them.
        transform = storage.isGeographic && target.crs.isGeographic ? nil : try CoordinateTransform(from: storage, to: target.crs)
    }

    func geometryJSON(_ g: Geometry) throws(LandtrackError) -> String {
        var out = g
        if let transform { out = try transform.transform(out) }
        return GeoJSONWriter.geometry(out, precision: target.crs.isGeographic ? 7 : 3, northFirst: target.northFirst)
    }
}

/// An area given in a request's CRS (`bbox-crs`, `filter-crs`) brought into the store's CRS:
/// axes to east-first, long edges densified (a straight edge in a projection is a curve in
/// longitude/latitude), then transformed.
struct AreaIntoStore {
    let source: OfferedCRS
    let storage: CoordinateReferenceSystem
    /// The points are east-first already (a bbox, ordered when it was read); otherwise they are
    /// in the source CRS's own axis order.
    let alreadyEastFirst: Bool

    func area(_ polygons: [Polygon]) throws(LandtrackError) -> SpatialArea {
        var out: [Polygon] = []
        let transform = source.crs.isGeographic && storage.isGeographic ? nil : try CoordinateTransform(from: source.crs, to: storage)
        for polygon in polygons {
            var rings: [[Point]] = []
            for ring in polygon.rings {
                var points: [Point] = []
                for (a, b) in zip(ring.points, ring.points.dropFirst()) {
                    let (a, b) = source.northFirst && !alreadyEastFirst ? (try Point(x: a.y, y: a.x), try Point(x: b.y, y: b.x)) : (a, b)
                    let pieces = transform == nil ? 1 : 16
                    for k in 0..<pieces {
                        let t = Double(k) / Double(pieces)
                        points.append(try Point(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t))
                    }
                }
                points.append(points[0])
                rings.append(try transform?.transform(points) ?? points)
            }
            out.append(try Polygon(rings: rings))
        }
        return try SpatialArea(polygons: out)
    }
}
