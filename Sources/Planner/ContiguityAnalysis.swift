import Foundation
import Geometry
import Parcels

/// Contiguous blocks (集中连片): connected components of the graph in which two parcels are
/// joined when they touch or overlap (gap 0) or lie within `gap` metres of each other.
public enum ContiguityAnalysis {
    /// Components of `geometries` (planar, one GEOS context): joined when they intersect (gap 0)
    /// or lie within `gap` (GEOSPreparedDistanceWithin), found through an STRtree of envelopes
    /// and union-find. nil geometries are left out; empty ones are components of their own.
    /// Components are lists of indices, ascending, ordered by their first index.
    /// With `barriers`, two geometries that do not touch are not joined when the shortest segment
    /// between them crosses a barrier (a road or river between two fields).
    public static func components(_ ctx: GEOSContext, _ geometries: [GEOSGeometryHandle?], gap: Double,
                                  barriers: GEOSPreparedGeometry? = nil) throws(LandtrackError) -> [[Int]] {
        var parent = Array(0..<geometries.count)
        func find(_ i: Int) -> Int {
            var i = i
            while parent[i] != i {
                parent[i] = parent[parent[i]]
                i = parent[i]
            }
            return i
        }
        let present = geometries.indices.filter { geometries[$0] != nil }
        let handles = present.map { geometries[$0]! }
        let index = try GEOSSpatialIndex(context: ctx, geometries: handles)
        for (k, i) in present.enumerated() {
            let g = handles[k]
            if try ctx.isEmpty(g) { continue }
            let prepared = try GEOSPreparedGeometry(g)
            let envelope = try ctx.value(ctx.envelope(g)).envelope!
            let search = Envelope(minX: envelope.minX - gap, minY: envelope.minY - gap, maxX: envelope.maxX + gap, maxY: envelope.maxY + gap)
            for m in try index.query(search) where m > k {
                let j = present[m]
                let (ri, rj) = (find(i), find(j))
                if ri == rj { continue }
                let other = handles[m]
                var joined = gap > 0 ? try prepared.distanceWithin(other, gap) : try prepared.intersects(other)
                if joined, let barriers, !(try prepared.intersects(other)) {
                    joined = !(try barriers.intersects(ctx.shortestLine(g, other)))
                }
                if joined { parent[max(ri, rj)] = min(ri, rj) }
            }
        }
        var groups: [Int: [Int]] = [:]
        for i in present { groups[find(i), default: []].append(i) }
        return groups.values.sorted { $0[0] < $1[0] }
    }
}

/// One contiguous block.
public struct Block: Sendable, Hashable {
    public var id: Int
    public var parcels: [String]
    /// Sum of the members' geodesic areas minus the areas where members overlap (real registers
    /// have sliver overlaps; they are counted once).
    public var area: AreaMeasure
    public var memberAreaSum: AreaMeasure
    public var overlap: AreaMeasure
    /// The block's outline (longitude/latitude), when asked for.
    public var outline: [Polygon]?
    /// 千亩方 / 万亩方.
    public var sizeClass: String? {
        area.mu >= 10_000 ? "10,000-mu block (万亩方)" : area.mu >= 1_000 ? "1,000-mu block (千亩方)" : nil
    }
}

/// `landtrack contiguity`: blocks of the selected parcels.
public struct ContiguityReport: Sendable, RenderableReport {
    public var gapMetres: Double
    /// How distances were measured.
    public var distanceMethod: String
    public var selection: String
    public var blocks: [Block]
    public var parcelCount: Int

    public struct Options: Sendable {
        /// States taken into blocks; nil means every state.
        public var states: Set<ParcelState>? = [.farmland, .reclaimedFarmland]
        public var basicFarmlandOnly = false
        public var gapMetres = 0.0
        /// Blocks smaller than this are left out of the report (not of the analysis).
        public var minimumMu = 0.0
        /// Roads, rivers: parcels on either side are not joined across them (longitude/latitude).
        public var barriers: [Geometry] = []
        /// Compute each block's outline (for GeoJSON output).
        public var outlines = false
        public init() {}
    }

