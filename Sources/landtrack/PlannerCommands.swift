import ArgumentParser
import Foundation
import Geometry
import Parcels
import Store
import Planner
import VectorSources

extension SummaryReport.Key: ExpressibleByArgument {}
extension AreaBasis: ExpressibleByArgument {}

/// `--area net|gross`, one definition for every report that adds areas up.
struct AreaBasisOption: ParsableArguments {
    @Option(name: .customLong("area"), help: ArgumentHelp(
        "net (each parcel less its recorded deduction, 田坎 KCXS: the survey's TBDLMJ) or gross (whole patches). Default: net when the parcels carry deductions, else gross.",
        valueName: "net|gross"))
    var basis: AreaBasis?
}

/// Contiguity prints the report formats, or the blocks' outlines as GeoJSON.
enum BlockFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv, geojson
}

/// Parcels from a GeoJSON file, or from the store as of a date.
struct PlannerSourceOptions: ParsableArguments {
    @Argument(help: "A file of parcels (GeoJSON, or any vector source GDAL reads: Shapefile, GDB, GeoPackage, …); without it the store (--db) is read.")
    var file: String?

    @Option(name: .customLong("source-layer"), help: ArgumentHelp("With a GDAL source: the layer to read (default: the only polygon layer).", valueName: "NAME"))
    var layer: String?

    @Option(help: ArgumentHelp("With a shapefile: the attributes' text encoding (GBK, GB18030, UTF-8; default: the .cpg, else UTF-8).", valueName: "NAME"))
    var encoding: String?

    @OptionGroup var store: StoreOption

    @Option(name: .customLong("as-of"), help: ArgumentHelp("With the store: the date to reconstruct.", valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(name: .customLong("default-state"), help: "With a file: the state of parcels that have none.")
    var defaultState: ParcelState?

    @OptionGroup var fields: ParcelFieldOptions

    @Flag(name: .customLong("no-cache"), help: "With a file: read it again even when the parcel cache holds it (also LANDTRACK_NO_CACHE=1).")
    var noCache = false

    func validate() throws {
        if layer != nil || encoding != nil, file.map(GDALLayerSource.handles) != true {
            throw ValidationError("--source-layer and --encoding apply to a file read through GDAL (Shapefile, GDB, GeoPackage, …)")
        }
        if let asOf {
            guard file == nil else { throw ValidationError("--as-of reads the store: give --db instead of a file") }
            _ = try parseDate(asOf, "--as-of")
        }
    }

    var date: CalendarDate? { asOf.flatMap { try? CalendarDate(parsing: $0) } }

    /// With a GeoJSON file the parcel cache holds, and a contact graph kept beside it in which
    /// no two parcels overlap: the parcels without their polygons, and the graph
    /// (`PlannerInput.loadForKeptContacts`); nil otherwise.
    func loadWithKeptContacts() -> (parcels: [Parcel], crs: CoordinateReferenceSystem, contacts: ParcelContacts)? {
        guard let file, !noCache, !GDALLayerSource.handles(file), let options = try? readOptions() else { return nil }
        return PlannerInput.loadForKeptContacts(path: file, options: options, cache: ParcelCache.standard)
    }

    /// How the file's features become parcels: the field options and `--default-state`.
    private func readOptions() throws(LandtrackError) -> ParcelReadOptions {
        var options = try fields.readOptions()
        options.defaultState = defaultState
        return options
    }

    /// The parcels of the file, or the store's snapshot on the date (with the layers, for
    /// barriers); from a store, the parcels carry what `content` asks for (the planner reads no
    /// original properties), and from the parcel cache their polygons only when it asks for them.
    /// `cacheEntry`: with a file the parcel cache keeps, where what is derived from these
    /// parcels may be kept too (their contact graph).
    func load(content: SnapshotContent = .geometry) throws
        -> (parcels: [Parcel], crs: CoordinateReferenceSystem, snapshot: Snapshot?, cacheEntry: ParcelCache.Entry?) {
        try running { () throws(LandtrackError) in
            if let file {
                let options = try readOptions()
                // The parcel cache keeps GeoJSON files; GDAL sources are read each time.
                if GDALLayerSource.handles(file) {
                    let (parcels, crs) = try PlannerInput.load(GDALLayerSource(path: file, layer: layer, encoding: encoding), options: options)
                    return (parcels, crs, nil, nil)
                }
                let loaded = try PlannerInput.loadCached(path: file, options: options, cache: noCache ? nil : ParcelCache.standard,
                                                         polygons: content.contains(.geometry))
                return (loaded.parcels, loaded.crs, nil, loaded.entry)
            }
            let snapshot = try store.open(readOnly: true).snapshot(asOf: date, content: content)
            return (snapshot.parcels, snapshot.crs, snapshot, nil)
        }
    }
}

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Area totals (m², mu, ha) and parcel counts, grouped by state, village, land use and/or PBF.",
        discussion: """
            Examples:
              landtrack summary --by state
              landtrack summary --by village --by state --as-of 2023-12-31 --format csv
              landtrack summary parcels.geojson --by pbf --area-method survey
              landtrack summary DLTB.shp --schema sandiao --by landuse --area net
            """)

