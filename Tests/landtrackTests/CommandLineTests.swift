import Foundation
import Testing
import Geometry
import Parcels
import TestSupport

/// Runs the built `landtrack` binary.
struct Run {
    let status: Int32
    let stdout: String
    let stderr: String

    static let binary: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("landtrack"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("landtrack"),
            SharedData.repositoryRoot.appendingPathComponent(".build/debug/landtrack"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }()

    init(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws {
        let r = try ProcessRun(Self.binary, arguments, stdin: stdin, environment: environment)
        (status, stdout, stderr) = (r.status, r.stdout, r.stderr)
    }
}

@Suite("landtrack command line", .serialized)
struct CommandLineTests {
    let sample = "geodata/nanhai-sample.geojson"
    let problems = "geodata/problem-parcels.geojson"

    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Run.binary.path), "no binary at \(Run.binary.path)")
    }

    /// The binary prints exactly what the library renders, in every format and method.
    @Test(arguments: ReportFormat.allCases, AreaMethod.allCases)
    func areaOutputIsTheLibraryReport(format: ReportFormat, method: AreaMethod) throws {
        let run = try Run(["area", sample, "--format", format.rawValue, "--method", method.rawValue])
        #expect(run.status == 0, "\(run.stderr)")
        let expected = try AreaReport.measure(try InputBytes(path: sample), method: method).render(format)
        #expect(run.stdout == expected)
        #expect(run.stderr.isEmpty)
    }

    @Test func areaReadsStandardInput() throws {
        let text = try String(contentsOfFile: SharedData.repositoryRoot.appendingPathComponent(sample).path, encoding: .utf8)
        let run = try Run(["area", "-", "--format", "json"], stdin: text)
        #expect(run.status == 0)
        let expected = try AreaReport.measure(InputBytes(name: "-", text: text), method: .geodesic).json()
        #expect(run.stdout == expected)
    }

    @Test func areaRefusesAFileWithProblems() throws {
        let run = try Run(["area", problems])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("10 problems"))
        #expect(run.stderr.contains("feature 2 (id \"NH-P002\")"))
    }

    @Test func validateExitCodes() throws {
        let clean = try Run(["validate", sample])
        #expect(clean.status == 0)
        #expect(clean.stdout.contains("valid: all 2,000 parcels pass"))

        let bad = try Run(["validate", problems])
        #expect(bad.status == 1)
        let expected = try ValidationReport.check(try InputBytes(path: problems)).render(.table)
        #expect(bad.stdout == expected)

        let json = try Run(["validate", problems, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(object["valid"] as? Bool == false)
        #expect((object["problems"] as? [Any])?.count == 10)
    }

    @Test func unreadableFilesExitTwo() throws {
        let missing = try Run(["validate", "geodata/no-such-file.geojson"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no-such-file.geojson: cannot open"))

        let notJSON = try Run(["validate", "-"], stdin: "{\"type\": \"FeatureCollection\", \"features\": [")
        #expect(notJSON.status == 2)
        #expect(notJSON.stderr.contains("not valid JSON at line 1"))
    }

    @Test func notGeoJSONIsAProblemList() throws {
        let run = try Run(["validate", "-"], stdin: "{\"type\": \"featurecollection\", \"features\": []}")
        #expect(run.status == 1)
        #expect(run.stdout.contains("case-sensitive: FeatureCollection"))
    }

    @Test(arguments: [["--help"], ["area", "--help"], ["validate", "--help"]])
    func helpShowsExamples(arguments: [String]) throws {
        let run = try Run(arguments)
        #expect(run.status == 0)
        #expect(run.stdout.contains("Examples:"))
        #expect(run.stdout.contains("landtrack "))
    }

    @Test(arguments: [
        (["area", "geodata/nanhai-sample.geojson", "--method", "exact"], "exact"),
        (["area", "geodata/nanhai-sample.geojson", "--crs", "EPSG:999999"], "--crs EPSG:999999"),
        (["area", "geodata/nanhai-sample.geojson", "--planar-crs", "EPSG:4490", "--method", "planar"], "geographic CRS"),
        (["area", "geodata/nanhai-sample.geojson", "--planar-crs", "EPSG:4547"], "goes with --method planar"),
        (["validate", "geodata/nanhai-sample.geojson", "--format", "xml"], "xml"),
    ])
    func badOptionsAreExplained(arguments: [String], words: String) throws {
        let run = try Run(arguments)
        #expect(run.status == 64)
        #expect(run.stderr.contains(words), "\(run.stderr)")
    }
}
