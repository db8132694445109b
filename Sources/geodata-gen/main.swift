// Writes the demo consolidation programme in geodata/programme/ from the sample mosaic
// geodata/nanhai-sample.geojson: the constraint layers and a dated log for 2023–2025.
// Deterministic (a fixed seed); run from the repository root:
//
//     swift run geodata-gen
//
// The story: abandoned land is reclaimed or re-greened (NH-2023-01), village industrial parks
// are cleared (NH-2024-02), permanent basic farmland is moved out of the urban development
// boundary (NH-2024-03), fragmented plots are merged (NH-2025-01), and a few fields are
// abandoned (NH-2025-02). Violations are left in on purpose: one PBF parcel stays inside the
// urban boundary, one industrial park stays inside the ecological red line, and the small
// plots of the mosaic stay below the minimum mapping unit.
import Foundation
import Geometry
import Parcels

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("geodata-gen: \(message)\n".utf8))
    exit(1)
}

func rectangle(_ e: Envelope) -> Polygon {
    try! Polygon(rings: [[(e.minX, e.minY), (e.maxX, e.minY), (e.maxX, e.maxY), (e.minX, e.maxY), (e.minX, e.minY)].map { try Point(x: $0.0, y: $0.1) }])
}

func featureCollection(_ features: [(name: String, geometry: String)]) -> String {
    "{\"type\":\"FeatureCollection\",\"features\":[\n" + features.map { f in
        "{\"type\":\"Feature\",\"properties\":{\"name\":" + JSONValue.string(f.name).jsonText + "},\"geometry\":" + f.geometry + "}"
    }.joined(separator: ",\n") + "\n]}\n"
}

func write(_ text: String, _ path: String) {
    do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch { fail("cannot write \(path): \(error)") }
}

let root = FileManager.default.currentDirectoryPath
let sample = "\(root)/geodata/nanhai-sample.geojson"
let out = "\(root)/geodata/programme"
guard FileManager.default.fileExists(atPath: sample) else { fail("run from the repository root (no \(sample))") }
let parcels: [Parcel]
do {
    let read = try ParcelReader().readAll(try InputBytes(path: sample))
    guard read.problems.isEmpty else { fail("the sample has problems: \(read.problems.prefix(3))") }
    parcels = read.parcels
} catch { fail("\(error)") }

var rng = SplitMix(state: 20_261_126)
let extent = parcels.map { $0.polygons[0].envelope }.reduce(parcels[0].polygons[0].envelope) { $0.union($1) }
let w = extent.maxX - extent.minX, h = extent.maxY - extent.minY
func center(_ p: Parcel) -> Point { MultiPolygon(p.polygons).envelope!.center }
func inside(_ p: Parcel, _ e: Envelope) -> Bool { MultiPolygon(p.polygons).envelope!.intersects(e) }

// Constraint layers.
let programme = Envelope(minX: extent.minX + 0.03 * w, minY: extent.minY + 0.03 * h, maxX: extent.maxX - 0.03 * w, maxY: extent.maxY - 0.03 * h)
let urban = Envelope(minX: extent.minX + 0.72 * w, minY: extent.minY + 0.70 * h, maxX: extent.maxX + 0.001, maxY: extent.maxY + 0.001)
// The red line is drawn around the industrial park nearest the south-west corner, so that one
// construction parcel sits inside it (a violation for the checks to find).
let parks = parcels.filter { $0.state == .industrialPark }
guard let sw = parks.min(by: { (center($0).x - extent.minX) + (center($0).y - extent.minY) < (center($1).x - extent.minX) + (center($1).y - extent.minY) }) else {
    fail("the sample has no industrial park")
}
let swBox = MultiPolygon(sw.polygons).envelope!
let redline = Envelope(minX: swBox.minX - 0.0015, minY: swBox.minY - 0.0015, maxX: swBox.maxX + 0.0015, maxY: swBox.maxY + 0.0015)
let midX = extent.minX + 0.5 * w, midY = extent.minY + 0.45 * h
try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
write(featureCollection([("南海区全域土地综合整治试点区域", GeoJSONWriter.geometry([rectangle(programme)]))]), "\(out)/programme_area.geojson")
write(featureCollection([("城镇开发边界", GeoJSONWriter.geometry([rectangle(urban)]))]), "\(out)/urban_boundary.geojson")
write(featureCollection([("生态保护红线", GeoJSONWriter.geometry([rectangle(redline)]))]), "\(out)/eco_redline.geojson")
let roads = [
    ("G325 国道", "{\"type\":\"LineString\",\"coordinates\":[[\(midX),\(extent.minY - 0.002)],[\(midX),\(extent.maxY + 0.002)]]}"),
    ("佛山一环", "{\"type\":\"LineString\",\"coordinates\":[[\(extent.minX - 0.002),\(midY)],[\(extent.maxX + 0.002),\(midY)]]}"),
]
write(featureCollection(roads.map { ($0.0, $0.1) }), "\(out)/barriers.geojson")

