import ArgumentParser
import Geometry
import Parcels

struct AreaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "area",
        abstract: "Print each parcel's area (m², mu, ha) and the total, naming the method.",
        discussion: """
            Methods:
              geodesic  polygons with geodesic edges on the ellipsoid of the data's CRS (WGS 84 for \
            RFC 7946 files, CGCS2000 for EPSG:4490 and its projections); agrees with GeographicLib.
              survey    三调 ellipsoidal area (TD/T 1055-2019) on CGCS2000, edges over 70 m densified.
              planar    map-plane area in --planar-crs (default: the CGCS2000 3° Gauss-Krüger zone of the data).

            Every feature is checked first (as `landtrack validate` does); a file with problems gets \
            no areas, only the list of problems (exit 1).

            Examples:
              landtrack area geodata/nanhai-sample.geojson
              landtrack area parcels.geojson --method planar --planar-crs EPSG:4547 --format csv
              landtrack area parcels_4526.geojson --crs EPSG:4526 --format json
            """)

    @OptionGroup var input: ParcelFileOptions

    @Option(help: "Area method: geodesic, survey or planar.")
    var method: AreaMethod = .geodesic

    @Option(name: .customLong("planar-crs"), help: ArgumentHelp("Projected CRS for --method planar.", valueName: "EPSG:n"))
    var planarCRS: String?

    @Option(help: "Output format: table, json or csv.")
    var format: ReportFormat = .table

    func validate() throws {
        if let planarCRS {
            guard let crs = try? CoordinateReferenceSystem.resolve(planarCRS) else {
                throw ValidationError("--planar-crs \(planarCRS): not a CRS landtrack can use (give EPSG:n, e.g. EPSG:4547)")
            }
            guard !crs.isGeographic else {
                throw ValidationError("--planar-crs \(planarCRS) is a geographic CRS; planar area needs a projected one (e.g. EPSG:4547)")
            }
            guard method == .planar else { throw ValidationError("--planar-crs goes with --method planar") }
        }
    }

    func run() throws {
        let progress = ProgressLine("measuring")
        defer { progress.finish() }
        do {
            let planar = try planarCRS.map { (t: String) throws(LandtrackError) in try CoordinateReferenceSystem.resolve(t) }
            let report = try AreaReport.measure(try input.input(), method: method, options: try input.readOptions(),
                                                planarCRS: planar, progress: progress.update)
            progress.finish()
            print(report.render(format), terminator: "")
        } catch {
            throw report(error)
        }
    }
}
