import Geometry

/// The refusals of an error, for tests that match cases rather than messages.
public func reasons(_ error: LandtrackError?) -> [Refusal.Reason] { error?.refusals.map(\.reason) ?? [] }

/// The transition-table refusals of an error: parcel, refusing rule (nil: no rule allows it), states allowed.
public func refusedMoves(_ error: LandtrackError?) -> [(parcel: String, from: String, to: String, rule: String?, allowed: [String])] {
    reasons(error).compactMap {
        if case let .illegalTransition(parcel, from, to, rule, _, allowed) = $0 { return (parcel, from, to, rule, allowed) }
        return nil
    }
}

/// The re-parcelling problems of an error.
public func reparcellingProblems(_ error: LandtrackError?) -> [ReparcellingProblem] {
    reasons(error).compactMap { if case let .reparcelling(p) = $0 { return p } else { return nil } }
}
