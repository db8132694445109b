import CGDAL
import CGDALLoader
import Geometry

/// GDAL, loaded when a command first reads or writes survey data rather than when landtrack starts
/// (libgdal's ~100 libraries took ~65 ms of every command's start, GeoJSON commands included).
///
/// Every GDAL call in VectorSources comes after `ready()`: CGDALLoader's forwarding functions stop
/// the process, naming the function, if one is called before.
enum GDALLibrary {
    /// The library opened on first use: the soname of the GDAL landtrack was compiled with.
    static let fileName: String = {
        var name = [CChar](repeating: 0, count: 64)
        landtrack_gdal_soname(&name, name.count)
        return name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }()

    /// Loaded and its drivers registered (GDALAllRegister), once per process.
    private static let loaded: Result<Void, LandtrackError> = {
        let outcome = load(fileName)
        if case .success = outcome { GDALAllRegister() }
        return outcome
    }()

    /// Loads GDAL and registers its drivers on the first call; throws `.library` when it cannot be
    /// loaded (every call then throws the same error).
    static func ready() throws(LandtrackError) {
        try loaded.get()
    }

    /// Opens `path` and resolves every function landtrack calls (`landtrack_gdal_load`: 1 when all
    /// resolved, 0 with dlerror's text or the missing function). The first success is the GDAL used.
    static func load(_ path: String) -> Result<Void, LandtrackError> {
        var message = [CChar](repeating: 0, count: 1024)
        guard landtrack_gdal_load(path, &message, message.count) == 0 else { return .success(()) }
        let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return .failure(.library(name: path, message: reason + " (GDAL reads and writes Shapefile and File Geodatabase layers: apt-get install libgdal32)"))
    }
}