    /// Analyses `parcels` (longitude/latitude on `crs`). Gap 0 joins parcels that intersect, tested
    /// on their own coordinates; a positive gap is measured in the CGCS2000 3° Gauss-Krüger plane of
    /// the data (PROJ tmerc, the metric the benchmark peers use).
    ///
    /// `parcels` is consumed: a caller that hands it over (`analyse(consume parcels, …)`) lets
    /// each parcel's coordinates be freed once GEOS holds them, so a million parcels are never
    /// in memory twice.
    public static func analyse(_ parcels: consuming [Parcel], crs: CoordinateReferenceSystem, options: Options) throws(LandtrackError) -> ContiguityReport {
        var all = parcels
        var selected = all.filter { p in
            (options.states?.contains(p.state) ?? true) && (!options.basicFarmlandOnly || p.basicFarmland)
        }.sorted { $0.id < $1.id }
        all = []
        let ctx = GEOSContext()
        var lonlat: [GEOSGeometryHandle] = []
        func buildLonLat() throws(LandtrackError) {
            for i in selected.indices {
                lonlat.append(try ctx.geometry(.multiPolygon(MultiPolygon(selected[i].polygons))))
                selected[i].polygons = []
            }
        }
        var method = "gap 0: parcels that touch or overlap (GEOS intersects on their coordinates)"
        let components: [[Int]]
        if options.gapMetres > 0, !selected.isEmpty {
            let longitude = selected[0].polygons[0].exterior.points[0].x
            let transform = try CoordinateTransform.gaussKrugerPlane(from: crs, near: longitude)
            let plane = transform.target
            var projected: [GEOSGeometryHandle?] = []
            for p in selected {
                var ps: [Polygon] = []
                for polygon in p.polygons { ps.append(try transform.transform(polygon)) }
                projected.append(try ctx.geometry(.multiPolygon(MultiPolygon(ps))))
            }
            var barriers: GEOSPreparedGeometry?
            if !options.barriers.isEmpty {
                var hs: [GEOSGeometryHandle] = []
                for b in options.barriers { hs.append(try ctx.geometry(try transform.transform(b))) }
                barriers = try GEOSPreparedGeometry(try ctx.collection(hs))
            }
            components = try ContiguityAnalysis.components(ctx, projected, gap: options.gapMetres, barriers: barriers)
            // The projected copies are done with: free them before the lon/lat ones are made
            // (one GEOS copy of the parcels at a time keeps a million parcels under 1.2 GB).
            projected.removeAll()
            try buildLonLat()
            method = "within \(JSONValue.numberText(options.gapMetres)) m, distances in the plane of \(plane) (PROJ transverse Mercator)"
                + (barriers == nil ? "" : "; not across the \(options.barriers.count) barrier features")
        } else {
            try buildLonLat()
            components = try ContiguityAnalysis.components(ctx, lonlat, gap: 0)
        }

        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        var blocks: [Block] = []
        for members in components {
            let sum = members.reduce(0.0) { $0 + selected[$1].areaSquareMetres }
            var overlap = 0.0
            if members.count > 1, try !Self.isCleanCoverage(ctx, members.map { lonlat[$0] }) {
                // Only a block whose members overlap pays for pairwise DE-9IM tests.
                let index = try GEOSSpatialIndex(context: ctx, geometries: members.map { lonlat[$0] })
                for (a, i) in members.enumerated() {
                    for b in index.query(lonlat[i]) where b > a {
                        let j = members[b]
                        guard try ctx.relate(lonlat[i], lonlat[j], pattern: "T********") else { continue }
                        overlap += try engine.area(of: ctx.value(ctx.intersection(lonlat[i], lonlat[j])).polygonalParts)
                    }
                }
            }
            var outline: [Polygon]?
            if options.outlines { outline = try Self.outline(ctx, members.map { lonlat[$0] }) }
            blocks.append(Block(id: 0, parcels: members.map { selected[$0].id }.sorted(),
                                area: AreaMeasure(squareMetres: sum - overlap), memberAreaSum: AreaMeasure(squareMetres: sum),
                                overlap: AreaMeasure(squareMetres: overlap), outline: outline))
        }
        blocks.sort { $0.area.squareMetres != $1.area.squareMetres ? $0.area.squareMetres > $1.area.squareMetres : $0.parcels[0] < $1.parcels[0] }
        for i in blocks.indices { blocks[i].id = i + 1 }
        if options.minimumMu > 0 { blocks = blocks.filter { $0.area.mu >= options.minimumMu } }

        var selection = options.states.map { $0.map(\.rawValue).sorted().joined(separator: ", ") } ?? "all states"
        if options.basicFarmlandOnly { selection += ", permanent basic farmland only" }
        return ContiguityReport(gapMetres: options.gapMetres, distanceMethod: method, selection: selection, blocks: blocks,
                                parcelCount: selected.count)
    }

    /// Do the members overlap nowhere? Their coverage union (GEOSCoverageUnion_r, linear in the
    /// edges) then has exactly the area of their sum; for overlapping members the union is
    /// smaller or invalid.
    static func isCleanCoverage(_ ctx: GEOSContext, _ members: [GEOSGeometryHandle]) throws(LandtrackError) -> Bool {
        var sum = 0.0
        for m in members { sum += try ctx.planarArea(m) }
        guard let union = try? ctx.coverageUnion(ctx.collection(members, multiPolygon: true)),
              (try? ctx.validity(union).isValid) == true else { return false }
        return abs(try ctx.planarArea(union) - sum) <= 1e-9 * sum
    }

