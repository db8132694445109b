import ArgumentParser
import Foundation
import GeoPackageStore
import PostGISStore
import Geometry
import Parcels
import Store
import VectorSources

extension InvalidFeaturePolicy: ExpressibleByArgument {}
extension ConstraintLayer: ExpressibleByArgument {}

extension ParcelState: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

/// What every recorded change carries besides its date.
struct RecordOptions: ParsableArguments {
    @Option(help: "Programme reference.")
    var ref: String?

    @Option(help: "A note kept with the event.")
    var note: String?

    @Option(help: "Who records the change (default the OS user).")
    var by: String?

    var recordedBy: String { by ?? StoreDefaults.user }
}

/// The store to work on.
struct StoreOption: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp(
        "The store: a GeoPackage file, or a PostgreSQL database as postgresql://USER@HOST:PORT/DBNAME?sslmode=… (what the URI leaves out comes from the PG* variables, as with psql). Default: $LANDTRACK_DB, else landtrack.gpkg.",
        valueName: "FILE.gpkg|postgresql://…"))
    var location: String = ProcessInfo.processInfo.environment["LANDTRACK_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "landtrack.gpkg"

    /// A GeoPackage file (not a database server).
    var isFile: Bool { !PostGISStore.handles(location) }

    /// Opens the store: the one place the CLI picks a backend.
    func open(create: Bool = false, readOnly: Bool = false) throws(LandtrackError) -> any ParcelStore {
        try Self.open(location, create: create, readOnly: readOnly)
    }

    static func open(_ location: String, create: Bool = false, readOnly: Bool = false) throws(LandtrackError) -> any ParcelStore {
        if PostGISStore.handles(location) { return try PostGISStore(url: location, create: create, readOnly: readOnly) }
        return try GeoPackageStore(path: location, create: create, readOnly: readOnly)
    }

    /// Opens the store for a command, printing the error and exiting when it cannot.
    func opened(create: Bool = false, readOnly: Bool = false) throws -> any ParcelStore {
        try running { () throws(LandtrackError) in try open(create: create, readOnly: readOnly) }
    }
}

/// A parcel id given on the command line: refused before anything is opened when it cannot be one.
func checkID(_ id: String, _ what: String) throws {
    if let problem = ParcelID.problem(id) { throw ValidationError("\(what) \(quoted(id)): \(problem)") }
}

/// Reads a transition-rules file (--rules, --transition-rules).
func loadRules(_ path: String?) throws -> TransitionRules {
    guard let path else { return .standard }
    return try running { () throws(LandtrackError) in try TransitionRules.load(path: path) }
}

func parseDate(_ text: String, _ flag: String) throws -> CalendarDate {
    do { return try CalendarDate(parsing: text) } catch { throw ValidationError("\(flag): \(error)") }
}

/// Runs a library call, printing its error and exiting as `report` says.
func running<T>(_ body: () throws(LandtrackError) -> T) throws -> T {
    do { return try body() } catch { throw report(error) }
}

/// What an imported file is: parcels (or a constraint layer, `--layer`), or the survey's layer
/// of PBF polygons that designates the parcels it covers.
enum LayerKind: String, ExpressibleByArgument, CaseIterable {
    case parcels, basic_farmland
}

