/// One problem found in input data: what is wrong, in which feature, and where in it.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    public var severity: Severity
    /// What is wrong, as a typed code (its raw value is the stable text of the JSON outputs).
    public var code: DiagnosticCode
    public var message: String
    /// 1-based position of the feature in the file; nil for document-level problems.
    public var featureIndex: Int?
    /// The feature's id when it is known.
    public var featureID: String?
    /// Where inside the feature: "part 1, ring 0 (exterior), vertex 5", "properties.state", …
    public var location: String?
    /// The coordinates of the problem, in the file's own coordinates, when there is one.
    public var point: Point?

    public init(
        _ code: DiagnosticCode, _ message: String, severity: Severity = .error, featureIndex: Int? = nil,
        featureID: String? = nil, location: String? = nil, point: Point? = nil
    ) {
        self.severity = severity
        self.code = code
        self.message = message
        self.featureIndex = featureIndex
        self.featureID = featureID
        self.location = location
        self.point = point
    }

    /// "feature 12 (id "NH-000012")"
    public var featureText: String? {
        guard let featureIndex else { return featureID.map { "feature id \"\($0)\"" } }
        if let featureID { return "feature \(featureIndex) (id \"\(featureID)\")" }
        return "feature \(featureIndex)"
    }

    public var description: String {
        var head: [String] = []
        if let f = featureText { head.append(f) }
        if let location, !location.isEmpty { head.append(location) }
        var text = head.isEmpty ? "" : head.joined(separator: ", ") + ": "
        text += message
        if let point { text += " near \(point)" }
        if severity == .warning { text = "warning: " + text }
        return text
    }

    /// A geometry construction problem as a diagnostic of a feature.
    public init(_ problem: GeometryProblem, featureIndex: Int?, featureID: String?, point: Point? = nil) {
        self.init(problem.kind.code, problem.message, featureIndex: featureIndex, featureID: featureID,
                  location: problem.locationText.isEmpty ? nil : problem.locationText, point: point)
    }
}

/// Every kind of problem a file can have. Tests and callers match these cases, never a
/// message's wording; the raw values are what JSON outputs and the rejects file show.
public enum DiagnosticCode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case badBbox = "bad-bbox"
    case badCoordinates = "bad-coordinates"
    case badCrs = "bad-crs"
    case badDate = "bad-date"
    case badDeduction = "bad-deduction"
    case badFeature = "bad-feature"
    case badFeatures = "bad-features"
    case badGeometry = "bad-geometry"
    case badId = "bad-id"
    case badNesting = "bad-nesting"
    case badPbfFlag = "bad-pbf-flag"
    case badPosition = "bad-position"
    case badProperties = "bad-properties"
    case badRow = "bad-row"
    case badType = "bad-type"
    case changedSemantics = "changed-semantics"
    case coordinateOutOfRange = "coordinate-out-of-range"
    case crs = "crs"
    case deductionMismatch = "deduction-mismatch"
    case cutter = "cutter"
    case duplicateId = "duplicate-id"
    case duplicateMember = "duplicate-member"
    case duplicateRings = "duplicate-rings"
    case areaMismatch = "area-mismatch"
    case emptyGeometry = "empty-geometry"
    case encoding = "encoding"
    case geometry = "geometry"
    case geos = "geos"
    case holeOutsideShell = "hole-outside-shell"
    case interiorDisconnected = "interior-disconnected"
    case invalidGeometry = "invalid-geometry"
    case lineTooShort = "line-too-short"
    case missingCoordinates = "missing-coordinates"
    case missingFeatures = "missing-features"
    case missingGeometries = "missing-geometries"
    case missingGeometry = "missing-geometry"
    case missingProperties = "missing-properties"
    case missingType = "missing-type"
    case nestedHoles = "nested-holes"
    case noParcels = "no-parcels"
    case noState = "no-state"
    case nonFiniteCoordinate = "non-finite-coordinate"
    case notGeojson = "not-geojson"
    case notPolygonal = "not-polygonal"
    case nullGeometry = "null-geometry"
    case overlappingParts = "overlapping-parts"
    case projectionFailed = "projection-failed"
    case repaired = "repaired"
    case ringNotClosed = "ring-not-closed"
    case ringSelfIntersection = "ring-self-intersection"
    case ringTooShort = "ring-too-short"
    case selfIntersection = "self-intersection"
    case tooDeep = "too-deep"
    case tooFewPoints = "too-few-points"
    case unknownState = "unknown-state"
    case unknownType = "unknown-type"
    case unreadableSource = "unreadable-source"
    case zeroAreaRing = "zero-area-ring"

    public var description: String { rawValue }
}

extension GeometryProblem.Kind {
    /// The diagnostic code of a geometry construction problem.
    public var code: DiagnosticCode {
        switch self {
        case .nonFiniteCoordinate: .nonFiniteCoordinate
        case .ringNotClosed: .ringNotClosed
        case .ringTooShort: .ringTooShort
        case .lineTooShort: .lineTooShort
        case .emptyGeometry: .emptyGeometry
        }
    }
}