// The log: transitions (one CSV, replayed all or nothing), PBF changes and merges.
var transitions: [(id: String, to: ParcelState, date: String, ref: String, note: String)] = []
var touched = Set<String>()
@MainActor func date(_ year: Int, _ month: ClosedRange<Int>) -> String {
    let m = month.lowerBound + Int(rng.next() % UInt64(month.count))
    return String(format: "%04d-%02d-%02d", year, m, 1 + Int(rng.next() % 28))
}

// NH-2023-01: abandoned land outside the urban boundary is reclaimed, re-greened or returned to farming.
for p in parcels where p.state == .wasteland && !inside(p, urban) {
    let r = rng.unit()
    if r < 0.55 {
        transitions.append((p.id, .reclaimedFarmland, date(2023, 4...12), "NH-2023-01", "撂荒地复垦"))
    } else if r < 0.75 {
        transitions.append((p.id, .ecoRestored, date(2023, 4...12), "NH-2023-01", "撂荒地复绿"))
    } else if r < 0.85 {
        transitions.append((p.id, .farmland, date(2024, 2...5), "NH-2023-01", "恢复耕种"))
    } else { continue }
    touched.insert(p.id)
}
// NH-2024-02: village industrial parks cleared, except the one inside the red line.
for p in parks where p.id != sw.id {
    let to: ParcelState = rng.unit() < 0.6 ? .ecoRestored : .reclaimedFarmland
    transitions.append((p.id, to, date(2024, 3...9), "NH-2024-02", to == .ecoRestored ? "村级工业园腾退复绿" : "村级工业园腾退复垦"))
    touched.insert(p.id)
}
// NH-2025-02: a few fields abandoned (recorded as a loss of cultivated land).
var abandoned = 0
for p in parcels where p.state == .farmland && p.basicFarmland == false && !touched.contains(p.id) && abandoned < 8 && rng.unit() < 0.05 {
    transitions.append((p.id, .wasteland, date(2025, 3...6), "NH-2025-02", "耕地撂荒"))
    touched.insert(p.id)
    abandoned += 1
}

// NH-2024-03: PBF moved out of the urban boundary; one parcel is left in (a violation).
var pbf: [(id: String, action: String, date: String, ref: String)] = []
let pbfInUrban = parcels.filter { $0.basicFarmland == true && inside($0, urban) }.sorted { $0.id < $1.id }
let engine = GeodesicAreaEngine(ellipsoid: .wgs84)
var released = 0.0
for p in pbfInUrban.dropLast() {
    pbf.append((p.id, "release", "2024-06-30", "NH-2024-03"))
    released += try engine.area(of: p.polygons)
}
// …and designated elsewhere on reclaimed land, 10 % more than released.
var designated = 0.0
let reclaimed = Set(transitions.filter { $0.to == .reclaimedFarmland && $0.date < "2024-07-01" }.map(\.id))
for p in parcels.sorted(by: { $0.id < $1.id }) where reclaimed.contains(p.id) && p.basicFarmland == false && !inside(p, urban) {
    guard designated < 1.1 * released else { break }
    pbf.append((p.id, "designate", "2024-07-15", "NH-2024-03"))
    designated += try engine.area(of: p.polygons)
}

// NH-2025-01: fragmented farmland plots (under 1 mu) merged with a touching neighbour in the same state.
var merges: [(ids: [String], into: String, date: String)] = []
let ctx = GEOSContext()
let candidates = parcels.filter { $0.state == .farmland && !touched.contains($0.id) && !inside($0, urban) }
var handles: [GEOSGeometryHandle] = []
for p in candidates { handles.append(try ctx.geometry(p.geometry)) }
let index = try GEOSSpatialIndex(context: ctx, geometries: handles)
var used = Set<String>()
for (i, p) in candidates.enumerated() where merges.count < 15 {
    guard !used.contains(p.id), try engine.area(of: p.polygons) < 2000.0 / 3 else { continue }
    for j in index.query(handles[i]) where j != i {
        let q = candidates[j]
        guard !used.contains(q.id), q.basicFarmland == p.basicFarmland, try ctx.relate(handles[i], handles[j], pattern: "F***1****") else { continue }
        merges.append(([p.id, q.id].sorted(), String(format: "NH-M-%04d", merges.count + 1), "2025-03-01"))
        used.formUnion([p.id, q.id])
        break
    }
}

transitions.sort { ($0.date, $0.id) < ($1.date, $1.id) }
write("id,to,date,ref,note\n" + transitions.map { "\($0.id),\($0.to.rawValue),\($0.date),\($0.ref),\($0.note)" }.joined(separator: "\n") + "\n",
      "\(out)/transitions.csv")
write("id,action,date,ref\n" + pbf.map { "\($0.id),\($0.action),\($0.date),\($0.ref)" }.joined(separator: "\n") + "\n", "\(out)/pbf.csv")
write("ids,into,date,ref\n" + merges.map { "\($0.ids.joined(separator: " ")),\($0.into),\($0.date),NH-2025-01" }.joined(separator: "\n") + "\n",
      "\(out)/merges.csv")
print("geodata/programme: \(transitions.count) transitions, \(pbf.count) PBF changes (released \(Int(released)) m², designated \(Int(designated)) m²), \(merges.count) merges")