enum Layer: String, ExpressibleByArgument, CaseIterable {
    case parcels, urban_boundary, eco_redline, programme_area, barriers
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import parcels (or a constraint layer) from GeoJSON into the store, in one transaction.",
        discussion: """
            Every check of `landtrack validate` runs first. By default a file with any problem is \
            refused as a whole and the store is left exactly as it was (--on-invalid refuse); \
            `repair` fixes invalid geometries with GEOS make-valid and reports the area each repair \
            changed; `skip` imports the clean parcels and writes the rejected ones, with their \
            reasons, to --rejects. Importing a newer version of a file records every change in the \
            history: a state change is decided by the transition table (--rules) and recorded \
            as a transition with its rule, a PBF change as a PBF event; a change the table refuses \
            refuses the whole file. Importing the same file twice changes nothing; when a file (every \
            file of a shapefile or geodatabase) is byte for byte (SHA-256) the last clean import's, \
            read with the same options, and \
            no parcel has been changed or deleted since (by landtrack or by anyone else), it is not \
            read again: every parcel in it is unchanged. --read-again reads and compares it anyway.

            A parcel's state is its state property, else its land-use code (GB/T 21010: 0101–0103 \
            farmland, 0601–0602 industrial_park, 1204–1207 wasteland, 03/04 eco_restored, other codes \
            other; --landuse-map replaces the table), else --default-state.

            Examples:
              landtrack import geodata/nanhai-sample.geojson --date 2023-01-01 --ref NH-2023
              landtrack import fields.geojson --id-field GEO_ID --default-state farmland --db austria.gpkg
              landtrack import redline.geojson --layer eco_redline
              landtrack import parcels.geojson --on-invalid skip --rejects rejects.geojson
              landtrack import geodata/nanhai-sample.geojson --read-again
              landtrack import JBNTBHTB.shp --layer-kind basic_farmland --pbf-share 0.5 --date 2024-12-31 --ref PBF-2024
            """)

    @OptionGroup var input: ParcelFileOptions
    @OptionGroup var store: StoreOption

    @Option(help: "Layer to import into: parcels, urban_boundary, eco_redline, programme_area or barriers.")
    var layer: Layer = .parcels

    @Option(name: .customLong("layer-kind"), help: ArgumentHelp(
        "parcels, or basic_farmland: the file is the survey's layer of PBF polygons, and every parcel in the store with at least --pbf-share of its area in them is designated PBF (a pbf event each; parcels the layer's boundary crosses are listed).",
        valueName: "KIND"))
    var layerKind: LayerKind = .parcels

    @Option(name: .customLong("pbf-share"), help: ArgumentHelp("With --layer-kind basic_farmland: the share of a parcel's area in the layer that makes it PBF (default 0.5).", valueName: "SHARE"))
    var pbfShare: Double?

    @Option(name: .customLong("default-state"), help: "State of parcels that have neither a state nor a land-use code.")
    var defaultState: ParcelState?

    @Option(name: .customLong("landuse-map"), help: ArgumentHelp("CSV of code,state replacing the default land-use table.", valueName: "FILE"))
    var landuseMap: String?

    @Option(help: ArgumentHelp("Effective date of the import (default today).", valueName: "YYYY-MM-DD"))
    var date: String?

    @Option(name: .customLong("on-invalid"), help: "What to do with features that fail a check: refuse, repair or skip.")
    var onInvalid: InvalidFeaturePolicy = .refuse

    @Option(help: ArgumentHelp("GeoJSON file for the features rejected with --on-invalid skip.", valueName: "FILE"))
    var rejects: String?

    @Option(help: "Programme reference recorded with the import.")
    var ref: String?

    @Option(help: "Who records the import (default the OS user).")
    var by: String?

    @Option(help: ArgumentHelp("JSON rules replacing the built-in transition table: a re-import's state changes are decided by it.", valueName: "FILE"))
    var rules: String?

    @Flag(name: .customLong("read-again"), help: "Read and compare the file even when it is the last clean import's, with the same options, and no parcel changed since.")
    var readAgain = false

    func validate() throws {
        if rejects != nil && onInvalid != .skip { throw ValidationError("--rejects goes with --on-invalid skip") }
        if layerKind == .basic_farmland {
            guard layer == .parcels else { throw ValidationError("--layer-kind basic_farmland designates parcels: give no --layer") }
            guard onInvalid == .refuse, rules == nil, landuseMap == nil, defaultState == nil else {
                throw ValidationError("--layer-kind basic_farmland reads polygons only: --on-invalid, --rules, --landuse-map and --default-state do not apply")
            }
        }
        if let pbfShare {
            guard layerKind == .basic_farmland else { throw ValidationError("--pbf-share goes with --layer-kind basic_farmland") }
            guard pbfShare > 0, pbfShare <= 1 else { throw ValidationError("--pbf-share must be above 0 and at most 1 (0.5 is 50 %)") }
        }
        if let date { _ = try parseDate(date, "--date") }
    }

    func run() throws {
        let progress = ProgressLine("importing")
        defer { progress.finish() }
        // The input must be readable before a store is created for it; a store this command
        // created is removed again when the import is refused (nothing half-written is left).
        let bytes = try running { () throws(LandtrackError) in try input.input() }
        let path = self.store.location
        // A store on a database server is never removed (its tables are the administrator's to drop).
        let existed = PostGISStore.handles(path) || FileManager.default.fileExists(atPath: path)
        func removeNewStore() {
            guard !existed else { return }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        do {
            try importInto(path, bytes, progress)
        } catch {
            removeNewStore()
            throw error
        }
    }

    private func importInto(_ path: String, _ bytes: any FeatureSource, _ progress: ProgressLine) throws {
        if layerKind == .basic_farmland {
            // Designating needs the parcels: the store must exist already.
            let store = try self.store.opened()
            var options = BasicFarmlandLayerOptions()
            if let pbfShare { options.minimumShare = pbfShare }
            if let date { options.date = try parseDate(date, "--date") }
            options.ref = ref
            if let by { options.recordedBy = by }
            let result = try running { () throws(LandtrackError) in try store.designateBasicFarmland(from: bytes, options: options) }
            print(result.line + " → \(store.location)")
            if !result.straddling.isEmpty {
                let now = Set(result.designated.map(\.parcelID)), already = Set(result.alreadyDesignated.map(\.parcelID))
                let kept = Set(result.designatedButOutside.map(\.parcelID))
                print("straddling the layer's boundary (\(grouped(result.straddling.count))):")
                for o in result.straddling {
                    let status = now.contains(o.parcelID) ? "designated now" : already.contains(o.parcelID) ? "PBF already"
                        : kept.contains(o.parcelID) ? "PBF, below the share (kept)" : "not PBF (below the share)"
                    print("  \(o.description): \(status)")
                }
            }
            if !result.designatedButOutside.isEmpty {
                // A county has thousands of these when the layer covers part of it: the first ones.
                let shown = 20
                print("PBF in the store, below the share in the layer (\(grouped(result.designatedButOutside.count)); kept, release with `landtrack pbf ID --release`):")
                for o in result.designatedButOutside.prefix(shown) { print("  \(o.description)") }
                if result.designatedButOutside.count > shown { print("  … and \(grouped(result.designatedButOutside.count - shown)) more") }
            }
            return
        }
        let store = try self.store.opened(create: true)
        if layer != .parcels {
            let n = try running { () throws(LandtrackError) in
                try store.importLayer(ConstraintLayer(rawValue: layer.rawValue)!, from: bytes)
            }
            print("\(input.file): \(grouped(n)) feature\(n == 1 ? "" : "s") imported into layer \(layer.rawValue) of \(store.location) (the layer was replaced)")
            return
        }
        var options = ImportOptions()
        options.read = try running { () throws(LandtrackError) in try input.readOptions() }
        options.defaultState = defaultState
        options.rules = try loadRules(rules)
        if let landuseMap { options.landuse = try running { () throws(LandtrackError) in try LanduseMapping.load(path: landuseMap) } }
        if let date { options.date = try parseDate(date, "--date") }
        options.onInvalid = onInvalid
        options.rejectsPath = rejects
        options.readAgain = readAgain
        options.ref = ref
        if let by { options.recordedBy = by }
        let summary = try running { () throws(LandtrackError) in
            try store.importParcels(bytes, options: options, progress: progress.update)
        }
        progress.finish()
        for note in summary.notes { FileHandle.standardError.write(Data(("  " + note.description + "\n").utf8)) }
        print(summary.line + " → \(store.location)")
    }
}