    @OptionGroup var source: PlannerSourceOptions

    @Option(help: "Group by: state, village, landuse or pbf (repeat to combine).")
    var by: [SummaryReport.Key] = [.state]

    @Option(name: .customLong("area-method"), help: "geodesic, survey or planar.")
    var areaMethod: AreaMethod = .geodesic

    @OptionGroup var area: AreaBasisOption

    @Option(help: "Output format: table, json or csv.")
    var format: ReportFormat = .table

    func run() throws {
        // Geodesic areas are the stored ones: no geometry is read for them.
        let (parcels, crs, _, _) = try source.load(content: areaMethod == .geodesic ? [] : .geometry)
        let report = try running { () throws(LandtrackError) in
            try SummaryReport(parcels: parcels, crs: crs, by: by, method: areaMethod, asOf: source.date, basis: area.basis)
        }
        print(report.render(format), terminator: "")
        keepUntilExit(parcels, report)
    }
}

struct ContiguityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contiguity",
        abstract: "Contiguous farmland blocks (集中连片): parcels that touch, or lie within --gap metres.",
        discussion: """
            Gap 0 joins parcels that touch or overlap (a shared corner counts). A positive gap is \
            measured in the CGCS2000 3° Gauss-Krüger plane of the data (PROJ transverse Mercator). \
            Block areas are geodesic, the members' sum less their sliver overlaps. Blocks of 1,000 \
            and 10,000 mu are marked (千亩方, 万亩方).

            Examples:
              landtrack contiguity --gap 2
              landtrack contiguity parcels.geojson --gap 10 --format json
              landtrack contiguity --pbf-only --as-of 2024-12-31 --min-mu 100
              landtrack contiguity --gap 10 --barriers --format geojson > blocks.geojson
            """)

    @OptionGroup var source: PlannerSourceOptions

    @Option(help: "States taken into blocks, comma-separated (default farmland,reclaimed_farmland).")
    var states: String?

    @Flag(help: "Every state.")
    var all = false

    @Flag(name: .customLong("pbf-only"), help: "Only permanent basic farmland.")
    var pbfOnly = false

    @Option(help: "Largest gap in metres that still joins two parcels.")
    var gap = 0.0

    @Option(name: .customLong("min-mu"), help: "Leave blocks smaller than this out of the report.")
    var minMu = 0.0

    @Flag(help: "Do not join parcels across a feature of the store's barriers layer (roads, rivers), even within the gap.")
    var barriers = false

    @Option(help: "Output format: table, json, csv, or geojson (the blocks' outlines).")
    var format: BlockFormat = .table

    func validate() throws {
        guard gap >= 0, gap <= 1000 else { throw ValidationError("--gap must be between 0 and 1000 metres") }
        if barriers && gap == 0 { throw ValidationError("--barriers matters only with a --gap: touching parcels are joined anyway") }
        guard !(all && states != nil) else { throw ValidationError("give --states or --all, not both") }
        if let states {
            for s in states.split(separator: ",") where ParcelState(parsing: String(s)) == nil {
                throw ValidationError("--states: '\(s)' is not one of \(ParcelState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
    }

    /// The report's options from the flags (barriers apart: read from the store when asked).
    func reportOptions() -> ContiguityReport.Options {
        var options = ContiguityReport.Options()
        if all { options.states = nil }
        if let states { options.states = Set(states.split(separator: ",").compactMap { ParcelState(parsing: String($0)) }) }
        options.basicFarmlandOnly = pbfOnly
        options.gapMetres = gap
        options.minimumMu = minMu
        options.outlines = format == .geojson
        return options
    }

    func run() throws {
        let options = reportOptions()
        func analyseAndPrint(_ parcels: [Parcel], _ crs: CoordinateReferenceSystem, _ options: ContiguityReport.Options,
                             _ contacts: ParcelContacts?) throws {
            let report = try running { () throws(LandtrackError) in
                try ContiguityReport.analyse(parcels, crs: crs, options: options, contacts: contacts)
            }
            switch format {
            case .geojson: print(report.geojson(), terminator: "")
            case .table: print(report.table(), terminator: "")
            case .json: print(report.json(), terminator: "")
            case .csv: print(report.csv(), terminator: "")
            }
            keepUntilExit(report)
        }
        // Gap 0 from the contact graph kept beside a cached file, no two parcels overlapping:
        // the parcels are read without their polygons (none is needed).
        if gap == 0, !barriers, format != .geojson, let kept = source.loadWithKeptContacts() {
            try analyseAndPrint(kept.parcels, kept.crs, options, kept.contacts)
            return keepUntilExit(kept.parcels)
        }
        var (parcels, crs, snapshot, cacheEntry) = try source.load()
        var withBarriers = options
        if barriers {
            withBarriers.barriers = try running { () throws(LandtrackError) in
                if let snapshot { return try snapshot.barrierGeometries() }
                return try source.store.open(readOnly: true).snapshot().barrierGeometries()
            }
        }
        snapshot = nil  // no second copy of the parcels stays alive
        // With a file the cache keeps: gap 0's contact graph of all its parcels, kept beside
        // them by the first contiguity command that selects at least half of them (for a few
        // parcels, a pass over all would cost more than it saves) and read by the next (any
        // gap, any selection). It is written while the report is made.
        let kept = cacheEntry?.contacts(parcelCount: parcels.count)
        if kept == nil, let cacheEntry, 2 * withBarriers.selectedCount(parcels) >= parcels.count {
            let contacts = try running { () throws(LandtrackError) in try ParcelContacts.of(parcels) }
            try cacheEntry.keep(contacts) { try analyseAndPrint(parcels, crs, withBarriers, contacts) }
        } else {
            try analyseAndPrint(parcels, crs, withBarriers, kept)
        }
        keepUntilExit(parcels)
    }
}

struct ChangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",
        abstract: "What changed between two dates: the state-to-state matrix by area and the figures a programme reports.",
        discussion: """
            Figures: new cultivated land (新增耕地: area that entered farmland or reclaimed_farmland), \
            reclaimed or re-greened (复垦复绿: area moved into reclaimed_farmland or eco_restored), \
            cultivated land lost, PBF designated and released. Parcels are compared as they stood on \
            the two dates (net changes); --ref keeps the parcels with an event of that programme.

            Examples:
              landtrack changes --from 2023-01-01 --to 2025-12-31
              landtrack changes --from 2024-01-01 --to 2024-12-31 --ref NH-2024 --format json
            """)

    @Option(help: ArgumentHelp("Start date.", valueName: "YYYY-MM-DD"))
    var from: String

    @Option(help: ArgumentHelp("End date.", valueName: "YYYY-MM-DD"))
    var to: String

    @Option(help: "Only parcels with an event of this programme reference in the period.")
    var ref: String?

    @OptionGroup var area: AreaBasisOption

    @Option(help: "Output format: table, json or csv.")
    var format: ReportFormat = .table

    @OptionGroup var store: StoreOption

    func validate() throws {
        let a = try parseDate(from, "--from"), b = try parseDate(to, "--to")
        guard a <= b else { throw ValidationError("--from \(from) is after --to \(to)") }
    }

    func run() throws {
        let store = try self.store.opened(readOnly: true)
        let (a, b) = (try parseDate(from, "--from"), try parseDate(to, "--to"))
        let report = try running { () throws(LandtrackError) in try ChangesReport.load(from: store, from: a, to: b, ref: ref, basis: area.basis) }
        print(report.render(format), terminator: "")
    }
}

