/// Planar area in a projected CRS: what registers that publish map-plane areas report
/// (e.g. the CGCS2000 3° Gauss-Krüger zone of the data). Positions are projected with PROJ and
/// measured with the shoelace formula; it overstates the ellipsoidal area by the projection's
/// scale (≈ 0.02 % at 113.1°E in zone 38).
///
/// Holds a PROJ transformation, so it is a class and is not `Sendable`: make one per task.
public final class PlanarAreaEngine: AreaEngine {
    public var method: AreaMethod { .planar }
    public let projectedCRS: CoordinateReferenceSystem
    private let transform: CoordinateTransform

    public init(geographicCRS: CoordinateReferenceSystem, projectedCRS: CoordinateReferenceSystem) throws(LandtrackError) {
        self.projectedCRS = projectedCRS
        // Positions are always longitude/latitude on the data's own datum. WGS 84 and CGCS2000
        // differ by centimetres, below what a register's plane area resolves.
        transform = try CoordinateTransform(from: geographicCRS, to: projectedCRS)
    }

    public var methodDescription: String {
        "planar: map-plane area in \(projectedCRS) on the \(projectedCRS.ellipsoid) ellipsoid"
    }

    public func area(of polygon: Polygon) throws(LandtrackError) -> Double {
        let projected = try transform.transform(polygon)
        var total = abs(projected.exterior.signedArea)
        for hole in projected.holes { total -= abs(hole.signedArea) }
        return total
    }
}