struct TransitionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transition",
        abstract: "Move a parcel to another state (or apply a CSV of moves, all or nothing), checked against the rules.",
        discussion: """
            The built-in rules: wasteland → reclaimed_farmland | eco_restored | farmland (R1); \
            industrial_park → reclaimed_farmland | eco_restored (R2); farmland → wasteland, recorded \
            as a loss of cultivated land (R3); reclaimed_farmland → farmland (R4); other → \
            reclaimed_farmland | eco_restored (R5). Refused whatever the allowing rules say: a PBF \
            parcel into industrial_park (D1); into industrial_park inside the eco_redline layer (D2). \
            --rules FILE replaces the table (JSON, see README).

            Examples:
              landtrack transition NH-000123 --to reclaimed_farmland --date 2024-05-01 --ref NH-2024-07
              landtrack transition --file changes.csv --by "Li Wei"
            """)

    @Argument(help: "Parcel id (omit with --file).")
    var id: String?

    @Option(help: "The new state.")
    var to: ParcelState?

    @Option(help: ArgumentHelp("Effective date.", valueName: "YYYY-MM-DD"))
    var date: String?

    @OptionGroup var record: RecordOptions

    @Option(help: ArgumentHelp("CSV with columns id,to,date[,ref,note]; applied all or nothing.", valueName: "FILE"))
    var file: String?

    @Option(help: ArgumentHelp("JSON rules replacing the built-in transition table.", valueName: "FILE"))
    var rules: String?

    @OptionGroup var store: StoreOption

    func validate() throws {
        if file != nil {
            guard id == nil, to == nil, date == nil else { throw ValidationError("give either --file or ID --to STATE --date D") }
        } else {
            guard let id else { throw ValidationError("give a parcel id (or --file)") }
            try checkID(id, "parcel id")
            guard to != nil else { throw ValidationError("--to STATE is required (\(ParcelState.allCases.map(\.rawValue).joined(separator: ", ")))") }
            guard let date else { throw ValidationError("--date YYYY-MM-DD is required") }
            _ = try parseDate(date, "--date")
        }
    }

    func run() throws {
        let table = try loadRules(rules)
        let requests: [TransitionRequest]
        if let file {
            requests = try running { () throws(LandtrackError) in try TransitionRequest.load(csv: file) }
        } else {
            requests = [TransitionRequest(parcelID: id!, to: to!, date: try parseDate(date!, "--date"), ref: record.ref, note: record.note)]
        }
        let store = try self.store.opened()
        let events = try running { () throws(LandtrackError) in try store.transition(requests, rules: table, by: record.recordedBy) }
        for e in events {
            print("\(e.parcelID): \(e.fromState?.rawValue ?? "") → \(e.toState?.rawValue ?? "") on \(e.effectiveDate) (rule \(e.ruleID ?? ""))"
                  + (e.note.map { "; \($0)" } ?? ""))
        }
    }
}

