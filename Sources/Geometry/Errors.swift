/// The one error type of the landtrack libraries. Every failure that reaches a user is one of
/// these cases, and `description` is the sentence the CLI prints.
public enum LandtrackError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A GEOS call failed: the GEOS function that was called and the message its error handler gave.
    case geos(operation: String, message: String)
    /// A PROJ call failed: what was attempted and PROJ's own error text.
    case proj(operation: String, message: String)
    /// A geometry value could not be built (unclosed ring, too few points, non-finite coordinate).
    case geometry(GeometryProblem)
    /// The input is not well-formed JSON.
    case json(JSONSyntaxError)
    /// The input is JSON but not acceptable GeoJSON / parcel data; carries every problem found.
    case invalidInput(source: String, problems: [Diagnostic])
    /// A file could not be read or written.
    case io(path: String, message: String)
    /// A caller passed an argument that cannot be used (unknown CRS code, bad option value).
    case invalidArgument(String)
    /// The store refused a change (all of it: nothing was written); every reason found.
    case refused([Refusal])
    /// The store cannot be used as asked: missing, locked, read-only, newer, damaged.
    case store(location: String, StoreFailure)
    /// A library landtrack loads on first use (GDAL, for survey data) could not be loaded: its file
    /// name and why (the dynamic loader's message, or the function it lacks).
    case library(name: String, message: String)

    public var description: String {
        switch self {
        case let .geos(operation, message):
            return "GEOS \(operation) failed: \(message.isEmpty ? "no message from GEOS" : message)"
        case let .proj(operation, message):
            return "PROJ \(operation) failed: \(message)"
        case let .geometry(problem):
            return problem.description
        case let .json(error):
            return error.description
        case let .invalidInput(source, problems):
            let shown = problems.prefix(20).map { "  " + $0.description }.joined(separator: "\n")
            let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
            return "\(source): \(problems.count) problem\(problems.count == 1 ? "" : "s")\n\(shown)\(more)"
        case let .io(path, message):
            return "\(path): \(message)"
        case let .invalidArgument(message):
            return message
        case let .refused(refusals):
            if refusals.count == 1 { return "refused: " + refusals[0].description }
            let shown = refusals.prefix(20).map { "  " + $0.description }.joined(separator: "\n")
            let more = refusals.count > 20 ? "\n  … and \(refusals.count - 20) more" : ""
            return "refused (\(refusals.count) reasons; nothing was changed)\n\(shown)\(more)"
        case let .store(location, failure):
            return "\(location): \(failure)"
        case let .library(name, message):
            return "cannot load \(name): \(message)"
        }
    }
}

extension LandtrackError {
    /// The refusals of a `.refused` error (empty for every other case): what tests match.
    public var refusals: [Refusal] {
        if case let .refused(r) = self { return r }
        return []
    }

    /// The failure of a `.store` error.
    public var storeFailure: StoreFailure? {
        if case let .store(_, f) = self { return f }
        return nil
    }
}

/// Why a geometry value could not be built, and where in it.
public struct GeometryProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case nonFiniteCoordinate = "non-finite-coordinate"
        case ringNotClosed = "ring-not-closed"
        case ringTooShort = "ring-too-short"
        case lineTooShort = "line-too-short"
        case emptyGeometry = "empty-geometry"
    }
    public var kind: Kind
    public var message: String
    /// Ring index within a polygon: 0 is the exterior, 1… the holes.
    public var ring: Int?
    /// Polygon index within a multipolygon.
    public var part: Int?
    /// Vertex index within the ring or line.
    public var vertex: Int?

    public init(_ kind: Kind, _ message: String, part: Int? = nil, ring: Int? = nil, vertex: Int? = nil) {
        self.kind = kind
        self.message = message
        self.part = part
        self.ring = ring
        self.vertex = vertex
    }

    /// "part 2, ring 0 (exterior), vertex 5"
    public var locationText: String { Self.locationText(part: part, ring: ring, vertex: vertex) }

    /// Where in a (multi)polygon: "part 2, ring 0 (exterior), vertex 5"; empty when nothing is given.
    public static func locationText(part: Int? = nil, ring: Int? = nil, vertex: Int? = nil) -> String {
        var pieces: [String] = []
        if let part { pieces.append("part \(part)") }
        if let ring { pieces.append(ring == 0 ? "ring 0 (exterior)" : "ring \(ring) (hole \(ring))") }
        if let vertex { pieces.append("vertex \(vertex)") }
        return pieces.joined(separator: ", ")
    }

    public var description: String {
        let loc = locationText
        return loc.isEmpty ? message : "\(message) at \(loc)"
    }

    func located(part: Int? = nil, ring: Int? = nil) -> GeometryProblem {
        var copy = self
        if let part { copy.part = part }
        if let ring { copy.ring = ring }
        return copy
    }
}
