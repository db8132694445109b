import ArgumentParser
import Geometry
import Parcels

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Run every check an import runs; exit 0 when the file is clean, 1 with the problems, 2 when unreadable.",
        discussion: """
            Checks: GeoJSON structure (RFC 7946), CRS and coordinate ranges (and whether latitude and \
            longitude look swapped), Polygon/MultiPolygon geometry, closed rings of 4+ positions, \
            finite coordinates, zero-area rings, self-intersections, holes outside shells, \
            overlapping multipolygon parts (GEOS isValidDetail), ids present and unique, known \
            state values and a readable basic-farmland flag.

            Examples:
              landtrack validate geodata/nanhai-sample.geojson
              landtrack validate parcels.geojson --format json > problems.json
              landtrack validate parcels.geojson --id-field BSM --state-field 状态
              landtrack validate DLTB.shp --schema sandiao --encoding GBK     # and TBMJ against the survey area
            """)

    @OptionGroup var input: ParcelFileOptions

    @Option(help: "Output format: table, json or csv.")
    var format: ReportFormat = .table

    @Option(name: .customLong("official-area-field"), help: ArgumentHelp(
        "A field of official areas (m²) to compare with landtrack's survey area (TD/T 1055); --schema sandiao sets TBMJ.", valueName: "NAME"))
    var officialAreaField: String?

    @Option(name: .customLong("area-tolerance"), help: "Official and survey areas agree within this many m²…")
    var areaTolerance = 0.1

    @Option(name: .customLong("area-tolerance-ratio"), help: "…or within this share of the official area.")
    var areaToleranceRatio = 1e-4

    func validate() throws {
        guard areaTolerance.isFinite, areaTolerance >= 0, areaToleranceRatio.isFinite, areaToleranceRatio >= 0 else {
            throw ValidationError("--area-tolerance and --area-tolerance-ratio must be numbers ≥ 0")
        }
    }

    func run() throws {
        let progress = ProgressLine("checking")
        defer { progress.finish() }
        let result: ValidationReport
        do {
            let options = try input.readOptions()
            let field = officialAreaField ?? options.fields.officialArea
            result = try ValidationReport.check(
                try input.input(), options: options, progress: progress.update,
                officialArea: field.map { OfficialAreas(field: $0, toleranceM2: areaTolerance, toleranceRatio: areaToleranceRatio) })
        } catch {
            _ = report(error)
            throw Exit.unreadable
        }
        progress.finish()
        print(result.render(format), terminator: "")
        if !result.isClean { throw Exit.problems }
    }
}