struct PBFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pbf",
        abstract: "Designate a parcel permanent basic farmland (永久基本农田) or release it, as a dated event.",
        discussion: """
            Examples:
              landtrack pbf NH-000123 --designate --date 2024-06-30 --ref NH-PBF-2024
              landtrack pbf NH-000456 --release --date 2024-06-30 --note "moved out of the urban boundary"
            """)

    @Argument(help: "Parcel id.")
    var id: String

    @Flag(help: "Designate the parcel.")
    var designate = false

    @Flag(help: "Release the parcel.")
    var release = false

    @Option(help: ArgumentHelp("Effective date.", valueName: "YYYY-MM-DD"))
    var date: String

    @OptionGroup var record: RecordOptions

    @OptionGroup var store: StoreOption

    func validate() throws {
        guard designate != release else { throw ValidationError("give exactly one of --designate and --release") }
        try checkID(id, "parcel id")
        _ = try parseDate(date, "--date")
    }

    func run() throws {
        let store = try self.store.opened()
        let when = try parseDate(date, "--date")
        let e = try running { () throws(LandtrackError) in
            try store.setBasicFarmland(id, designated: designate, date: when, ref: record.ref, note: record.note, by: record.recordedBy)
        }
        print("\(e.parcelID): basic farmland \(designate ? "designated" : "released") on \(e.effectiveDate)")
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Print a parcel's dated history: imports, transitions, PBF changes, with who, when and why.",
        discussion: """
            Examples:
              landtrack history NH-000123
              landtrack history NH-000123 --format json
            """)

    @Argument(help: "Parcel id.")
    var id: String

    @Option(help: "Output format: table, json or csv.")
    var format: ReportFormat = .table

    @OptionGroup var store: StoreOption

    func validate() throws { try checkID(id, "parcel id") }

    func run() throws {
        let store = try self.store.opened(readOnly: true)
        let report = try running { () throws(LandtrackError) in try HistoryReport(store: store, parcelID: id) }
        print(report.render(format), terminator: "")
    }
}

