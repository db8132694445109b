import Foundation
import Geometry
import Parcels

/// `import --layer-kind basic_farmland`: the survey delivers permanent basic farmland as its own
/// layer of polygons (基本农田保护图斑), not as a field of the parcels.
public struct BasicFarmlandLayerOptions: Sendable {
    /// A parcel is designated when at least this share of its area lies in the layer.
    public var minimumShare = 0.5
    public var date = CalendarDate.today
    public var ref: String?
    public var recordedBy = StoreDefaults.user
    public init() {}
}

/// How much of a parcel the PBF layer covers (geodesic areas on the store's ellipsoid).
public struct BasicFarmlandOverlap: Sendable, Hashable {
    /// Overlaps and remainders up to this many m² are digitising slivers, not a straddle.
    public static let sliver = 0.01

    public var parcelID: String
    public var areaSquareMetres: Double
    public var overlapSquareMetres: Double

    public var share: Double { areaSquareMetres > 0 ? min(overlapSquareMetres / areaSquareMetres, 1) : 0 }

    /// The layer's boundary crosses the parcel: more than a sliver of it lies on each side.
    public var straddles: Bool {
        overlapSquareMetres > Self.sliver && areaSquareMetres - overlapSquareMetres > Self.sliver
    }

    /// "NH-000012: 63.41 % in the layer (586.20 of 924.51 m²)"
    public var description: String {
        "\(parcelID): \(fixed(share * 100, 2)) % in the layer (\(fixed(overlapSquareMetres, 2)) of \(fixed(areaSquareMetres, 2)) m²)"
    }
}

/// What a PBF layer import found and recorded.
public struct BasicFarmlandDesignation: Sendable {
    public var source: String
    public var layerFeatures: Int
    public var minimumShare: Double
    /// Designated now, each with a `pbf` event.
    public var designated: [BasicFarmlandOverlap]
    /// At or above the share and PBF already: nothing recorded.
    public var alreadyDesignated: [BasicFarmlandOverlap]
    /// Parcels the layer's boundary crosses, whichever side of the share they fall on.
    public var straddling: [BasicFarmlandOverlap]
    /// PBF in the store but below the share in the layer: listed, never released by an import
    /// (a release is a decision: `landtrack pbf ID --release`).
    public var designatedButOutside: [BasicFarmlandOverlap]

    /// "pbf.shp: 212 parcels designated PBF (at least 50 % in 38 layer polygons), 12 already PBF, 9 straddle the layer's boundary, 1 PBF parcel below the share"
    public var line: String {
        "\(source): \(grouped(designated.count)) parcel\(designated.count == 1 ? "" : "s") designated PBF (at least \(JSONValue.numberText(minimumShare * 100)) % "
            + "in \(grouped(layerFeatures)) layer polygon\(layerFeatures == 1 ? "" : "s")), \(grouped(alreadyDesignated.count)) already PBF, "
            + "\(grouped(straddling.count)) straddle the layer's boundary, \(grouped(designatedButOutside.count)) PBF parcel"
            + "\(designatedButOutside.count == 1 ? "" : "s") below the share (kept)"
    }
}

/// The overlay, a pure function of the parcels and the layer (run outside any transaction).
public enum BasicFarmlandOverlay {
    /// Each parcel's overlap with the union of the layer's polygons, in the parcels' order.
    public static func overlaps(of parcels: [Parcel], with layer: [LayerGeometry],
                                crs: CoordinateReferenceSystem) throws(LandtrackError) -> [BasicFarmlandOverlap] {
        let ctx = GEOSContext()
        let engine = GeodesicAreaEngine(ellipsoid: crs.ellipsoid)
        var polygons: [GEOSGeometryHandle] = []
        for feature in layer { polygons.append(try ctx.readWKB(feature.wkb)) }
        let index = try GEOSSpatialIndex(context: ctx, geometries: polygons)
        var out: [BasicFarmlandOverlap] = []
        out.reserveCapacity(parcels.count)
        for p in parcels {
            let shape = try ctx.geometry(.multiPolygon(MultiPolygon(p.polygons)))
            var pieces: [GEOSGeometryHandle] = []
            for i in index.query(shape) {
                let piece = try ctx.intersection(shape, polygons[i])
                if try !ctx.isEmpty(piece) { pieces.append(piece) }
            }
            var overlap = 0.0
            if !pieces.isEmpty {
                // Layer polygons may overlap one another: their pieces are dissolved first.
                let covered = pieces.count == 1 ? pieces[0] : try ctx.unaryUnion(ctx.collection(pieces))
                let parts = try ctx.value(covered).polygonalParts
                overlap = parts.isEmpty ? 0 : try engine.area(of: parts)
            }
            out.append(BasicFarmlandOverlap(parcelID: p.id, areaSquareMetres: p.areaSquareMetres, overlapSquareMetres: overlap))
        }
        return out
    }
}

