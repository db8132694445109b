/// Which coordinate comes first in a file's positions.
public enum AxisOrder: String, Sendable, CaseIterable {
    /// Longitude/latitude, easting/northing: GeoJSON's order.
    case eastNorth = "lonlat"
    /// Latitude/longitude, northing/easting: the EPSG order of EPSG:4490 and the CGCS2000 Gauss-Krüger CRSs.
    case northEast = "latlon"
}

/// Turns a file's positions into longitude/latitude degrees on the geographic CRS of the data,
/// checking every position: range, axis order, Gauss-Krüger zone prefixes.
///
/// Axis order: with `axisOrder` nil the first position decides: whichever order puts it in range
/// (in China a longitude is always larger than any latitude, and a Gauss-Krüger northing larger
/// than an easting without zone prefix); when both fit, GeoJSON's east-first order is assumed.
/// Every later position must be in range in that order, else its feature gets an error that
/// says when swapping would have fitted.
public final class CoordinateNormalizer {
    public let sourceCRS: CoordinateReferenceSystem
    /// The CRS of the output positions (longitude/latitude degrees).
    public let geographicCRS: CoordinateReferenceSystem
    public private(set) var axisOrder: AxisOrder?
    /// For Gauss-Krüger data: the CRS actually used after looking at the eastings (a plain zone
    /// CRS with zone-prefixed eastings is read as the prefixed CRS of the same zone).
    public private(set) var effectiveSourceCRS: CoordinateReferenceSystem
    private var transform: CoordinateTransform?

    public init(crs: CoordinateReferenceSystem, axisOrder: AxisOrder? = nil) throws(LandtrackError) {
        sourceCRS = crs
        effectiveSourceCRS = crs
        self.axisOrder = axisOrder
        if crs.isGeographic {
            geographicCRS = crs
        } else {
            geographicCRS = try CoordinateReferenceSystem.resolve(crs.geographicIdentifier)
        }
    }

    /// A normalizer for another thread that reads the rest of the file as this one would: same
    /// axis order and effective CRS, a PROJ transformation of its own. nil while this one has
    /// still to decide them from a first position.
    public func forked() -> CoordinateNormalizer? {
        guard let axisOrder, sourceCRS.isGeographic || transform != nil else { return nil }
        guard let copy = try? CoordinateNormalizer(crs: sourceCRS, axisOrder: axisOrder) else { return nil }
        copy.effectiveSourceCRS = effectiveSourceCRS
        if !sourceCRS.isGeographic {
            guard let made = try? CoordinateTransform(from: effectiveSourceCRS, to: geographicCRS) else { return nil }
            copy.transform = made
        }
        return copy
    }

    /// A normalised polygonal geometry, or a diagnostic naming the ring and vertex at fault.
    public func normalize(_ polygons: [Polygon]) throws(Diagnostic) -> [Polygon] {
        if axisOrder == nil, let first = polygons.first?.exterior.points.first {
            axisOrder = decideAxisOrder(first)
        }
        if !sourceCRS.isGeographic, transform == nil, let first = polygons.first?.exterior.points.first {
            try prepareProjected(first)
        }
        if axisOrder != .northEast, transform == nil, sourceCRS.isGeographic,
           polygons.allSatisfy({ Self.inLongitudeLatitudeRange($0.exterior) && $0.holes.allSatisfy(Self.inLongitudeLatitudeRange) }) {
            // Longitude/latitude already, every position in range: the polygons as they are (the
            // copy below made an array per ring for nothing; the loop finds the position at fault).
            return polygons
        }
        var out: [Polygon] = []
        out.reserveCapacity(polygons.count)
        for (partIndex, polygon) in polygons.enumerated() {
            let part = polygons.count > 1 ? partIndex : nil
            var rings: [LinearRing] = []
            for (ringIndex, ring) in polygon.rings.enumerated() {
                var points: [Point] = []
                points.reserveCapacity(ring.points.count)
                for (vertex, p) in ring.points.enumerated() {
                    let ordered = axisOrder == .northEast ? Point(uncheckedX: p.y, y: p.x) : p
                    if let problem = rangeProblem(ordered, original: p) {
                        let loc = GeometryProblem.locationText(part: part, ring: ringIndex, vertex: vertex)
                        throw Diagnostic(.coordinateOutOfRange, problem, location: loc)
                    }
                    points.append(ordered)
                }
                if let transform {
                    do {
                        points = try transform.transform(points)
                    } catch {
                        let loc = GeometryProblem.locationText(part: part, ring: ringIndex)
                        throw Diagnostic(.projectionFailed, "\(error)", location: loc)
                    }
                }
                rings.append(LinearRing(unchecked: points))
            }
            out.append(Polygon(exterior: rings[0], holes: Array(rings.dropFirst())))
        }
        return out
    }