struct ParcelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parcels",
        abstract: "List the parcels as they stood on a date (default now), with state, PBF flag and area.",
        discussion: """
            Examples:
              landtrack parcels --state wasteland
              landtrack parcels --as-of 2023-12-31 --format csv > parcels-2023.csv
            """)

    @Option(name: .customLong("as-of"), help: ArgumentHelp("Date to reconstruct.", valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(help: "Only parcels in this state.")
    var state: ParcelState?

    @Option(help: "Output format: table, json or csv.")
    var format: ReportFormat = .table

    @OptionGroup var store: StoreOption

    func validate() throws {
        if let asOf { _ = try parseDate(asOf, "--as-of") }
    }

    func run() throws {
        let store = try self.store.opened(readOnly: true)
        let date = try asOf.map { try parseDate($0, "--as-of") }
        let report = try running { () throws(LandtrackError) in ParcelListReport(try store.snapshot(asOf: date), state: state) }
        print(report.render(format), terminator: "")
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the parcels as they stood on a date to RFC 7946 GeoJSON, a GeoPackage, CSV, a Shapefile or a File Geodatabase.",
        discussion: """
            GeoJSON: longitude/latitude, exterior rings counter-clockwise, with id, state, \
            basic_farmland, village, landuse_code, area_m2, area_mu and the parcel's other original \
            properties. Importing the export into a new store gives the same parcels, up to --precision.

            A .gpkg export is a new standalone GeoPackage with one parcels layer (never overwritten).

            A .shp or .gdb export (GDAL) is written in the survey's schema by default (--schema \
            sandiao: BSM, DLBM, ZLDWMC, TBMJ, KCDLBM, KCXS, KCMJ, TBDLMJ, and LT_STATE, LT_PBF) in the \
            data's zone-prefixed CGCS2000 3° Gauss-Krüger CRS (--crs to choose), so that it goes back \
            into the bureau's software; a shapefile's text in --encoding, with its .cpg.

            Examples:
              landtrack export parcels-2024.geojson --as-of 2024-12-31
              landtrack export parcels-2024.gpkg --as-of 2024-12-31
              landtrack export wasteland.csv --state wasteland
              landtrack export DLTB.shp --encoding GBK
              landtrack export result.gdb --layer-name DLTB --crs EPSG:4526
            """)

    @Argument(help: "Output file: .geojson (or .json), .gpkg, .csv, .shp or .gdb.")
    var output: String

    @Option(help: ArgumentHelp("With .shp/.gdb: the columns, sandiao (the survey's DLTB fields, default) or standard (landtrack's names; a shapefile cuts them to 10 characters).", valueName: "sandiao|standard"))
    var schema: ExportSchema.Layout?

    @Option(help: ArgumentHelp("With .shp/.gdb: the output CRS (default: sandiao, the data's zone-prefixed CGCS2000 3° Gauss-Krüger zone; standard, the store's).", valueName: "EPSG:n"))
    var crs: String?

    @Option(help: ArgumentHelp("With .shp: the text encoding of the attributes (UTF-8 or GBK; the .cpg says which).", valueName: "NAME"))
    var encoding: String?

    @Option(name: .customLong("layer-name"), help: ArgumentHelp("With .gdb: the layer's name (default DLTB with sandiao, parcels with standard).", valueName: "NAME"))
    var layerName: String?

    @Option(name: .customLong("as-of"), help: ArgumentHelp("Date to reconstruct.", valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(help: "Only parcels in this state.")
    var state: ParcelState?

    @Option(help: "Decimals of the coordinates (7 ≈ 1 cm).")
    var precision = 7

    @OptionGroup var store: StoreOption

    func validate() throws {
        if let asOf { _ = try parseDate(asOf, "--as-of") }
        guard (0...15).contains(precision) else { throw ValidationError("--precision must be between 0 and 15") }
        let ext = (output as NSString).pathExtension.lowercased()
        guard ["geojson", "json", "csv", "gpkg", "shp", "gdb"].contains(ext) else {
            throw ValidationError("\(output): the file name must end in .geojson, .gpkg, .csv, .shp or .gdb")
        }
        let gdal = GDALLayerWriter.format(of: output) != nil
        if !gdal, schema != nil || crs != nil || encoding != nil || layerName != nil {
            throw ValidationError("--schema, --crs, --encoding and --layer-name apply to a .shp or .gdb export")
        }
        if encoding != nil, ext != "shp" { throw ValidationError("--encoding applies to a shapefile (a GDB holds UTF-8)") }
        if layerName != nil, ext != "gdb" { throw ValidationError("--layer-name applies to a .gdb (a shapefile's layer is its file name)") }
        if let encoding, !["UTF-8", "UTF8", "GBK", "GB18030"].contains(encoding.uppercased()) {
            throw ValidationError("--encoding \(encoding): UTF-8, GBK or GB18030")
        }
    }

    func run() throws {
        let store = try self.store.opened(readOnly: true)
        let date = try asOf.map { try parseDate($0, "--as-of") }
        let list = try running { () throws(LandtrackError) in ParcelListReport(try store.snapshot(asOf: date), state: state) }
        let ext = (output as NSString).pathExtension.lowercased()
        if GDALLayerWriter.format(of: output) != nil {
            let layout = schema ?? .sandiao
            let written = try running { () throws(LandtrackError) -> (Int, CoordinateReferenceSystem) in
                let target: CoordinateReferenceSystem
                if let crs {
                    target = try .resolve(crs)
                } else if layout == .sandiao, let first = list.parcels.first {
                    // The survey's convention: the 3° zone with its number in front of the easting.
                    let zone = Int((first.polygons[0].exterior.points[0].x / 3).rounded())
                    target = try .gaussKruger(zone: zone, width: 3, prefixed: true)
                } else {
                    target = list.crs
                }
                let n = try GDALLayerWriter.write(list.parcels, schema: ExportSchema(layout), crs: list.crs, target: target, path: output,
                                                  layerName: layerName ?? (layout == .sandiao ? "DLTB" : "parcels"),
                                                  encoding: encoding.map { $0.uppercased() == "UTF8" ? "UTF-8" : $0.uppercased() } ?? "UTF-8")
                return (n, target)
            }
            print("\(output): \(grouped(written.0)) parcels" + (date.map { " as of \($0)" } ?? "") + ", \(layout.rawValue) schema, \(written.1)")
            return
        }
        if ext == "gpkg" {
            try running { () throws(LandtrackError) in try list.writeGeoPackage(output) }
            print("\(output): \(grouped(list.parcels.count)) parcels" + (date.map { " as of \($0)" } ?? ""))
            return
        }
        let text = try running { () throws(LandtrackError) in ext == "csv" ? list.csv() : try list.geojson(precision: precision) }
        do {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            throw report(LandtrackError.io(path: output, message: "cannot write: \(error.localizedDescription)"))
        }
        print("\(output): \(grouped(list.parcels.count)) parcels" + (date.map { " as of \($0)" } ?? ""))
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge touching parcels into one new parcel; the old ones are retired, lineage recorded.",
        discussion: """
            The parcels must touch (or lie within --gap metres), share one state and one PBF flag, \
            and not overlap: the merged area must equal the sum of the parts within 0.01 m².

            Examples:
              landtrack merge NH-000010 NH-000011 NH-000012 --into NH-M-0001 --date 2024-09-01 --ref NH-2024-12
            """)

    @Argument(help: "The parcels to merge.")
    var ids: [String]

    @Option(help: "Id of the merged parcel.")
    var into: String

    @Option(help: ArgumentHelp("Effective date.", valueName: "YYYY-MM-DD"))
    var date: String

    @Option(help: "Largest gap in metres between parts that still counts as touching.")
    var gap = 0.5

    @OptionGroup var record: RecordOptions

    @OptionGroup var store: StoreOption

    func validate() throws {
        guard ids.count >= 2 else { throw ValidationError("name at least two parcels to merge") }
        for id in ids { try checkID(id, "parcel id") }
        try checkID(into, "--into")
        guard gap >= 0, gap <= 100 else { throw ValidationError("--gap must be between 0 and 100 metres") }
        _ = try parseDate(date, "--date")
    }

    func run() throws {
        let store = try self.store.opened()
        let when = try parseDate(date, "--date")
        let merged = try running { () throws(LandtrackError) in
            try store.merge(ids, into: into, date: when, gap: gap, ref: record.ref, note: record.note, by: record.recordedBy)
        }
        print("\(ids.joined(separator: " + ")) → \(merged.id): \(fixed(merged.areaSquareMetres, 2)) m² (\(fixed(merged.areaSquareMetres * 3 / 2000, 4)) mu, geodesic) on \(when)")
    }
}

struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split a parcel along a line (or by a polygon) into new parcels; the old one is retired, lineage recorded.",
        discussion: """
            The cutter is a GeoJSON file with one LineString/MultiLineString (the parcel is cut along \
            it) or Polygon (the parcel is cut into the part inside and the part outside), in the \
            store's longitude/latitude. Children are named ID-1, ID-2, … (from south-west) or as \
            --names gives; their areas must add up to the parent's within 0.01 m².

            Examples:
              landtrack split NH-000200 --by ditch.geojson --date 2024-10-01
              landtrack split NH-000200 --by ditch.geojson --names NH-000200A,NH-000200B --date 2024-10-01
            """)

    @Argument(help: "The parcel to split.")
    var id: String

    @Option(name: .customLong("by"), help: ArgumentHelp("GeoJSON with the cutting line or polygon.", valueName: "FILE"))
    var cutter: String

    @Option(help: "Comma-separated ids for the pieces.")
    var names: String?

    @Option(help: ArgumentHelp("Effective date.", valueName: "YYYY-MM-DD"))
    var date: String

    @Option(help: "Programme reference.")
    var ref: String?

    @Option(help: "A note kept with the events.")
    var note: String?

    @Option(name: .customLong("recorded-by"), help: "Who records the change (default the OS user).")
    var recordedBy: String?

    @OptionGroup var store: StoreOption

    func validate() throws {
        _ = try parseDate(date, "--date")
        try checkID(id, "parcel id")
        for name in pieceNames ?? [] { try checkID(name, "--names") }
    }

    private var pieceNames: [String]? { names?.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) } }

    func run() throws {
        let geometry = try running { () throws(LandtrackError) -> Geometry in
            let read = try GeoJSONReader().readAll(try InputBytes(path: cutter))
            if let problem = read.problems.first { throw LandtrackError.invalidInput(source: cutter, problems: [problem]) }
            guard read.features.count == 1, let g = read.features[0].geometry else {
                throw LandtrackError.invalidInput(source: cutter, problems: [Diagnostic(.cutter, "the file must hold exactly one line or polygon")])
            }
            return g
        }
        let store = try self.store.opened()
        let when = try parseDate(date, "--date")
        let pieces = try running { () throws(LandtrackError) in
            try store.split(id, by: geometry, names: pieceNames, date: when, ref: ref, note: note, by: recordedBy ?? StoreDefaults.user)
        }
        for p in pieces { print("\(id) → \(p.id): \(fixed(p.areaSquareMetres, 2)) m² (\(fixed(p.areaSquareMetres * 3 / 2000, 4)) mu, geodesic)") }
    }
}

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a whole store (parcels, history, lineage, layers, tokens) into a new one, between any two backends.",
        discussion: """
            The destination must be empty: a new GeoPackage file, or a PostgreSQL database without \
            landtrack's tables (they are created) or with empty ones. The copy is one transaction; \
            event, feature and token ids are kept, so every report of the copy equals the source's.

            Examples:
              landtrack copy --from programme.gpkg --to postgresql://planner@gis.example/nanhai
              landtrack copy --from postgresql:///nanhai --to nanhai-2025-12-31.gpkg
            """)

    @Option(help: ArgumentHelp("The store to copy (a .gpkg file or postgresql://…).", valueName: "STORE"))
    var from: String

    @Option(help: ArgumentHelp("The new store (a .gpkg file or postgresql://…).", valueName: "STORE"))
    var to: String

    func validate() throws {
        guard from != to else { throw ValidationError("--from and --to name the same store") }
        if !PostGISStore.handles(to), FileManager.default.fileExists(atPath: to) {
            throw ValidationError("--to \(to) exists; copy into a new file")
        }
    }

    func run() throws {
        let source = try running { () throws(LandtrackError) in try StoreOption.open(from, readOnly: true) }
        let isFile = !PostGISStore.handles(to)
        do {
            let destination = try running { () throws(LandtrackError) in try StoreOption.open(to, create: true) }
            let copied = try running { () throws(LandtrackError) in try destination.copyRecord(from: source) }
            let rows = ["parcels", "parcel_events", "parcel_lineage", "landtrack_tokens"].map { "\(grouped(copied[$0] ?? 0)) \($0)" }
            let layers = ConstraintLayer.allCases.map { copied[$0.rawValue] ?? 0 }.reduce(0, +)
            print("copied \(source.location) → \(destination.location): \(rows.joined(separator: ", ")), \(layers) constraint-layer features")
        } catch {
            // Nothing half-written: a new file that did not receive the whole copy is removed.
            if isFile { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: to + suffix) } }
            throw error
        }
    }
}
extension ExportSchema.Layout: ExpressibleByArgument {}
