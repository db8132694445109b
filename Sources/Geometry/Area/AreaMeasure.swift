/// An area with the units planners report: m², mu (亩, exactly 2000/3 m²) and hectares.
public struct AreaMeasure: Sendable, Hashable, Comparable {
    public static let squareMetresPerMu = 2000.0 / 3.0

    public var squareMetres: Double

    public init(squareMetres: Double) { self.squareMetres = squareMetres }

    public var mu: Double { squareMetres * 3 / 2000 }
    public var hectares: Double { squareMetres / 10_000 }

    public static let zero = AreaMeasure(squareMetres: 0)

    public static func + (a: AreaMeasure, b: AreaMeasure) -> AreaMeasure {
        AreaMeasure(squareMetres: a.squareMetres + b.squareMetres)
    }

    public static func < (a: AreaMeasure, b: AreaMeasure) -> Bool { a.squareMetres < b.squareMetres }
}

/// How an area is computed. Every report names the method it used.
public enum AreaMethod: String, Sendable, CaseIterable, Hashable {
    /// Polygon with geodesic edges on the ellipsoid of the data's CRS (GeographicLib semantics).
    case geodesic
    /// 三调 ellipsoidal area (TD/T 1055-2019, 国土调查办发〔2008〕32号) on CGCS2000.
    case survey
    /// Planar area in a projected CRS (default: the data's CGCS2000 3° Gauss-Krüger zone).
    case planar
}

/// An area method ready to measure polygons in one CRS.
public protocol AreaEngine {
    var method: AreaMethod { get }
    /// One line naming the method, the ellipsoid or projected CRS, and the source of the formula.
    var methodDescription: String { get }
    /// The area of a polygon, holes subtracted, in m². Input positions are longitude/latitude
    /// degrees in the engine's geographic CRS.
    func area(of polygon: Polygon) throws(LandtrackError) -> Double
}

extension AreaEngine {
    /// Multipolygon parts add up.
    public func area(of polygons: [Polygon]) throws(LandtrackError) -> Double {
        var total = 0.0
        for p in polygons { total += try area(of: p) }
        return total
    }

    public func measure(_ polygons: [Polygon]) throws(LandtrackError) -> AreaMeasure {
        AreaMeasure(squareMetres: try area(of: polygons))
    }
}

/// Builds the engine for a method.
/// - Parameters:
///   - geographicCRS: the CRS of the longitude/latitude positions to be measured.
///   - planarCRS: for `.planar`, the projected CRS; nil picks the CGCS2000 3° Gauss-Krüger
///     zone of `referenceLongitude`.
public func makeAreaEngine(
    _ method: AreaMethod, geographicCRS: CoordinateReferenceSystem,
    planarCRS: CoordinateReferenceSystem? = nil, referenceLongitude: Double
) throws(LandtrackError) -> any AreaEngine {
    switch method {
    case .geodesic:
        return GeodesicAreaEngine(ellipsoid: geographicCRS.ellipsoid)
    case .survey:
        return try SurveyAreaEngine(referenceMeridian: (referenceLongitude / 3).rounded() * 3)
    case .planar:
        let target: CoordinateReferenceSystem
        if let planarCRS { target = planarCRS } else { target = try .gaussKruger3Degree(containing: referenceLongitude) }
        guard !target.isGeographic else {
            throw .invalidArgument("planar area needs a projected CRS; \(target) is geographic")
        }
        return try PlanarAreaEngine(geographicCRS: geographicCRS, projectedCRS: target)
    }
}