    // MARK: Axis order and ranges

    private static func inLongitudeLatitudeRange(_ ring: LinearRing) -> Bool {
        ring.points.allSatisfy { abs($0.x) <= 180 && abs($0.y) <= 90 }
    }

    private func fits(_ p: Point) -> Bool {
        if sourceCRS.isGeographic { return abs(p.x) <= 180 && abs(p.y) <= 90 }
        guard let zone = sourceCRS.gaussKrugerZone else { return true }
        // Eastings of a zone: within ±1,000 km of 500,000 (plus the zone prefix when present);
        // a northing in China: below 10,000 km.
        let easting = p.x.truncatingRemainder(dividingBy: 1_000_000)
        let prefix = Int(p.x / 1_000_000)
        let prefixOK = prefix == 0 || prefix == zone.zone
        return p.x >= 0 && prefixOK && easting >= 0 && abs(p.y) < 10_000_000
    }

    private func decideAxisOrder(_ p: Point) -> AxisOrder {
        let swapped = Point(uncheckedX: p.y, y: p.x)
        switch (fits(p), fits(swapped)) {
        case (false, true): return .northEast
        case (true, false), (false, false): return .eastNorth
        case (true, true):
            if let zone = sourceCRS.gaussKrugerZone {
                // Both fit: the larger value is the northing unless it carries the zone prefix.
                let xPrefixed = Int(p.x / 1_000_000) == zone.zone
                let yPrefixed = Int(p.y / 1_000_000) == zone.zone
                if yPrefixed && !xPrefixed { return .northEast }
                if !xPrefixed && p.x > p.y && p.x > 1_000_000 { return .northEast }
            }
            return .eastNorth
        }
    }

    /// nil when the (reordered) position is acceptable.
    private func rangeProblem(_ p: Point, original: Point) -> String? {
        let order = axisOrder == .northEast ? "latitude/longitude" : "longitude/latitude"
        if sourceCRS.isGeographic {
            if abs(p.x) <= 180 && abs(p.y) <= 90 { return nil }
            let swappedFits = abs(p.y) <= 180 && abs(p.x) <= 90
            var text = "position \(original) read as \(order) is out of range "
                + "(longitude −180…180, latitude −90…90)"
            if swappedFits {
                text += "; its latitude and longitude look swapped (the file's first position was read as \(order); "
                    + "use --axis-order to say which order the file uses)"
            }
            return text
        }
        if let zone = sourceCRS.gaussKrugerZone {
            let prefix = Int(p.x / 1_000_000)
            let expectedPrefix = effectiveSourceCRS.gaussKrugerZone?.prefixed == true ? zone.zone : 0
            if prefix != expectedPrefix {
                return prefix == 0 || prefix == zone.zone
                    ? "easting \(p.x) \(prefix == 0 ? "lacks" : "carries") the zone prefix while the file's other eastings \(expectedPrefix == 0 ? "do not" : "do")"
                    : "easting \(p.x) carries zone prefix \(prefix), but \(sourceCRS) is zone \(zone.zone); wrong CRS or easting/northing swapped"
            }
            if abs(p.y) >= 10_000_000 { return "northing \(p.y) is out of range; easting and northing may be swapped" }
        }
        return nil
    }

    /// Picks the prefixed or plain variant of a Gauss-Krüger zone from the first easting and
    /// builds the transformation to geographic coordinates.
    private func prepareProjected(_ first: Point) throws(Diagnostic) {
        let p = axisOrder == .northEast ? Point(uncheckedX: first.y, y: first.x) : first
        do {
            if let zone = sourceCRS.gaussKrugerZone {
                let hasPrefix = Int(p.x / 1_000_000) == zone.zone
                if hasPrefix != zone.prefixed {
                    effectiveSourceCRS = try .gaussKruger(zone: zone.zone, width: zone.width, prefixed: hasPrefix)
                }
            }
            transform = try CoordinateTransform(from: effectiveSourceCRS, to: geographicCRS)
        } catch {
            throw Diagnostic(.crs, "\(error)")
        }
    }
}
