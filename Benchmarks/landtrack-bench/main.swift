// Micro-benchmarks of the foundation: area engines (ns per vertex, against PROJ's
// geod_polygonarea measured in the same run) and GeoJSON reading (MB/s, peak RSS).
//
//   swift run -c release landtrack-bench area [FILE]     (default geodata/nanhai-sample.geojson)
//   swift run -c release landtrack-bench read FILE       (GeoJSON reader alone, then with every parcel check)
//
// Timings are medians of several rounds; compare ratios, not absolute numbers: machines are noisy.
import Foundation
import Geometry
import Parcels

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Median seconds of `rounds` runs of `body`.
func median(rounds: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<rounds {
        let t0 = now()
        try body()
        times.append(now() - t0)
    }
    return times.sorted()[rounds / 2]
}

func loadRings(_ path: String) throws -> [[Point]] {
    let (_, features, problems) = try GeoJSONReader().readAll(InputBytes(path: path))
    precondition(problems.isEmpty, "\(path) has problems: \(problems.prefix(3))")
    return features.flatMap { ($0.geometry?.polygons ?? []).flatMap { $0.rings.map(\.points) } }
}

func areaBenchmark(_ path: String) throws {
    let rings = try loadRings(path)
    let vertices = rings.reduce(0) { $0 + $1.count - 1 }
    print("area engines on \(path): \(rings.count) rings, \(vertices) vertices (closing positions not counted)")
    let geodesic = GeodesicAreaEngine(ellipsoid: .wgs84)
    let fallbacks = rings.filter { geodesic.fastRingArea($0) == nil }.count
    print("  rings outside the fast path's domain (measured by GeographicLib): \(fallbacks)")
    var sink = 0.0
    let proj = median(rounds: 5) { for r in rings { sink += geodesic.geographicLibRingArea(r) } }
    let fast = median(rounds: 21) { for r in rings { sink += geodesic.ringArea(r) } }
    let survey = try SurveyAreaEngine(referenceMeridian: 114)
    let surveyTime = try median(rounds: 3) { for r in rings { sink += try survey.ringArea(r) } }
    let planar = try PlanarAreaEngine(geographicCRS: .crs84, projectedCRS: .gaussKruger3Degree(containing: 113.1))
    let polygons = rings.map { Polygon(exterior: try! LinearRing($0)) }
    let planarTime = try median(rounds: 3) { for p in polygons { sink += try planar.area(of: p) } }
    func row(_ name: String, _ seconds: Double) {
        let ns = seconds / Double(vertices) * 1e9
        print(String(format: "  %-44@ %8.1f ns/vertex  %7.3f × PROJ geod_polygonarea", name as NSString, ns, seconds / proj))
    }
    row("PROJ geod_polygonarea (GeographicLib)", proj)
    row("landtrack geodesic (fast path)", fast)
    row("landtrack survey (三调, GK densify 70 m)", surveyTime)
    row("landtrack planar (PROJ tmerc + shoelace)", planarTime)
    if sink == 42 { print(sink) }
}

func readBenchmark(_ path: String) throws {
    let size = Double(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int) / 1e6
    var count = 0
    var t0 = now()
    try GeoJSONReader().read(try InputBytes(path: path)) { (_: Result<GeoJSONFeature, Diagnostic>) throws(LandtrackError) in count += 1 }
    let read = now() - t0
    print(String(format: "GeoJSON reader:        %d features, %.1f MB in %.2f s = %.1f MB/s, peak RSS %.0f MB",
                 count, size, read, size / read, peakRSSMegabytes()))
    t0 = now()
    var parcels = 0, problems = 0
    _ = try ParcelReader().read(try InputBytes(path: path), parcel: { _ in parcels += 1 }, problem: { _ in problems += 1 })
    let checked = now() - t0
    print(String(format: "parcel reader+checks:  %d parcels, %d problems in %.2f s = %.1f MB/s, peak RSS %.0f MB",
                 parcels, problems, checked, size / checked, peakRSSMegabytes()))
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "area": try areaBenchmark(arguments.count > 1 ? arguments[1] : "geodata/nanhai-sample.geojson")
    case "read" where arguments.count > 1: try readBenchmark(arguments[1])
    case "profile-geodesic" where arguments.count > 1:
        // For perf/callgrind: the geodesic fast path alone, many times.
        let rings = try loadRings(arguments[1])
        let engine = GeodesicAreaEngine(ellipsoid: .wgs84)
        var sink = 0.0
        let t = median(rounds: 51) { for r in rings { sink += engine.ringArea(r) } }
        print(t, sink)
    default:
        print("usage: landtrack-bench area [FILE] | read FILE")
        exit(2)
    }
} catch {
    print("landtrack-bench: \(error)")
    exit(1)
}
