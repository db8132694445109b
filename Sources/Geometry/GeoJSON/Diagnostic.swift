/// One problem found in input data: what is wrong, in which feature, and where in it.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    public var severity: Severity
    /// A stable machine-readable code: "ring-not-closed", "self-intersection", "duplicate-id", …
    public var code: String
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
        _ code: String, _ message: String, severity: Severity = .error, featureIndex: Int? = nil,
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
        self.init(problem.kind.rawValue, problem.message, featureIndex: featureIndex, featureID: featureID,
                  location: problem.locationText.isEmpty ? nil : problem.locationText, point: point)
    }
}
