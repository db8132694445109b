import Foundation

/// RFC 7946 output: longitude/latitude, exterior rings counter-clockwise and holes clockwise
/// (§3.1.6), coordinates rounded to `precision` decimals (7 ≈ 1 cm).
public enum GeoJSONWriter {
    /// A Polygon (one part) or MultiPolygon geometry object.
    public static func geometry(_ polygons: [Polygon], precision: Int = 7) -> String {
        let w = Coordinates(precision: precision)
        if polygons.count == 1 {
            return "{\"type\":\"Polygon\",\"coordinates\":\(w.polygon(polygons[0]))}"
        }
        return "{\"type\":\"MultiPolygon\",\"coordinates\":[" + polygons.map(w.polygon).joined(separator: ",") + "]}"
    }

    /// Any geometry, with its own type (lines and points too: constraint layers such as barriers).
    /// `northFirst` writes each position as [y, x] (a CRS whose first axis is north, e.g.
    /// EPSG:4490); rings are wound as RFC 7946 asks in the east-first plane all the same.
    public static func geometry(_ g: Geometry, precision: Int = 7, northFirst: Bool = false) -> String {
        let w = Coordinates(precision: precision, northFirst: northFirst)
        switch g {
        case let .point(p): return "{\"type\":\"Point\",\"coordinates\":\(w.position(p))}"
        case let .multiPoint(ps): return "{\"type\":\"MultiPoint\",\"coordinates\":[" + ps.map(w.position).joined(separator: ",") + "]}"
        case let .lineString(l): return "{\"type\":\"LineString\",\"coordinates\":\(w.line(l.points))}"
        case let .multiLineString(ls): return "{\"type\":\"MultiLineString\",\"coordinates\":[" + ls.map { w.line($0.points) }.joined(separator: ",") + "]}"
        case let .polygon(p): return "{\"type\":\"Polygon\",\"coordinates\":\(w.polygon(p))}"
        case let .multiPolygon(mp): return "{\"type\":\"MultiPolygon\",\"coordinates\":[" + mp.polygons.map(w.polygon).joined(separator: ",") + "]}"
        case let .geometryCollection(gs):
            return "{\"type\":\"GeometryCollection\",\"geometries\":[" + gs.map { geometry($0, precision: precision, northFirst: northFirst) }.joined(separator: ",") + "]}"
        }
    }

    /// Coordinate arrays rounded to `precision` decimals, rings wound as RFC 7946 asks.
    private struct Coordinates {
        let scale: Double
        var northFirst = false
        init(precision: Int, northFirst: Bool = false) {
            scale = pow(10, Double(precision))
            self.northFirst = northFirst
        }
        func number(_ v: Double) -> String { JSONValue.numberText((v * scale).rounded() / scale) }
        func position(_ p: Point) -> String { northFirst ? "[\(number(p.y)),\(number(p.x))]" : "[\(number(p.x)),\(number(p.y))]" }
        func line(_ points: [Point]) -> String { "[" + points.map(position).joined(separator: ",") + "]" }
        func ring(_ r: LinearRing, counterClockwise: Bool) -> String {
            line(r.isCounterClockwise == counterClockwise ? r.points : r.points.reversed())
        }
        func polygon(_ p: Polygon) -> String {
            "[" + ([ring(p.exterior, counterClockwise: true)] + p.holes.map { ring($0, counterClockwise: false) })
                .joined(separator: ",") + "]"
        }
    }

    /// A Feature with the given properties.
    public static func feature(id: String, properties: JSONObject, polygons: [Polygon], precision: Int = 7) -> String {
        var out = "{\"type\":\"Feature\",\"id\":"
        JSONValue.writeString(id, to: &out)
        out += ",\"properties\":" + JSONValue.object(properties).jsonText
        out += ",\"geometry\":" + geometry(polygons, precision: precision) + "}"
        return out
    }
}
