import Foundation

/// RFC 7946 output: longitude/latitude, exterior rings counter-clockwise and holes clockwise
/// (§3.1.6), coordinates rounded to `precision` decimals (7 ≈ 1 cm).
public enum GeoJSONWriter {
    /// A Polygon (one part) or MultiPolygon geometry object.
    public static func geometry(_ polygons: [Polygon], precision: Int = 7) -> String {
        let scale = pow(10, Double(precision))
        func number(_ v: Double) -> String { JSONValue.numberText((v * scale).rounded() / scale) }
        func ring(_ r: LinearRing, counterClockwise: Bool) -> String {
            let points = r.isCounterClockwise == counterClockwise ? r.points : r.points.reversed()
            return "[" + points.map { "[\(number($0.x)),\(number($0.y))]" }.joined(separator: ",") + "]"
        }
        func polygon(_ p: Polygon) -> String {
            "[" + ([ring(p.exterior, counterClockwise: true)] + p.holes.map { ring($0, counterClockwise: false) })
                .joined(separator: ",") + "]"
        }
        if polygons.count == 1 {
            return "{\"type\":\"Polygon\",\"coordinates\":\(polygon(polygons[0]))}"
        }
        return "{\"type\":\"MultiPolygon\",\"coordinates\":[" + polygons.map(polygon).joined(separator: ",") + "]}"
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
