import ArgumentParser
import Foundation
import Geometry
import Parcels

@main
struct Landtrack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landtrack",
        abstract: "Track land parcels through a consolidation programme and check the results against the rules.",
        discussion: """
            Areas are exact and always labelled with their method: geodesic (default, GeographicLib \
            semantics on the data's ellipsoid), survey (三调 ellipsoidal area on CGCS2000) or planar \
            (a projected CRS, by default the data's CGCS2000 3° Gauss-Krüger zone). 1 mu = 2000/3 m².

            Examples:
              landtrack area geodata/nanhai-sample.geojson
              landtrack area parcels.geojson --method survey --format csv > areas.csv
              landtrack validate parcels.geojson --format json
              landtrack import geodata/nanhai-sample.geojson --date 2023-01-01
              landtrack transition NH-000123 --to reclaimed_farmland --date 2024-05-01
              landtrack parcels --as-of 2023-12-31 --state wasteland
              landtrack map before-after.html --compare 2023-01-01 2025-12-31
              landtrack token create --role planner --owner "Li Wei"
              landtrack serve --db programme.gpkg --port 8080
            """,
        subcommands: [AreaCommand.self, ValidateCommand.self, ImportCommand.self, TransitionCommand.self, PBFCommand.self,
                      MergeCommand.self, SplitCommand.self, HistoryCommand.self, ParcelsCommand.self, ExportCommand.self, CopyCommand.self, SummaryCommand.self, ChangesCommand.self, ContiguityCommand.self, CheckCommand.self,
                      MapCommand.self, ServeCommand.self, TokenCommand.self])

    static func main() async {
        Allocator.configureForThreads()
        await main(nil)
    }
}

/// Exit codes shared by the commands.
enum Exit {
    /// The input has problems (validate), a check failed, or the store refused a change.
    static let problems = ExitCode(1)
    /// The input or the store cannot be read or used at all.
    static let unreadable = ExitCode(2)
    /// The store is busy (another process is writing): try again.
    static let busy = ExitCode(3)
}

/// Writes `bytes` to standard output as they are, after what `print` has buffered; a reader
/// that has gone away ends the writing (as it ends `print`'s).
func writeOut(_ bytes: [UInt8]) {
    fflush(nil)
    bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(1, raw.baseAddress! + done, raw.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            done += n
        }
    }
}

/// Keeps what a command built alive to the end of the process instead of freeing it one value at
/// a time once the report is out: the system takes a process's memory back at once, while freeing
/// a million parcels one by one took ~0.3 s (~15 ms at 100k). Only the values given are kept:
/// everything else is released as the command returns, as before.
func keepUntilExit(_ values: Any...) {
    // A box of its own, never released (`values as AnyObject` bridged to an NSArray, boxing each
    // parcel of an array: a million boxes).
    final class Kept {
        let values: [Any]
        init(_ values: [Any]) { self.values = values }
    }
    _ = Unmanaged.passRetained(Kept(values))
}

/// Prints a library error to stderr and returns the exit code it means: the one place errors
/// become exit codes.
func report(_ error: LandtrackError) -> ExitCode {
    FileHandle.standardError.write(Data(("landtrack: " + error.description + "\n").utf8))
    switch error {
    case .invalidInput, .refused: return Exit.problems
    case .store(_, .locked): return Exit.busy
    case .store, .geos, .proj, .geometry, .json, .io, .invalidArgument, .library: return Exit.unreadable
    }
}
