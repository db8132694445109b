import ArgumentParser
import Foundation
import Geometry
import ParcelMap
import Parcels
import Store
import Planner

struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Write the programme as one self-contained HTML map (works offline).",
        discussion: """
            The page shows the parcels coloured by state, permanent basic farmland hatched, the \
            contiguous farmland blocks outlined and labelled in mu, parcels in violated rules \
            outlined in red, the constraint layers, a scale bar and a north arrow; scroll to zoom, \
            drag to pan, hover or click a parcel for its state, area and history. Beside the map: \
            the summary by state and the checks. Open the file in any browser.

            Examples:
              landtrack map programme.html
              landtrack map map-2024.html --as-of 2024-12-31
              landtrack map before-after.html --compare 2023-01-01 2025-12-31
              landtrack map blocks.html --gap 10 --pbf-min-mu 20
            """)

    @Argument(help: ArgumentHelp("The HTML file to write.", valueName: "OUT.html"))
    var output: String

    @OptionGroup var store: StoreOption

    @Option(name: .customLong("as-of"), help: ArgumentHelp("Draw the programme as it stood on this date.", valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(name: .customLong("compare"), parsing: .upToNextOption,
            help: ArgumentHelp("Two dates: the programme before and after, side by side.", valueName: "YYYY-MM-DD"))
    var compare: [String] = []

    @Option(help: "Largest gap in metres that still joins two parcels into a block.")
    var gap = 0.0

    @Option(name: .customLong("pbf-min-mu"), help: "Smallest acceptable PBF block, mu (the pbf-fragmentation check).")
    var pbfMinMu = 10.0

    @OptionGroup var area: AreaBasisOption

    @Option(help: "The page's title.")
    var title = "landtrack: land consolidation programme"

    func validate() throws {
        guard output.lowercased().hasSuffix(".html") || output.lowercased().hasSuffix(".htm") else {
            throw ValidationError("the map is an HTML file: give OUT.html")
        }
        if asOf != nil && !compare.isEmpty { throw ValidationError("give --as-of or --compare, not both") }
        if !compare.isEmpty {
            guard compare.count == 2 else { throw ValidationError("--compare takes two dates: --compare 2023-01-01 2025-12-31") }
            let a = try parseDate(compare[0], "--compare"), b = try parseDate(compare[1], "--compare")
            guard a < b else { throw ValidationError("--compare: \(compare[0]) is not before \(compare[1])") }
        }
        if let asOf { _ = try parseDate(asOf, "--as-of") }
        guard gap >= 0, gap <= 1000 else { throw ValidationError("--gap must be between 0 and 1000 metres") }
        guard pbfMinMu >= 0, pbfMinMu.isFinite else { throw ValidationError("--pbf-min-mu must be a number ≥ 0") }
    }

    func run() throws {
        var options = MapOptions()
        options.title = title
        if !compare.isEmpty {
            options.dates = try compare.map { try parseDate($0, "--compare") }
        } else if let asOf {
            options.dates = [try parseDate(asOf, "--as-of")]
        }
        options.contiguity.gapMetres = gap
        options.checks.pbfMinimumMu = pbfMinMu
        options.checks.areaBasis = area.basis
        let page = try running { () throws(LandtrackError) in
            try MapPage.render(store: try store.open(readOnly: true), options: options)
        }
        do {
            try Data(page.html.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw report(.io(path: output, message: "cannot write the map: \(error.localizedDescription)"))
        }
        let sizes = zip(options.dates, page.parcelCounts).map { "\(grouped($0.1)) parcels \($0.0.map { "as of \($0)" } ?? "now")" }
        print("wrote \(output): \(sizes.joined(separator: " | ")), \(fixed(Double(page.html.utf8.count) / 1_048_576, 1)) MB")
    }
}