extension PlannerRule: ExpressibleByArgument {}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the programme against the rules; exit 1 when any rule is violated.",
        discussion: """
            Rules: pbf-fragmentation (PBF blocks under --pbf-min-mu), pbf-in-urban-boundary, \
            construction-in-red-line, control-lines-overlap, new-cultivated-land (≥ 5 % of the \
            cultivated land at the start, inside the programme_area layer), new-basic-farmland \
            (designated ≥ released + 5 %), cultivated-balance (gained ≥ lost), invalid-geometry, \
            parcel-overlap (above --max-overlap-m2), sliver (below the minimum mapping units), \
            recorded-transitions (every state change in the history is one the transition table \
            allows, with the PBF flag of its day; --transition-rules FILE audits against another). Each \
            result names its rule, the parcels, the figures and the rule's source. The period rules \
            run from --from (default the store's first event) to --as-of (default today); \
            the store is read once for the two dates.

            Examples:
              landtrack check
              landtrack check --rules pbf-fragmentation,sliver --pbf-min-mu 20 --format json
              landtrack check --as-of 2024-12-31 --from 2023-01-01
              landtrack check --programme NH-2024-02 --rules new-cultivated-land,cultivated-balance
            """)

    @Option(help: "Rules to run, comma-separated (default all).")
    var rules: String?

    @Option(name: .customLong("as-of"), help: ArgumentHelp("Check the programme as it stood on this date.", valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(help: ArgumentHelp("Start of the programme period.", valueName: "YYYY-MM-DD"))
    var from: String?

    @Option(help: "Only this programme reference's changes count in the period rules (from its first event).")
    var programme: String?

    @Option(name: .customLong("pbf-min-mu"), help: "Smallest acceptable PBF block, mu.")
    var pbfMinMu = 10.0

    @Option(name: .customLong("max-overlap-m2"), help: "Parcel overlaps up to this area (m²) are tolerated slivers.")
    var maxOverlap = 1.0

    @Option(name: .customLong("min-construction-m2"), help: "Minimum mapping unit for construction land, m².")
    var minConstruction = 200.0

    @Option(name: .customLong("min-farmland-m2"), help: "Minimum mapping unit for farmland, m².")
    var minFarmland = 400.0

    @Option(name: .customLong("min-other-m2"), help: "Minimum mapping unit for other land, m².")
    var minOther = 600.0

    @Option(name: .customLong("transition-rules"), help: ArgumentHelp("JSON transition table the recorded state changes are audited against (default the built-in one).", valueName: "FILE"))
    var transitionRules: String?

    @OptionGroup var area: AreaBasisOption

    @Option(help: "Output format: table, json or csv.")
    var format: ReportFormat = .table

    @OptionGroup var store: StoreOption

    func validate() throws {
        if let asOf { _ = try parseDate(asOf, "--as-of") }
        if let from { _ = try parseDate(from, "--from") }
        if let rules {
            for r in rules.split(separator: ",") where PlannerRule(rawValue: String(r)) == nil {
                throw ValidationError("--rules: '\(r)' is not a rule; rules: \(PlannerRule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        for (flag, v) in [("--pbf-min-mu", pbfMinMu), ("--max-overlap-m2", maxOverlap), ("--min-construction-m2", minConstruction),
                          ("--min-farmland-m2", minFarmland), ("--min-other-m2", minOther)] where v < 0 || !v.isFinite {
            throw ValidationError("\(flag) must be a number ≥ 0")
        }
    }

    func run() throws {
        var options = CheckOptions()
        if let rules { options.rules = Set(rules.split(separator: ",").compactMap { PlannerRule(rawValue: String($0)) }) }
        options.asOf = try asOf.map { try parseDate($0, "--as-of") }
        options.from = try from.map { try parseDate($0, "--from") }
        options.programme = programme
        options.pbfMinimumMu = pbfMinMu
        options.overlapThreshold = maxOverlap
        options.minimumConstruction = minConstruction
        options.minimumFarmland = minFarmland
        options.minimumOther = minOther
        options.transitionRules = try loadRules(transitionRules)
        options.areaBasis = area.basis
        let store = try self.store.opened(readOnly: true)
        let report = try running { () throws(LandtrackError) in try CheckReport.load(from: store, options: options) }
        writeOut(report.utf8(format))
        if !report.passed { throw Exit.problems }
    }
}
