import Geometry

/// The columns a parcel layer is written with for desktop GIS and the bureau's software:
/// landtrack's own names, or the survey's 地类图斑 (DLTB) fields.
public struct ExportSchema: Sendable {
    public struct Column: Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            case text(width: Int)
            case real(width: Int, precision: Int)
            case integer(width: Int)
        }

        public var name: String
        public var kind: Kind
        /// What the column holds, for the README and `--help`.
        public var meaning: String
    }

    public enum Layout: String, Sendable, CaseIterable {
        case standard, sandiao
    }

    public let layout: Layout
    public let columns: [Column]

    public init(_ layout: Layout) {
        self.layout = layout
        switch layout {
        case .standard:
            columns = [
                Column(name: "id", kind: .text(width: 64), meaning: "parcel id"),
                Column(name: "state", kind: .text(width: 20), meaning: "landtrack state"),
                Column(name: "basic_farmland", kind: .integer(width: 1), meaning: "1 for permanent basic farmland"),
                Column(name: "village", kind: .text(width: 100), meaning: "village"),
                Column(name: "landuse_code", kind: .text(width: 8), meaning: "GB/T 21010 land-use code"),
                Column(name: "area_m2", kind: .real(width: 18, precision: 4), meaning: "geodesic area, m²"),
                Column(name: "area_mu", kind: .real(width: 18, precision: 6), meaning: "geodesic area, mu"),
                Column(name: "deduction_ratio", kind: .real(width: 8, precision: 4), meaning: "deducted share (田坎)"),
                Column(name: "deduction_code", kind: .text(width: 8), meaning: "deducted class"),
                Column(name: "net_area_m2", kind: .real(width: 18, precision: 4), meaning: "geodesic area less the deduction, m²"),
            ]
        case .sandiao:
            columns = [
                Column(name: "BSM", kind: .text(width: 64), meaning: "标识码: the parcel id"),
                Column(name: "DLBM", kind: .text(width: 5), meaning: "地类编码: the land-use code as imported"),
                Column(name: "ZLDWMC", kind: .text(width: 100), meaning: "坐落单位名称: the village"),
                Column(name: "TBMJ", kind: .real(width: 15, precision: 2), meaning: "图斑面积: survey area (TD/T 1055, CGCS2000), m², 0.01"),
                Column(name: "KCDLBM", kind: .text(width: 5), meaning: "扣除地类编码"),
                Column(name: "KCXS", kind: .real(width: 6, precision: 4), meaning: "扣除地类系数"),
                Column(name: "KCMJ", kind: .real(width: 15, precision: 2), meaning: "扣除地类面积 = TBMJ × KCXS, 0.01"),
                Column(name: "TBDLMJ", kind: .real(width: 15, precision: 2), meaning: "图斑地类面积 = TBMJ − KCMJ"),
                Column(name: "LT_STATE", kind: .text(width: 20), meaning: "landtrack's state (not a survey field)"),
                Column(name: "LT_PBF", kind: .integer(width: 1), meaning: "1 for permanent basic farmland (not a survey field)"),
            ]
        }
    }

    /// The parcel's values in column order (`.null` for none); `surveyArea` is its TD/T 1055
    /// area (the survey layout's TBMJ), measured by the caller.
    public func row(_ p: Parcel, surveyArea: Double) -> [JSONValue] {
        func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
        switch layout {
        case .standard:
            return [.string(p.id), .string(p.state.rawValue), .number(p.basicFarmland ? 1 : 0), text(p.village), text(p.landuseCode),
                    .number(p.areaSquareMetres), .number(p.areaSquareMetres * 3 / 2000), .number(p.deduction?.ratio ?? 0),
                    text(p.deduction?.code), .number(p.netAreaSquareMetres)]
        case .sandiao:
            // As the survey writes them: each area rounded to 0.01 m², the net the difference.
            let tbmj = round2(surveyArea), ratio = p.deduction?.ratio ?? 0
            let kcmj = round2(tbmj * ratio)
            return [.string(p.id), text(p.landuseCode), text(p.village), .number(tbmj), text(p.deduction?.code), .number(ratio),
                    .number(kcmj), .number(round2(tbmj - kcmj)), .string(p.state.rawValue), .number(p.basicFarmland ? 1 : 0)]
        }
    }
}
