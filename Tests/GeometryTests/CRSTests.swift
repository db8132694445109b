import Testing
@testable import Geometry

@Suite("Coordinate reference systems")
struct CRSTests {
    @Test(arguments: [
        ("EPSG:4326", "EPSG:4326"), ("epsg:4490", "EPSG:4490"), ("urn:ogc:def:crs:EPSG::4526", "EPSG:4526"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84"), ("4547", "EPSG:4547"), ("OGC:CRS84", "OGC:CRS84"),
        ("http://www.opengis.net/def/crs/EPSG/0/4490", "EPSG:4490"),
    ])
    func namesAreNormalised(text: String, identifier: String) throws {
        #expect(try CoordinateReferenceSystem.resolve(text).identifier == identifier)
    }

    @Test(arguments: ["EPSG:999999", "nonsense", "EPSG:5773"])
    func unusableCRSsAreRefusedWithAReason(text: String) {
        #expect(throws: LandtrackError.self) { try CoordinateReferenceSystem.resolve(text) }
    }

    @Test func whatPROJSaysAboutTheCRSs() throws {
        let wgs = try CoordinateReferenceSystem.resolve("EPSG:4326")
        #expect(wgs.isGeographic && wgs.ellipsoid == .wgs84 && wgs.authorityAxisOrderIsNorthFirst)
        let cgcs = try CoordinateReferenceSystem.resolve("EPSG:4490")
        #expect(cgcs.ellipsoid == .cgcs2000 && cgcs.authorityAxisOrderIsNorthFirst)
        let gk = try CoordinateReferenceSystem.resolve("EPSG:4547")
        #expect(!gk.isGeographic)
        #expect(gk.ellipsoid == .cgcs2000)
        #expect(gk.geographicIdentifier == "EPSG:4490")
        #expect(gk.authorityAxisOrderIsNorthFirst)
        #expect(CoordinateReferenceSystem.crs84.authorityAxisOrderIsNorthFirst == false)
    }

    /// EPSG:4534–4554 are 3° zones 25–45 (CM 75°E–135°E), 4513–4533 the same with zone-prefixed
    /// eastings; 4502–4512 / 4491–4501 the 6° zones 13–23.
    @Test func gaussKrugerZoneArithmetic() throws {
        #expect(try CoordinateReferenceSystem.gaussKruger3Degree(containing: 113.1).identifier == "EPSG:4547")
        #expect(try CoordinateReferenceSystem.gaussKruger(zone: 38, prefixed: true).identifier == "EPSG:4526")
        #expect(try CoordinateReferenceSystem.gaussKruger(zone: 25).identifier == "EPSG:4534")
        #expect(try CoordinateReferenceSystem.gaussKruger(zone: 45).identifier == "EPSG:4554")
        #expect(try CoordinateReferenceSystem.gaussKruger(zone: 19, width: 6).identifier == "EPSG:4508")
        #expect(try CoordinateReferenceSystem.gaussKruger(zone: 19, width: 6, prefixed: true).identifier == "EPSG:4497")
        let z = try #require(try CoordinateReferenceSystem.resolve("EPSG:4526").gaussKrugerZone)
        #expect(z.zone == 38 && z.width == 3 && z.prefixed)
        #expect(throws: LandtrackError.self) { try CoordinateReferenceSystem.gaussKruger(zone: 50) }
        // PROJ agrees that 4526's false easting carries the zone: 114°E maps to 38 500 000.
        let t = try CoordinateTransform(from: .cgcs2000, to: try .resolve("EPSG:4526"))
        let p = try t.transform(Point(x: 114, y: 23))
        #expect(abs(p.x - 38_500_000) < 1e-6)
    }

    /// The Gauss-Krüger plane from WGS 84 or CGCS2000 longitude/latitude is built from its
    /// pipeline without asking PROJ's database; PROJ's own choice (proj_create_crs_to_crs, as
    /// for any other source) gives the same positions to the bit, forward and back, in every zone.
    @Test(arguments: ["OGC:CRS84", "EPSG:4326", "EPSG:4490"])
    func theDefinedPlaneIsPROJsChoice(source: String) throws {
        let crs = try CoordinateReferenceSystem.resolve(source)
        #expect(CoordinateTransform.conversionOnlySources.contains(crs.identifier))
        for meridian in stride(from: 75.0, through: 135.0, by: 3.0) {
            let defined = try CoordinateTransform.gaussKrugerPlane(from: crs, near: meridian + 0.4)
            let zone = try CoordinateReferenceSystem.gaussKruger3Degree(containing: meridian)
            let searched = try CoordinateTransform(from: crs, to: zone, sourceDefinition: crs.identifier == "OGC:CRS84" ? "EPSG:4326" : crs.identifier,
                                                   targetDefinition: zone.identifier)
            #expect(defined.target == searched.target)
            var lonlat: [Double] = []
            for i in 0..<200 { lonlat += [meridian - 1.5 + Double(i % 20) * 0.15, 18.0 + Double(i / 20) * 3.5] }
            var a = lonlat, b = lonlat
            try defined.transform(interleaved: &a)
            try searched.transform(interleaved: &b)
            #expect(a == b, "zone CM \(meridian)")
            #expect(a != lonlat)
            try defined.inverse(interleaved: &a)
            try searched.inverse(interleaved: &b)
            #expect(a == b, "zone CM \(meridian), back")
        }
    }

    /// A transformation's copy for another thread (proj_clone) is the same operation: every
    /// position, forward and back, to the bit; a copy of a copy too, and after its original is gone.
    @Test(arguments: ["EPSG:4326", "EPSG:4490"])
    func aCopiedTransformationGivesTheSamePositions(source: String) throws {
        var original: CoordinateTransform? = try CoordinateTransform.gaussKrugerPlane(from: try .resolve(source), near: 113.1)
        let copy = try #require(original).copy()
        var forward: [Double] = []
        for i in 0..<500 { forward += [111.6 + Double(i % 25) * 0.11, 21.5 + Double(i / 25) * 0.13] }
        var byOriginal = forward, byCopy = forward
        try #require(original).transform(interleaved: &byOriginal)
        try copy.transform(interleaved: &byCopy)
        #expect(byOriginal == byCopy && byOriginal != forward)
        original = nil
        let second = try copy.copy()
        var back = byCopy, backBySecond = byCopy
        try copy.inverse(interleaved: &back)
        try second.inverse(interleaved: &backBySecond)
        #expect(back == backBySecond)
        #expect(zip(back, forward).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(second.target.identifier == "EPSG:4547")
    }

    private func square(_ x: Double, _ y: Double, _ d: Double) throws -> Polygon {
        try Polygon(rings: [[(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)].map { try Point(x: $0.0, y: $0.1) }])
    }

    @Test func latitudeFirstFilesAreDetectedFromTheFirstPosition() throws {
        let normalizer = try CoordinateNormalizer(crs: .cgcs2000)
        // Written latitude first, as EPSG:4490 defines.
        let out = try normalizer.normalize([try square(23.05, 113.1, 0.001)])
        #expect(normalizer.axisOrder == .northEast)
        #expect(out[0].exterior.points[0] == (try Point(x: 113.1, y: 23.05)))
        // A later position in the other order is an error that says so.
        let later = try square(113.2, 23.06, 0.001)
        let error = #expect(throws: Diagnostic.self) { try normalizer.normalize([later]) }
        #expect(error?.code.rawValue == "coordinate-out-of-range")
        #expect(error?.message.contains("swapped") == true)
        #expect(error?.location?.contains("vertex 0") == true)
    }

    @Test func outOfRangeWithoutSwapIsStillAnError() throws {
        let normalizer = try CoordinateNormalizer(crs: .crs84)
        #expect(throws: Diagnostic.self) { try normalizer.normalize([try square(200, 95, 0.001)]) }
    }

    /// A plain zone code with zone-prefixed eastings is read with the prefixed CRS; the result is
    /// the same place as the lon/lat original.
    @Test(arguments: [("EPSG:4547", false), ("EPSG:4526", false), ("EPSG:4547", true)])
    func gaussKrugerFilesBecomeLongitudeLatitude(code: String, northFirst: Bool) throws {
        let toPlane = try CoordinateTransform(from: .cgcs2000, to: try .resolve(code == "EPSG:4547" && !northFirst ? "EPSG:4526" : code))
        let lonlat = [(113.1, 23.05), (113.101, 23.05), (113.101, 23.051), (113.1, 23.05)].map { Point(uncheckedX: $0.0, y: $0.1) }
        var plane = try toPlane.transform(lonlat)
        if northFirst { plane = plane.map { Point(uncheckedX: $0.y, y: $0.x) } }
        let normalizer = try CoordinateNormalizer(crs: try .resolve(code))
        let back = try normalizer.normalize([Polygon(exterior: try LinearRing(plane))])
        #expect(normalizer.axisOrder == (northFirst ? .northEast : .eastNorth))
        for (a, b) in zip(back[0].exterior.points, lonlat) {
            #expect(abs(a.x - b.x) < 1e-9 && abs(a.y - b.y) < 1e-9)
        }
        #expect(normalizer.geographicCRS.identifier == "EPSG:4490")
    }

    @Test func wrongZonePrefixIsAnError() throws {
        let normalizer = try CoordinateNormalizer(crs: try .resolve("EPSG:4526"))
        // Zone 39 eastings under a zone 38 CRS.
        let p = try Polygon(rings: [[(39_407_698.0, 2_550_435.0), (39_407_798, 2_550_435), (39_407_798, 2_550_535), (39_407_698, 2_550_435)]
            .map { try Point(x: $0.0, y: $0.1) }])
        let error = #expect(throws: Diagnostic.self) { try normalizer.normalize([p]) }
        #expect(error?.message.contains("zone prefix 39") == true)
    }
}
