import Foundation

// Beside LandtrackError because the one error enum must be visible from every target: the
// reasons carry states and ids as text, since Geometry knows no parcel types.

/// Why the parcel store refused a change. The store refuses a request as a whole, so a refused
/// request changed nothing; `LandtrackError.refused` carries every reason found. Callers and
/// tests match `reason`, never the sentence; `description` is what a planner reads.
public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// No parcel with this id in the store.
        case unknownParcel(String)
        /// The parcel was retired by a split or merge; changes go to its successors.
        case retiredParcel(String)
        /// The change is dated before the parcel's last event (history is written in date order).
        case datedBeforeHistory(parcel: String, date: String, lastEvent: String)
        /// The parcel already is what the change asks for.
        case noChange(parcel: String, what: String)
        /// The transition table refuses the move (`rule` is the refusing rule, nil when no rule
        /// allows it); `allowed` are the states this parcel may move to.
        case illegalTransition(parcel: String, from: String, to: String, rule: String?, reason: String, allowed: [String])
        /// A new parcel would take an id the store already has.
        case parcelExists(String)
        /// An id the store cannot hold (empty, too long, control characters).
        case invalidID(id: String, problem: String)
        /// A merge or split whose geometry or attributes do not allow it.
        case reparcelling(ReparcellingProblem)
        /// A parcel changed between the moment a change was computed and the moment it was written.
        case changedMeanwhile(String)
    }

    public var reason: Reason
    /// Where the request came from, when it is one of many: "changes.csv row 4", "feature 12".
    public var origin: String?

    public init(_ reason: Reason, origin: String? = nil) {
        self.reason = reason
        self.origin = origin
    }

    /// A stable machine-readable name of the reason (JSON outputs).
    public var code: String {
        switch reason {
        case .unknownParcel: "unknown-parcel"
        case .retiredParcel: "retired-parcel"
        case .datedBeforeHistory: "dated-before-history"
        case .noChange: "no-change"
        case .illegalTransition: "illegal-transition"
        case .parcelExists: "parcel-exists"
        case .invalidID: "invalid-id"
        case .reparcelling: "reparcelling"
        case .changedMeanwhile: "changed-meanwhile"
        }
    }

    /// The parcel the refusal is about, when it is about one.
    public var parcelID: String? {
        switch reason {
        case let .unknownParcel(id), let .retiredParcel(id), let .parcelExists(id), let .changedMeanwhile(id): id
        case let .datedBeforeHistory(id, _, _), let .noChange(id, _), let .illegalTransition(id, _, _, _, _, _): id
        case let .invalidID(id, _): id
        case .reparcelling: nil
        }
    }

    public var description: String {
        let prefix = origin.map { "\($0): " } ?? ""
        switch reason {
        case let .unknownParcel(id):
            return prefix + "no parcel \(quoted(id)) in the store"
        case let .retiredParcel(id):
            return prefix + "parcel \(quoted(id)) was retired by a split or merge; change its successors instead"
        case let .datedBeforeHistory(id, date, last):
            return prefix + "parcel \(quoted(id)): the change is dated \(date), before the parcel's last event (\(last))"
        case let .noChange(id, what):
            return prefix + "parcel \(quoted(id)) is already \(what)"
        case let .illegalTransition(id, from, to, rule, reason, allowed):
            let why = rule.map { "rule \($0) refuses it: \(reason)" } ?? "no rule allows \(from) → \(to)"
            return prefix + "parcel \(quoted(id)) cannot move \(from) → \(to): \(why); moves allowed from \(from) for this parcel: "
                + (allowed.isEmpty ? "none" : allowed.joined(separator: ", "))
        case let .parcelExists(id):
            return prefix + "parcel \(quoted(id)) already exists; choose another id"
        case let .invalidID(id, problem):
            return prefix + "the id \(quoted(id)) cannot be used: \(problem)"
        case let .reparcelling(problem):
            return prefix + problem.description
        case let .changedMeanwhile(id):
            return prefix + "parcel \(quoted(id)) was changed by someone else while this change was prepared; try again"
        }
    }
}

