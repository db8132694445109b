import Foundation
import Geometry
import Hummingbird
import ParcelMap
import Parcels
import Planner
import Store

/// The planner's reports: the CLI's commands, with query parameters named as the CLI's options
/// (`?as-of=2024-12-31&by=village,state`), answering the CLI's `--format json` text.
extension API {
    /// `area=net|gross` (the CLI's `--area`); nil: net when the parcels carry deductions.
    func areaBasis(_ request: Request) throws -> AreaBasis? {
        guard let text = query(request, "area") else { return nil }
        guard let basis = AreaBasis(rawValue: text) else { throw APIError.badRequest("area: '\(text)' is not net or gross") }
        return basis
    }

    func summary(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        var keys: [SummaryReport.Key] = [.state]
        if let text = query(request, "by") {
            keys = try text.split(separator: ",").map { k in
                guard let key = SummaryReport.Key(rawValue: String(k)) else {
                    throw APIError.badRequest("by: '\(k)' is not one of \(SummaryReport.Key.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return key
            }
        }
        var method = AreaMethod.geodesic
        if let text = query(request, "area-method") {
            guard let m = AreaMethod(rawValue: text) else {
                throw APIError.badRequest("area-method: '\(text)' is not one of \(AreaMethod.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            method = m
        }
        let date = try date(request, "as-of")
        let basis = try areaBasis(request)
        let (settledKeys, settledMethod) = (keys, method)
        return reply(try await offload(.report) { () throws -> String in
            let snapshot = try store.snapshot(asOf: date, content: settledMethod == .geodesic ? [] : .geometry)
            return try SummaryReport(parcels: snapshot.parcels, crs: snapshot.crs, by: settledKeys, method: settledMethod, asOf: date, basis: basis).json()
        })
    }

    func changes(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        guard let from = try date(request, "from"), let to = try date(request, "to") else {
            throw APIError.badRequest("changes need from and to: /changes?from=2023-01-01&to=2025-12-31")
        }
        guard from <= to else { throw APIError.badRequest("from \(from) is after to \(to)") }
        let ref = query(request, "ref")
        let basis = try areaBasis(request)
        return reply(try await offload(.report) { try ChangesReport.load(from: store, from: from, to: to, ref: ref, basis: basis).json() })
    }

    func contiguity(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        var options = ContiguityReport.Options()
        if try flag(request, "all") { options.states = nil }
        if let text = query(request, "states") {
            options.states = Set(try text.split(separator: ",").map { s in
                guard let state = ParcelState(parsing: String(s)) else {
                    throw APIError.badRequest("states: '\(s)' is not one of \(ParcelState.vocabulary)")
                }
                return state
            })
        }
        options.basicFarmlandOnly = try flag(request, "pbf-only")
        options.gapMetres = try number(request, "gap", range: 0...1000) ?? 0
        options.minimumMu = try number(request, "min-mu", range: 0...1e9) ?? 0
        let format = query(request, "format") ?? "json"
        guard format == "json" || format == "geojson" else { throw APIError.badRequest("format: json or geojson") }
        options.outlines = format == "geojson"
        let barriers = try flag(request, "barriers")
        let date = try date(request, "as-of")
        let settled = options
        let text = try await offload(.report) { () throws -> String in
            var options = settled
            let snapshot = try store.snapshot(asOf: date, content: .geometry)
            if barriers { options.barriers = try snapshot.barrierGeometries() }
            let report = try ContiguityReport.analyse(snapshot.parcels, crs: snapshot.crs, options: options)
            return format == "geojson" ? report.geojson() : report.json()
        }
        return reply(text, type: format == "geojson" ? "application/geo+json" : "application/json")
    }

    func checks(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        var options = CheckOptions()
        if let text = query(request, "rules") {
            options.rules = Set(try text.split(separator: ",").map { r in
                guard let rule = PlannerRule(rawValue: String(r)) else {
                    throw APIError.badRequest("rules: '\(r)' is not a rule; rules: \(PlannerRule.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return rule
            })
        }
        options.asOf = try date(request, "as-of")
        options.from = try date(request, "from")
        options.programme = query(request, "programme")
        options.pbfMinimumMu = try number(request, "pbf-min-mu", range: 0...1e9) ?? options.pbfMinimumMu
        options.overlapThreshold = try number(request, "max-overlap-m2", range: 0...1e12) ?? options.overlapThreshold
        options.minimumConstruction = try number(request, "min-construction-m2", range: 0...1e12) ?? options.minimumConstruction
        options.minimumFarmland = try number(request, "min-farmland-m2", range: 0...1e12) ?? options.minimumFarmland
        options.minimumOther = try number(request, "min-other-m2", range: 0...1e12) ?? options.minimumOther
        options.areaBasis = try areaBasis(request)
        let settled = options
        return reply(try await offload(.report) { try CheckReport.load(from: store, options: settled).json() })
    }

    func history(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await authorize(request, needs: .viewer)
        let id = context.parameters.get("id")?.removingPercentEncoding ?? ""
        return reply(try await offload { try historyJSON(id) })
    }

    func map(_ request: Request) async throws -> Response {
        try await authorize(request, needs: .viewer)
        var options = MapOptions()
        options.title = "landtrack: \(URL(fileURLWithPath: store.location).lastPathComponent)"
        if let text = query(request, "compare") {
            let dates = try text.split(separator: ",").map { t in
                do { return try CalendarDate(parsing: String(t)) } catch { throw APIError.badRequest("compare: '\(t)' is not a date") }
            }
            guard dates.count == 2, dates[0] < dates[1] else { throw APIError.badRequest("compare: two dates, the earlier first: compare=2023-01-01,2025-12-31") }
            options.dates = dates
        } else if let date = try date(request, "as-of") {
            options.dates = [date]
        }
        options.contiguity.gapMetres = try number(request, "gap", range: 0...1000) ?? 0
        options.checks.pbfMinimumMu = try number(request, "pbf-min-mu", range: 0...1e9) ?? options.checks.pbfMinimumMu
        options.checks.areaBasis = try areaBasis(request)
        let settled = options
        return reply(try await offload(.report) { try MapPage.render(store: store, options: settled).html }, type: "text/html; charset=utf-8")
    }
}
