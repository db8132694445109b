import Foundation
import Geometry

/// Which state changes a programme allows. Refusal rules are checked first (any match refuses),
/// then a move needs an allowing rule. The built-in table is `TransitionRules.standard`; a
/// bureau tightens it with a JSON file of the same shape (`--rules FILE`):
///
///     {"rules": [
///       {"id": "R1", "from": ["wasteland"], "to": ["reclaimed_farmland", "eco_restored", "farmland"],
///        "effect": "allow", "reason": "…", "source": "…"},
///       {"id": "D1", "to": ["industrial_park"], "when": "basic_farmland", "effect": "refuse", "reason": "…"}
///     ]}
///
/// `from`/`to` omitted means any state; `when` is one of `basic_farmland`, `inside_eco_redline`;
/// `records` names what a move counts as in reports (`cultivated_land_loss`).
public struct TransitionRules: Sendable, Codable {
    public struct Rule: Sendable, Codable, Hashable {
        public enum Effect: String, Sendable, Codable { case allow, refuse }
        public enum Condition: String, Sendable, Codable { case basicFarmland = "basic_farmland", insideEcoRedline = "inside_eco_redline" }

        public var id: String
        public var from: [ParcelState]?
        public var to: [ParcelState]?
        public var when: Condition?
        public var effect: Effect
        public var reason: String
        public var source: String?
        public var records: String?

        public init(id: String, from: [ParcelState]? = nil, to: [ParcelState]? = nil, when: Condition? = nil,
                    effect: Effect, reason: String, source: String? = nil, records: String? = nil) {
            self.id = id
            self.from = from
            self.to = to
            self.when = when
            self.effect = effect
            self.reason = reason
            self.source = source
            self.records = records
        }

        func matches(_ move: Move) -> Bool {
            if let from, !from.contains(move.from) { return false }
            if let to, !to.contains(move.to) { return false }
            switch when {
            case nil: return true
            case .basicFarmland?: return move.basicFarmland
            case .insideEcoRedline?: return move.insideEcoRedline
            }
        }
    }

    /// A proposed change and the facts the rules look at.
    public struct Move: Sendable, Hashable {
        public var from: ParcelState
        public var to: ParcelState
        public var basicFarmland: Bool
        public var insideEcoRedline: Bool

        public init(from: ParcelState, to: ParcelState, basicFarmland: Bool, insideEcoRedline: Bool) {
            self.from = from
            self.to = to
            self.basicFarmland = basicFarmland
            self.insideEcoRedline = insideEcoRedline
        }
    }

    public enum Decision: Sendable, Hashable {
        case allowed(Rule)
        /// The refusing rule, or nil when no rule allows the move; and the states this parcel may move to.
        case refused(Rule?, allowed: [ParcelState])
    }

    public var rules: [Rule]

    public init(rules: [Rule]) { self.rules = rules }

    public func decide(_ move: Move) -> Decision {
        if let refusal = rules.first(where: { $0.effect == .refuse && $0.matches(move) }) {
            return .refused(refusal, allowed: allowedTargets(move))
        }
        if let allow = rules.first(where: { $0.effect == .allow && $0.matches(move) }) {
            return .allowed(allow)
        }
        return .refused(nil, allowed: allowedTargets(move))
    }

    /// Every state the parcel of `move` could move to under these rules.
    public func allowedTargets(_ move: Move) -> [ParcelState] {
        ParcelState.allCases.filter { target in
            var m = move
            m.to = target
            return target != move.from
                && !rules.contains { $0.effect == .refuse && $0.matches(m) }
                && rules.contains { $0.effect == .allow && $0.matches(m) }
        }
    }

    /// The built-in table.
    public static let standard = TransitionRules(rules: [
        Rule(id: "D1", to: [.industrialPark], when: .basicFarmland, effect: .refuse,
             reason: "permanent basic farmland may not become construction land",
             source: "土地管理法 第三十五条; 自然资规〔2019〕1号"),
        Rule(id: "D2", to: [.industrialPark], when: .insideEcoRedline, effect: .refuse,
             reason: "no new construction inside the ecological protection red line",
             source: "自然资发〔2022〕142号"),
        Rule(id: "R1", from: [.wasteland], to: [.reclaimedFarmland, .ecoRestored, .farmland], effect: .allow,
             reason: "abandoned land reclaimed into farmland or paddy, or re-greened"),
        Rule(id: "R2", from: [.industrialPark], to: [.reclaimedFarmland, .ecoRestored], effect: .allow,
             reason: "derelict village industrial land reclaimed or re-greened"),
        Rule(id: "R3", from: [.farmland], to: [.wasteland], effect: .allow,
             reason: "abandonment of cultivated land", records: "cultivated_land_loss"),
        Rule(id: "R4", from: [.reclaimedFarmland], to: [.farmland], effect: .allow,
             reason: "new cultivated land accepted into the farmland register"),
        Rule(id: "R5", from: [.other], to: [.reclaimedFarmland, .ecoRestored], effect: .allow,
             reason: "roads, yards or other land reclaimed or re-greened"),
    ])

    /// Reads a rules file; errors name the file and what is wrong.
    public static func load(path: String) throws(LandtrackError) -> TransitionRules {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, message: "cannot read the rules file")
        }
        do {
            let rules = try JSONDecoder().decode(TransitionRules.self, from: data)
            guard !rules.rules.isEmpty else { throw LandtrackError.invalidArgument("\(path): the rules file has no rules") }
            return rules
        } catch let error as LandtrackError {
            throw error
        } catch {
            throw .invalidArgument("\(path): not a rules file (\(error))")
        }
    }
}
