import Geometry

/// A file's official areas (the survey's 图斑面积 `TBMJ`) against landtrack's survey area
/// (TD/T 1055 on CGCS2000, the formula the survey uses): a parcel agrees when the two differ by
/// at most `toleranceM2` or by at most `toleranceRatio` of the official area. `validate` and
/// `import` run it (`OfficialAreaChecker`) on every parcel that has a numeric official area.
public struct OfficialAreas: Sendable {
    public var field: String
    public var toleranceM2 = 0.1
    public var toleranceRatio = 1e-4
    /// Parcels with a numeric official area, and how many of them agree.
    public fileprivate(set) var checked = 0
    public fileprivate(set) var agreeing = 0

    public init(field: String, toleranceM2: Double = 0.1, toleranceRatio: Double = 1e-4) {
        self.field = field
        self.toleranceM2 = toleranceM2
        self.toleranceRatio = toleranceRatio
    }

    /// A check of `checked` parcels that all agreed (default tolerances), as a file read earlier
    /// gave it.
    public init(field: String, allAgreeing checked: Int) {
        self.init(field: field)
        self.checked = checked
        agreeing = checked
    }

    /// "TBMJ: 1,998 of 2,000 parcels agree with the survey area …"
    public var line: String {
        "\(field): \(grouped(agreeing)) of \(grouped(checked)) parcels agree with the survey area (TD/T 1055, CGCS2000) within "
            + "\(JSONValue.numberText(toleranceM2)) m² or \(JSONValue.numberText(toleranceRatio)) of the official area"
    }
}

/// Runs `OfficialAreas` over a read, one parcel at a time (it holds the survey engine, made for
/// the reference meridian of the first parcel's 3° zone, as `area --method survey` does).
public final class OfficialAreaChecker {
    public private(set) var result: OfficialAreas
    private var engine: SurveyAreaEngine?

    public init(_ check: OfficialAreas) { result = check }

    /// Counts the parcel; a warning with both numbers when it does not agree, nil otherwise
    /// (and for a parcel without a numeric official area).
    public func check(_ p: Parcel, source: String) throws(LandtrackError) -> Diagnostic? {
        guard case let .number(stated)? = (try p.properties.object(owner: source))[result.field] else { return nil }
        if engine == nil {
            let first = p.polygons[0].exterior.points[0]
            engine = try SurveyAreaEngine(referenceMeridian: (first.x / 3).rounded() * 3)
        }
        let computed = try engine!.area(of: p.polygons)
        let difference = computed - stated
        result.checked += 1
        if abs(difference) <= result.toleranceM2 || abs(difference) <= result.toleranceRatio * abs(stated) {
            result.agreeing += 1
            return nil
        }
        return Diagnostic(
            .areaMismatch, "\(result.field) is \(fixed(stated, 2)) m², the survey area (TD/T 1055) is \(fixed(computed, 2)) m²: "
                + "\(difference > 0 ? "+" : "")\(fixed(difference, 2)) m² (\(fixed(difference / stated * 100, 4)) %)",
            severity: .warning, featureID: p.id)
    }
}
