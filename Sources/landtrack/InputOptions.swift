import ArgumentParser
import Foundation
import Geometry
import Parcels
import VectorSources

extension ReportFormat: ExpressibleByArgument {}
extension AreaMethod: ExpressibleByArgument {}
extension AxisOrder: ExpressibleByArgument {}

/// How to read a parcel file: shared by every command that reads one.
struct ParcelFileOptions: ParsableArguments {
    @Argument(help: "A file of parcels: GeoJSON (RFC 7946; '-' reads standard input), or any vector source GDAL reads (Shapefile, File Geodatabase folder, GeoPackage, GML, KML, FlatGeobuf).")
    var file: String

    @OptionGroup var fields: ParcelFieldOptions

    @Option(name: .customLong("source-layer"), help: ArgumentHelp(
        "The layer to read from a source with several (a GDB, a GeoPackage); default: the only (polygon) layer.", valueName: "NAME"))
    var layer: String?

    @Option(help: ArgumentHelp("Text encoding of a shapefile's attributes when it has no .cpg (or a wrong one): GBK, GB18030, UTF-8. Default: the .cpg, else UTF-8.",
                               valueName: "NAME"))
    var encoding: String?

    func validate() throws {
        if !GDALLayerSource.handles(file), layer != nil || encoding != nil {
            throw ValidationError("--source-layer and --encoding apply to sources read through GDAL (Shapefile, GDB, GeoPackage, …), not to GeoJSON")
        }
    }

    func readOptions() throws(LandtrackError) -> ParcelReadOptions { try fields.readOptions() }

    /// GeoJSON through landtrack's own reader; anything else through GDAL.
    func input() throws(LandtrackError) -> any FeatureSource {
        GDALLayerSource.handles(file) ? GDALLayerSource(path: file, layer: layer, encoding: encoding) : try InputBytes(path: file)
    }
}

/// CRS, axis order and property names of a parcel file.
struct ParcelFieldOptions: ParsableArguments {
    @Option(help: ArgumentHelp("CRS of the file's coordinates, overriding its \"crs\" member (e.g. EPSG:4490, EPSG:4547).",
                               valueName: "EPSG:n"))
    var crs: String?

    @Option(name: .customLong("axis-order"),
            help: "Order of the coordinates in the file: lonlat or latlon (default: decided from the first position).")
    var axisOrder: AxisOrder?

    @Option(help: ArgumentHelp(
        "The file's field names: standard (id, state, basic_farmland, village, landuse_code), sandiao (the 三调 DLTB layer: BSM, DLBM, ZLDWMC; states from DLBM), or a JSON file naming some of them, e.g. {\"id\": \"TBBH\", \"village\": \"CUNMC\"}. The --*-field options override it.",
        valueName: "standard|sandiao|FILE.json"))
    var schema = "standard"

    @Option(name: .customLong("id-field"), help: "Property holding the parcel id (else the Feature's id, else its position). Default: id.")
    var idField: String?

    @Option(name: .customLong("state-field"), help: "Property holding the parcel state. Default: state.")
    var stateField: String?

    @Option(name: .customLong("pbf-field"), help: "Property holding the permanent basic farmland flag. Default: basic_farmland.")
    var pbfField: String?

    @Option(name: .customLong("village-field"), help: "Property holding the village name. Default: village.")
    var villageField: String?

    @Option(name: .customLong("landuse-field"), help: "Property holding the GB/T 21010 land-use code. Default: landuse_code.")
    var landuseField: String?

    func validate() throws {
        if let crs, (try? CoordinateReferenceSystem.resolve(crs)) == nil {
            throw ValidationError("--crs \(crs): not a CRS landtrack can use (give EPSG:n, e.g. EPSG:4490 or EPSG:4547)")
        }
        for (flag, value) in [("--id-field", idField), ("--state-field", stateField), ("--pbf-field", pbfField),
                              ("--village-field", villageField), ("--landuse-field", landuseField)] where value?.isEmpty == true {
            throw ValidationError("\(flag) must not be empty")
        }
        if !["standard", "sandiao"].contains(schema), !FileManager.default.fileExists(atPath: schema) {
            throw ValidationError("--schema \(schema): give standard, sandiao or a JSON file of field names")
        }
    }

    /// The schema's field names, each overridden by its --*-field option.
    func fieldNames() throws(LandtrackError) -> ParcelFields {
        var fields = switch schema {
        case "standard": ParcelFields()
        case "sandiao": ParcelFields.sandiao
        default: try ParcelFields.load(path: schema)
        }
        if let idField { fields.id = idField }
        if let stateField { fields.state = stateField }
        if let pbfField { fields.basicFarmland = pbfField }
        if let villageField { fields.village = villageField }
        if let landuseField { fields.landuseCode = landuseField }
        return fields
    }

    func readOptions() throws(LandtrackError) -> ParcelReadOptions {
        ParcelReadOptions(
            fields: try fieldNames(),
            crs: try crs.map { (text: String) throws(LandtrackError) in try CoordinateReferenceSystem.resolve(text) },
            axisOrder: axisOrder)
    }
}
