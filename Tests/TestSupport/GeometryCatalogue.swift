import Geometry

/// A shared catalogue of test geometries (in the manner of Shapely's test suite): each with its
/// WKT, whether GEOS must call it valid, and its planar area worked out by hand.
public struct CatalogueGeometry: Sendable, CustomTestStringConvertible {
    public let name: String
    public let wkt: String
    public let isValid: Bool
    /// Planar area by hand (shoelace on the coordinates), for the valid polygonal entries.
    public let planarArea: Double?
    /// GEOS's isValidDetail reason for the invalid ones.
    public let invalidReason: String?

    public var testDescription: String { name }
}

import Testing

public enum GeometryCatalogue {
    public static let all: [CatalogueGeometry] = [
        .init(name: "unit square", wkt: "POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))", isValid: true, planarArea: 1, invalidReason: nil),
        .init(name: "clockwise square", wkt: "POLYGON((0 0, 0 2, 2 2, 2 0, 0 0))", isValid: true, planarArea: 4, invalidReason: nil),
        .init(name: "square with hole", wkt: "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))",
              isValid: true, planarArea: 96, invalidReason: nil),
        .init(name: "two disjoint squares", wkt: "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0)), ((3 0, 5 0, 5 2, 3 2, 3 0)))",
              isValid: true, planarArea: 5, invalidReason: nil),
        .init(name: "triangle", wkt: "POLYGON((0 0, 4 0, 0 3, 0 0))", isValid: true, planarArea: 6, invalidReason: nil),
        .init(name: "bow-tie", wkt: "POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))", isValid: false, planarArea: nil,
              invalidReason: "Self-intersection"),
        .init(name: "hole outside shell", wkt: "POLYGON((0 0, 1 0, 1 1, 0 1, 0 0), (5 5, 6 5, 6 6, 5 6, 5 5))",
              isValid: false, planarArea: nil, invalidReason: "Hole lies outside shell"),
        .init(name: "nested shells", wkt: "MULTIPOLYGON(((0 0, 10 0, 10 10, 0 10, 0 0)), ((2 2, 4 2, 4 4, 2 4, 2 2)))",
              isValid: false, planarArea: nil, invalidReason: "Nested shells"),
        .init(name: "overlapping parts", wkt: "MULTIPOLYGON(((0 0, 2 0, 2 2, 0 2, 0 0)), ((1 1, 3 1, 3 3, 1 3, 1 1)))",
              isValid: false, planarArea: nil, invalidReason: "Self-intersection"),
        .init(name: "collapsed ring", wkt: "POLYGON((0 0, 1 0, 2 0, 0 0))", isValid: false, planarArea: nil,
              invalidReason: nil),
        .init(name: "empty polygon", wkt: "POLYGON EMPTY", isValid: true, planarArea: 0, invalidReason: nil),
    ]

    public static var valid: [CatalogueGeometry] { all.filter { $0.isValid && $0.planarArea != nil } }
    public static var invalid: [CatalogueGeometry] { all.filter { !$0.isValid } }
}

/// A FeatureCollection of one parcel feature (and a legacy "crs" member when given).
public func parcelDocument(geometry: String, properties: String = #"{"id":"NH-1","state":"farmland"}"#, crs: String? = nil) -> String {
    let crsMember = crs.map { #","crs":{"type":"name","properties":{"name":"\#($0)"}}"# } ?? ""
    return #"{"type":"FeatureCollection"\#(crsMember),"features":[{"type":"Feature","properties":\#(properties),"geometry":\#(geometry)}]}"#
}

/// A square of about 102 × 111 m at Nanhai, as GeoJSON coordinates.
public let nanhaiSquare = "[[113.1,23.05],[113.101,23.05],[113.101,23.051],[113.1,23.051],[113.1,23.05]]"
