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
            """)

    @OptionGroup var input: ParcelFileOptions

    @Option(help: "Output format: table, json or csv.")
    var format: ReportFormat = .table

    func run() throws {
        let progress = ProgressLine("checking")
        defer { progress.finish() }
        let result: ValidationReport
        do {
            result = try ValidationReport.check(try input.input(), options: try input.readOptions(), progress: progress.update)
        } catch {
            _ = report(error)
            throw Exit.unreadable
        }
        progress.finish()
        print(result.render(format), terminator: "")
        if !result.isClean { throw Exit.problems }
    }
}