extension ParcelStore {
    /// Designates as PBF every active parcel of which at least `options.minimumShare` lies in the
    /// polygons of `input`, each with a `pbf` event dated and referenced like any other, all or
    /// nothing. The overlay runs on a snapshot before the write; the write reads each parcel
    /// again and refuses (changed-meanwhile) one whose geometry or flag changed in between, and
    /// one whose history is dated after `options.date`.
    public func designateBasicFarmland(from input: any FeatureSource,
                                       options: BasicFarmlandLayerOptions) throws(LandtrackError) -> BasicFarmlandDesignation {
        guard options.minimumShare > 0, options.minimumShare <= 1 else {
            throw .invalidArgument("the share of a parcel in the PBF layer must be above 0 and at most 1 (0.5 is 50 %)")
        }
        let (layer, _) = try LayerReader.read("the PBF layer", acceptsLines: false, input, nameField: "name")
        guard !layer.isEmpty else {
            throw .invalidInput(source: input.name, problems: [Diagnostic(.noParcels, "the PBF layer has no polygons")])
        }
        let snapshot = try snapshot()
        let parcels = snapshot.parcels.filter(\.active)
        let overlaps = try BasicFarmlandOverlay.overlaps(of: parcels, with: layer, crs: snapshot.crs)
        let before = Dictionary(uniqueKeysWithValues: parcels.map { ($0.id, $0) })
        var result = BasicFarmlandDesignation(source: input.name, layerFeatures: layer.count, minimumShare: options.minimumShare,
                                              designated: [], alreadyDesignated: [], straddling: [], designatedButOutside: [])
        for o in overlaps {
            let p = before[o.parcelID]!
            if o.straddles { result.straddling.append(o) }
            if o.share >= options.minimumShare {
                if p.basicFarmland { result.alreadyDesignated.append(o) } else { result.designated.append(o) }
            } else if p.basicFarmland {
                result.designatedButOutside.append(o)
            }
        }
        let toDesignate = result.designated
        try write { (tx) throws(LandtrackError) in
            let writer = RecordWriter(tx, by: options.recordedBy)
            var refusals: [Refusal] = []
            let now = try tx.parcels(toDesignate.map(\.parcelID))
            for o in toDesignate {
                let origin = "\(input.name): \(o.parcelID)"
                guard let p = now[o.parcelID], p.active, !p.basicFarmland, p.polygons == before[o.parcelID]!.polygons else {
                    refusals.append(Refusal(.changedMeanwhile(o.parcelID), origin: origin))
                    continue
                }
                if let refusal = try writer.datedBeforeHistory(p.id, options.date, origin: origin) {
                    refusals.append(refusal)
                    continue
                }
                guard refusals.isEmpty else { continue }  // nothing is written once the layer is refused
                _ = try writer.recordBasicFarmland(p, designated: true, date: options.date, ref: options.ref,
                                                   note: "designated permanent basic farmland from the PBF layer \(input.name): "
                                                       + "\(fixed(o.share * 100, 2)) % of the parcel in it")
                var changed = p
                changed.basicFarmland = true
                try tx.update(changed)
            }
            guard refusals.isEmpty else { throw .refused(refusals) }
        }
        return result
    }
}