/// Why a merge or split cannot be done.
public enum ReparcellingProblem: Sendable, Hashable, CustomStringConvertible {
    case tooFewParcels
    case parcelNamedTwice(String)
    case mixedStates([String])
    case mixedBasicFarmland
    case notTouching(parcels: [String], gapMetres: Double)
    case areaMismatch(operation: String, result: Double, expected: Double, tolerance: Double)
    case doesNotCross(parcel: String, cutter: String)
    case nameCount(pieces: Int, names: Int)
    case nameTwice(String)
    case notPolygonal(String)

    public var description: String {
        switch self {
        case .tooFewParcels: return "a merge needs at least two parcels"
        case let .parcelNamedTwice(id): return "parcel \(quoted(id)) is named twice in the merge"
        case let .mixedStates(states): return "the parcels are in different states (\(states.joined(separator: ", "))); move them to one state first"
        case .mixedBasicFarmland: return "some of the parcels are permanent basic farmland and some are not; designate or release first"
        case let .notTouching(ids, gap):
            return "\(ids.joined(separator: ", ")) do not touch the other parcels (nor lie within \(gap) m of them, measured in the Gauss-Krüger plane)"
        case let .areaMismatch(operation, result, expected, tolerance):
            let what = operation == "merge" ? "the merged parcel's area" : "the pieces' areas add up to"
            return "\(operation): \(what) \(String(format: "%.4f", result)) m², the parts have \(String(format: "%.4f", expected)) m²: off by \(String(format: "%.4f", result - expected)) m² (more than \(tolerance) m² is refused; do the parts overlap?)"
        case let .doesNotCross(id, cutter): return "the split \(cutter) does not cross parcel \(quoted(id)): it would leave one piece"
        case let .nameCount(pieces, names): return "the split gives \(pieces) pieces but \(names) names were given"
        case let .nameTwice(name): return "the name \(quoted(name)) is given twice for the pieces"
        case let .notPolygonal(what): return "\(what) is not polygonal"
        }
    }
}

/// Why a store cannot be used as asked.
public enum StoreFailure: Sendable, Hashable, CustomStringConvertible {
    /// No store at the location (and the command does not create one).
    case missing
    /// Not a GeoPackage (or not a database the backend knows).
    case notAStore(String)
    /// The database server cannot be reached, or refused the connection (its words).
    case unreachable(String)
    /// Another process holds the write lock.
    case locked
    /// The store (or its file) cannot be written.
    case readOnly
    /// Written by a newer landtrack.
    case newerSchema
    /// Written by an older landtrack, opened read-only: a writing command upgrades it.
    case olderSchema
    /// A value read back is not valid: the store was damaged or written by something else.
    case corrupt(String)
    /// The store's file was deleted or replaced since it was opened: a write would go to a file
    /// no one else sees, so it is refused.
    case replaced
    /// Any other database error, with the database's own words.
    case database(String)

    public var description: String {
        switch self {
        case .missing: "no store here; import parcels first: landtrack import FILE --db LOCATION"
        case let .notAStore(why): why
        case let .unreachable(why): "cannot connect to the database: \(why)"
        case .locked: "the store is locked by another landtrack process (try again when it has finished)"
        case .readOnly: "the store is read-only"
        case .newerSchema: "this store was written by a newer landtrack; upgrade landtrack to use it"
        case .olderSchema: "this store was written by an older landtrack; any writing command (e.g. an import) upgrades it"
        case let .corrupt(what): "damaged store: \(what)"
        case .replaced: "the store file was deleted or replaced after it was opened; nothing was written (restart with the file in place)"
        case let .database(message): "database error: \(message)"
        }
    }
}

/// A text in double quotes with its control characters escaped, so that an id with a NUL
/// or a newline is shown as what it is.
public func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x22: out += "\\\""
        case 0x5C: out += "\\\\"
        case 0..<0x20, 0x7F: out += String(format: "\\u%04X", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
