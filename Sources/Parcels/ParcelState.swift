import Foundation

/// Where a parcel stands in a consolidation programme.
public enum ParcelState: String, Sendable, CaseIterable, Hashable, Codable {
    /// 撂荒地: derelict or abandoned land.
    case wasteland
    /// 耕地: existing cultivated land.
    case farmland
    /// 垦造/复垦耕地: new cultivated land made by reclamation, paddy included.
    case reclaimedFarmland = "reclaimed_farmland"
    /// 村级工业园/其他建设用地: village-level industrial or other construction land.
    case industrialPark = "industrial_park"
    /// 复绿/生态修复: re-greened, ecologically restored land.
    case ecoRestored = "eco_restored"
    /// Roads, water, settlements: context for the programme.
    case other

    /// The case's position in `allCases`, through a switch: per-parcel tallies index arrays with
    /// it instead of hashing the state (a million parcels, two lookups each, took 0.1–0.2 s).
    public var ordinal: Int {
        switch self {
        case .wasteland: 0
        case .farmland: 1
        case .reclaimedFarmland: 2
        case .industrialPark: 3
        case .ecoRestored: 4
        case .other: 5
        }
    }

    /// The Chinese name used in programme documents.
    public var chineseName: String {
        switch self {
        case .wasteland: "撂荒地"
        case .farmland: "耕地"
        case .reclaimedFarmland: "垦造耕地"
        case .industrialPark: "村级工业园"
        case .ecoRestored: "复绿"
        case .other: "其他"
        }
    }

    /// Chinese names accepted on input, besides `chineseName`.
    static let aliases: [String: ParcelState] = [
        "撂荒地": .wasteland, "荒地": .wasteland, "闲置地": .wasteland,
        "耕地": .farmland,
        "垦造耕地": .reclaimedFarmland, "复垦耕地": .reclaimedFarmland, "新增耕地": .reclaimedFarmland,
        "垦造水田": .reclaimedFarmland, "复垦": .reclaimedFarmland,
        "村级工业园": .industrialPark, "工业园": .industrialPark, "建设用地": .industrialPark,
        "复绿": .ecoRestored, "生态修复": .ecoRestored, "复绿复垦": .ecoRestored,
        "其他": .other, "其它": .other,
    ]

    /// Reads a state from data: the English names (any case, '-' or ' ' for '_') or a Chinese alias.
    public init?(parsing text: String) {
        // Exact names first: this runs once per parcel.
        if let state = ParcelState(rawValue: text) {
            self = state
            return
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let normalized = trimmed.lowercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: " ", with: "_")
        if let state = ParcelState(rawValue: normalized) {
            self = state
        } else if let state = Self.aliases[trimmed] {
            self = state
        } else {
            return nil
        }
    }

    /// "wasteland, farmland, …" for error messages.
    public static var vocabulary: String {
        allCases.map { "\($0.rawValue) (\($0.chineseName))" }.joined(separator: ", ")
    }
}