    /// A block's outline: the coverage union where the members form a clean coverage (the union's
    /// area equals the members' sum), else a union snapped to a 1e-9° grid (≈ 0.1 mm).
    static func outline(_ ctx: GEOSContext, _ members: [GEOSGeometryHandle]) throws(LandtrackError) -> [Polygon] {
        let collection = try ctx.collection(members, multiPolygon: true)
        var sum = 0.0
        for m in members { sum += try ctx.planarArea(m) }
        if let union = try? ctx.coverageUnion(collection), try ctx.validity(union).isValid,
           abs(try ctx.planarArea(union) - sum) <= 1e-9 * sum {
            return try ctx.value(union).polygonalParts
        }
        return try ctx.value(ctx.unaryUnion(ctx.collection(members), gridSize: 1e-9)).polygonalParts
    }

    /// GeoJSON of the blocks' outlines with their figures.
    public func geojson() -> String {
        var out = "{\"type\":\"FeatureCollection\",\"name\":\"contiguous blocks\",\"features\":["
        var first = true
        for b in blocks {
            guard let outline = b.outline, !outline.isEmpty else { continue }
            if !first { out += "," }
            first = false
            var props = JSONObject()
            props.append("block", .number(Double(b.id)))
            props.append("parcel_count", .number(Double(b.parcels.count)))
            props.append("area_m2", .number((b.area.squareMetres * 10_000).rounded() / 10_000))
            props.append("area_mu", .number((b.area.mu * 1_000_000).rounded() / 1_000_000))
            props.append("class", b.sizeClass.map { .string($0) } ?? .null)
            props.append("parcels", .array(b.parcels.map { .string($0) }))
            out += "\n" + GeoJSONWriter.feature(id: "block-\(b.id)", properties: props, polygons: outline, precision: 9)
        }
        return out + "]}\n"
    }

    // MARK: Rendering

    public func json() -> String {
        var out = "{\"gap_m\":\(JSONValue.numberText(gapMetres)),\"distance_method\":"
        JSONValue.writeString(distanceMethod, to: &out)
        out += ",\"selection\":"
        JSONValue.writeString(selection, to: &out)
        out += ",\"parcel_count\":\(parcelCount),\"block_count\":\(blocks.count),\"area_method\":\"geodesic\",\"blocks\":["
        for (i, b) in blocks.enumerated() {
            if i > 0 { out += "," }
            out += "\n{\"id\":\(b.id),\"parcels\":" + JSONValue.array(b.parcels.map { .string($0) }).jsonText
            out += ",\"parcel_count\":\(b.parcels.count),\"area_m2\":\(fixed(b.area.squareMetres, 4)),\"area_mu\":\(fixed(b.area.mu, 6))"
            out += ",\"area_ha\":\(fixed(b.area.hectares, 8)),\"overlap_m2\":\(fixed(b.overlap.squareMetres, 4))"
            out += ",\"class\":" + (b.sizeClass.map { "\"\($0)\"" } ?? "null") + "}"
        }
        return out + "]}\n"
    }

    public func csv() -> String {
        var out = CSV.line(["block", "parcel_count", "area_m2", "area_mu", "area_ha", "overlap_m2", "class", "parcels"])
        for b in blocks {
            out += CSV.line([String(b.id), String(b.parcels.count), fixed(b.area.squareMetres, 4), fixed(b.area.mu, 6),
                             fixed(b.area.hectares, 8), fixed(b.overlap.squareMetres, 4), b.sizeClass ?? "", b.parcels.joined(separator: " ")])
        }
        return out
    }

    public func table() -> String {
        var t = TextTable(headers: ["block", "parcels", "area (m²)", "area (mu)", "area (ha)", "overlap (m²)", "class"], rightAligned: [1, 2, 3, 4, 5])
        for b in blocks {
            t.append([String(b.id), grouped(b.parcels.count), fixed(b.area.squareMetres, 2), fixed(b.area.mu, 2),
                      fixed(b.area.hectares, 4), fixed(b.overlap.squareMetres, 2), b.sizeClass ?? ""])
        }
        let big = blocks.filter { $0.area.mu >= 1000 }.count, huge = blocks.filter { $0.area.mu >= 10_000 }.count
        return """
            contiguous blocks of \(selection): \(grouped(parcelCount)) parcels in \(grouped(blocks.count)) blocks
            joined when: \(distanceMethod)
            areas: geodesic, sum of members less overlaps; 1 mu = 2000/3 m²
            blocks ≥ 1,000 mu: \(big); ≥ 10,000 mu: \(huge)


            """ + t.render()
    }
}
