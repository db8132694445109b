import Geometry

/// Each parcel's area and the total, by one named method. `landtrack area` prints this.
public struct AreaReport: Sendable, RenderableReport {
    public struct Row: Sendable, Hashable {
        public let id: String
        public let area: AreaMeasure
    }

    public let source: String
    public let method: AreaMethod
    public let methodDescription: String
    /// The ellipsoid the method works on (for planar: the projected CRS's).
    public let ellipsoid: String
    /// For planar areas: the projected CRS.
    public let planarCRS: String?
    /// The CRS the file's coordinates are in.
    public let sourceCRS: String
    public private(set) var rows: [Row] = []
    public private(set) var total = AreaMeasure.zero

    /// Reads `input` and measures every parcel as it is read (the parcels themselves are not
    /// kept, so memory stays small for large files). Throws `.invalidInput` listing every
    /// problem when any feature fails a check: no area is reported for a file with bad parcels.
    /// The Gauss-Krüger zone (planar) and reference meridian (survey) are those of the first
    /// parcel's first vertex.
    public static func measure(
        _ input: any FeatureSource, method: AreaMethod, options: ParcelReadOptions = ParcelReadOptions(),
        planarCRS: CoordinateReferenceSystem? = nil, progress: ((Int) -> Void)? = nil
    ) throws(LandtrackError) -> AreaReport {
        var rows: [Row] = []
        var problems: [Diagnostic] = []
        var engine: (any AreaEngine)?
        var geographicCRS = CoordinateReferenceSystem.crs84
        var sum = 0.0
        var options = options
        options.requireState = false  // areas need no states
        let info = try ParcelReader(options: options).read(input, start: { geographicCRS = $0 }, parcel: { (p: Parcel) throws(LandtrackError) in
            guard !problems.contains(where: { $0.severity == .error }) else { return }
            if engine == nil {
                engine = try makeAreaEngine(method, geographicCRS: geographicCRS,
                                            planarCRS: planarCRS, referenceLongitude: p.polygons[0].exterior.points[0].x)
            }
            let m2 = try engine!.area(of: p.polygons)
            sum += m2
            rows.append(Row(id: p.id, area: AreaMeasure(squareMetres: m2)))
            progress?(rows.count)
        }, problem: { problems.append($0) })
        guard !problems.contains(where: { $0.severity == .error }) else { throw .invalidInput(source: input.name, problems: problems) }
        let used: any AreaEngine
        if let engine { used = engine } else {
            // No parcels: the engine is only needed to name the method.
            used = try makeAreaEngine(method, geographicCRS: info.geographicCRS, planarCRS: planarCRS, referenceLongitude: 114)
        }

        let projected = (used as? PlanarAreaEngine)?.projectedCRS
        let ellipsoid = switch method {
        case .geodesic: info.geographicCRS.ellipsoid.name
        case .survey: Ellipsoid.cgcs2000.name
        case .planar: projected?.ellipsoid.name ?? ""
        }
        var report = AreaReport(source: input.name, method: method, methodDescription: used.methodDescription,
                                ellipsoid: ellipsoid, planarCRS: projected?.description, sourceCRS: info.effectiveCRS.description)
        report.rows = rows
        report.total = AreaMeasure(squareMetres: sum)
        return report
    }

    // MARK: Rendering

    /// `{"method", "ellipsoid", "features": [{"id", "area_m2", "area_mu", "area_ha"}], "total": {…}}`:
    /// scripts depend on this shape; keys are only ever added.
    public func json() -> String {
        func measure(_ a: AreaMeasure) -> String {
            "\"area_m2\":\(fixed(a.squareMetres, 4)),\"area_mu\":\(fixed(a.mu, 6)),\"area_ha\":\(fixed(a.hectares, 8))"
        }
        var out = "{\"method\":\"\(method.rawValue)\",\"ellipsoid\":"
        JSONValue.writeString(ellipsoid, to: &out)
        out += ",\"method_description\":"
        JSONValue.writeString(methodDescription, to: &out)
        out += ",\"crs\":"
        JSONValue.writeString(sourceCRS, to: &out)
        if let planarCRS {
            out += ",\"planar_crs\":"
            JSONValue.writeString(planarCRS, to: &out)
        }
        out += ",\"features\":["
        for (i, row) in rows.enumerated() {
            if i > 0 { out += "," }
            out += "\n{\"id\":"
            JSONValue.writeString(row.id, to: &out)
            out += ",\(measure(row.area))}"
        }
        out += "],\n\"total\":{\"count\":\(rows.count),\(measure(total))}}\n"
        return out
    }

    public func csv() -> String {
        var out = CSV.line(["id", "area_m2", "area_mu", "area_ha", "method"])
        let label = "\(method.rawValue) (\(planarCRS ?? ellipsoid))"
        for row in rows {
            out += CSV.line([row.id, fixed(row.area.squareMetres, 4), fixed(row.area.mu, 6), fixed(row.area.hectares, 8), label])
        }
        out += CSV.line(["(total)", fixed(total.squareMetres, 4), fixed(total.mu, 6), fixed(total.hectares, 8), label])
        return out
    }

    public func table() -> String {
        var t = TextTable(headers: ["id", "area (m²)", "area (mu)", "area (ha)"], rightAligned: [1, 2, 3])
        for row in rows {
            t.append([row.id, fixed(row.area.squareMetres, 2), fixed(row.area.mu, 4), fixed(row.area.hectares, 4)])
        }
        t.append(["total (\(grouped(rows.count)) parcels)", fixed(total.squareMetres, 2), fixed(total.mu, 4), fixed(total.hectares, 4)])
        return "\(source)\nmethod: \(methodDescription)\nsource CRS: \(sourceCRS)\n1 mu = 2000/3 m², 1 ha = 15 mu\n\n" + t.render()
    }
}
