import Foundation
import Geometry
import GRDB
import Parcels
import Store

extension ParcelListReport {
    /// Writes the parcels to a new standalone GeoPackage with one `parcels` layer (id, state,
    /// basic_farmland, village, landuse_code, area_m2, area_mu, deduction_ratio, deduction_code,
    /// net_area_m2, properties). Refuses to overwrite
    /// an existing file.
    public func writeGeoPackage(_ path: String) throws(LandtrackError) {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw .io(path: path, message: "exists already; remove it or choose another name (an export never overwrites a GeoPackage)")
        }
        do {
            var config = Configuration()
            config.prepareDatabase { db in GeoPackage.registerFunctions(db) }
            let queue = try DatabaseQueue(path: path, configuration: config)
            try queue.write { db in
                try GeoPackage.createCoreTables(db)
                let srsID = try GeoPackage.addSRS(db, crs)
                try GeoPackage.createFeatureTable(
                    db, name: "parcels", geometryType: "MULTIPOLYGON", srsID: srsID,
                    columns: """
                        parcel_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL, basic_farmland BOOLEAN NOT NULL, village TEXT,
                        landuse_code TEXT, area_m2 DOUBLE NOT NULL, area_mu DOUBLE NOT NULL,
                        deduction_ratio DOUBLE NOT NULL, deduction_code TEXT, net_area_m2 DOUBLE NOT NULL, properties TEXT NOT NULL
                        """,
                    description: "landtrack parcels " + (asOf.map { "as of \($0)" } ?? "(current)"))
                let insert = try db.makeStatement(sql: """
                    INSERT INTO parcels (geom, parcel_id, state, basic_farmland, village, landuse_code, area_m2, area_mu,
                                         deduction_ratio, deduction_code, net_area_m2, properties)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for p in parcels {
                    try insert.execute(arguments: [
                        GeoPackage.blob(p.polygons, srsID: srsID), p.id, p.state.rawValue, p.basicFarmland, p.village, p.landuseCode,
                        p.areaSquareMetres, p.areaSquareMetres * 3 / 2000,
                        p.deduction?.ratio ?? 0, p.deduction?.code, p.netAreaSquareMetres, p.properties.jsonText,
                    ])
                }
                try GeoPackage.updateExtent(db, table: "parcels")
            }
        } catch let error as LandtrackError {
            throw error
        } catch {
            throw GeoPackageStore.describe(error, path: path)
        }
    }
}
