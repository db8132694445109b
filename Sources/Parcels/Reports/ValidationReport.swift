import Geometry

/// The outcome of every import check on a file. `landtrack validate` prints this.
public struct ValidationReport: Sendable, RenderableReport {
    public let source: String
    public let info: ParcelFileInfo
    public let parcelCount: Int
    public let problems: [Diagnostic]
    /// The official-area cross-check, when the file has the field (`ParcelFields.officialArea`).
    public var officialAreas: OfficialAreas?
    /// Parcels that carry a deduction (扣除地类, 田坎), and the geodesic area deducted, m².
    public var deductions: (parcels: Int, squareMetres: Double) = (0, 0)

    public var isClean: Bool { !problems.contains { $0.severity == .error } }

    /// Runs the checks. Throws only when the file cannot be read at all; a document that is JSON
    /// but not GeoJSON at its root is reported as problems.
    public static func check(
        _ input: any FeatureSource, options: ParcelReadOptions = ParcelReadOptions(), progress: ((Int) -> Void)? = nil,
        officialArea: OfficialAreas? = nil
    ) throws(LandtrackError) -> ValidationReport {
        var count = 0
        var deducted = (parcels: 0, squareMetres: 0.0)
        var problems: [Diagnostic] = []
        let official = (officialArea ?? options.fields.officialArea.map { OfficialAreas(field: $0) }).map(OfficialAreaChecker.init)
        let info: ParcelFileInfo
        var options = options
        // A file's states are checked when it has them; without one a parcel is fine to validate
        // (an import then asks for a land-use code or --default-state).
        options.requireState = false
        do {
            info = try ParcelReader(options: options).read(input, parcel: { (p: Parcel) throws(LandtrackError) in
                count += 1
                progress?(count)
                if let d = p.deduction, d.ratio > 0 {
                    deducted.parcels += 1
                    deducted.squareMetres += p.deducted(from: p.areaSquareMetres)
                }
                if let mismatch = try official?.check(p, source: input.name) { problems.append(mismatch) }
            }, problem: { problems.append($0) })
        } catch let LandtrackError.invalidInput(_, rootProblems) {
            let crs = options.crs ?? .crs84
            info = ParcelFileInfo(source: input.name, declaredCRS: crs, effectiveCRS: crs, geographicCRS: crs,
                                  axisOrder: nil, featureCount: 0)
            problems = rootProblems
        }
        var report = ValidationReport(source: input.name, info: info, parcelCount: count, problems: problems)
        if let official, official.result.checked > 0 { report.officialAreas = official.result }
        report.deductions = deducted
        return report
    }

    public func json() -> String {
        var out = "{\"file\":"
        JSONValue.writeString(source, to: &out)
        out += ",\"valid\":\(isClean),\"feature_count\":\(info.featureCount),\"parcel_count\":\(parcelCount)"
        out += ",\"crs\":"
        JSONValue.writeString(info.effectiveCRS.description, to: &out)
        out += ",\"axis_order\":"
        JSONValue.writeString(info.axisOrder?.rawValue ?? "", to: &out)
        if let o = officialAreas {
            out += ",\"official_area\":" + JSONValue.object(JSONObject([
                ("field", .string(o.field)), ("checked", .number(Double(o.checked))), ("agreeing", .number(Double(o.agreeing))),
                ("tolerance_m2", .number(o.toleranceM2)), ("tolerance_ratio", .number(o.toleranceRatio)),
                ("method", .string("survey (TD/T 1055, CGCS2000)")),
            ])).jsonText
        }
        if deductions.parcels > 0 {
            out += ",\"deductions\":{\"parcel_count\":\(deductions.parcels),\"area_m2\":\(fixed(deductions.squareMetres, 4)),\"method\":\"geodesic\"}"
        }
        out += ",\"problems\":["
        for (i, d) in problems.enumerated() {
            if i > 0 { out += "," }
            var o = JSONObject()
            o.append("severity", .string(d.severity.rawValue))
            o.append("code", .string(d.code.rawValue))
            o.append("feature_index", d.featureIndex.map { .number(Double($0)) } ?? .null)
            o.append("feature_id", d.featureID.map { .string($0) } ?? .null)
            o.append("location", d.location.map { .string($0) } ?? .null)
            o.append("message", .string(d.message))
            o.append("x", d.point.map { .number($0.x) } ?? .null)
            o.append("y", d.point.map { .number($0.y) } ?? .null)
            out += "\n" + JSONValue.object(o).jsonText
        }
        out += "]}\n"
        return out
    }

    public func csv() -> String {
        var out = CSV.line(["severity", "code", "feature_index", "feature_id", "location", "message", "x", "y"])
        for d in problems {
            out += CSV.line([d.severity.rawValue, d.code.rawValue, d.featureIndex.map(String.init) ?? "", d.featureID ?? "",
                             d.location ?? "", d.message, d.point.map { String($0.x) } ?? "", d.point.map { String($0.y) } ?? ""])
        }
        return out
    }

    public func table() -> String {
        var out = "\(source): \(grouped(info.featureCount)) features, CRS \(info.effectiveCRS)"
        if let order = info.axisOrder { out += ", axis order \(order == .eastNorth ? "east/north (lon/lat)" : "north/east (lat/lon)")" }
        out += "\n"
        if let officialAreas { out += officialAreas.line + "\n" }
        if deductions.parcels > 0 {
            out += "deductions: \(grouped(deductions.parcels)) parcels carry one, \(fixed(deductions.squareMetres, 2)) m² = "
                + "\(fixed(deductions.squareMetres * 3 / 2000, 2)) mu deducted (geodesic; the net areas are the rest)\n"
        }
        if isClean {
            out += "valid: all \(grouped(parcelCount)) parcels pass every import check\n"
            let warnings = problems.filter { $0.severity == .warning }
            if !warnings.isEmpty { out += "\n" + warnings.map { "  " + $0.description + "\n" }.joined() }
            return out
        }
        let errors = problems.filter { $0.severity == .error }.count
        out += "\(grouped(errors)) problem\(errors == 1 ? "" : "s") in \(grouped(Set(problems.compactMap(\.featureIndex)).count)) feature(s); "
        out += "\(grouped(parcelCount)) parcels are clean\n\n"
        for d in problems { out += "  " + d.description + "\n" }
        return out
    }
}
