import Crypto
import Foundation
import Geometry
import Parcels

/// What the store remembers of its last clean import, so that importing the same file again
/// with the same options need not read it: while no stored parcel has been changed or deleted
/// since, every parcel of the file is as the store holds it, and the import would find them all
/// unchanged.
///
/// Recorded at the end of an import that found no problem at all (no warning, no rejected
/// feature), in the import's transaction. Forgotten by the backend itself, in the same
/// transaction, whenever a row of `parcels` is updated or deleted by anyone (a trigger on the
/// table, so an edit in QGIS counts too). Parcels added later do not matter: the file's ids
/// are all in the store already. A later clean import records its own in its place.
public struct ImportFingerprint: Sendable, Equatable {
    /// The file's name as the import was given it (shown, never compared).
    public var source: String
    /// SHA-256 of the file's bytes, lower-case hex.
    public var fileSHA256: String
    public var fileBytes: Int
    /// `ParcelReadOptions.identityText` of the import.
    public var readOptions: String
    /// The parcels the file held.
    public var parcels: Int
    /// The official-area field checked on the way and how many parcels it checked (all agreed:
    /// a disagreement is a warning, and an import with warnings records nothing).
    public var officialAreaField: String?
    public var officialAreasChecked: Int
    public var recordedAt: String

    public init(source: String, fileSHA256: String, fileBytes: Int, readOptions: String, parcels: Int,
                officialAreaField: String?, officialAreasChecked: Int, recordedAt: String) {
        self.source = source
        self.fileSHA256 = fileSHA256
        self.fileBytes = fileBytes
        self.readOptions = readOptions
        self.parcels = parcels
        self.officialAreaField = officialAreaField
        self.officialAreasChecked = officialAreasChecked
        self.recordedAt = recordedAt
    }

    /// Does `file` say the same as this fingerprint's file?
    func matches(_ file: FileIdentity) -> Bool {
        file.sha256 == fileSHA256 && file.bytes == fileBytes && file.readOptions == readOptions
    }

    /// The bytes and read options of an import's input. Only GeoJSON bytes have one; a GDAL
    /// source (Shapefile, File Geodatabase) is always read.
    struct FileIdentity {
        var sha256: String
        var bytes: Int
        var readOptions: String

        init?(_ input: any FeatureSource, readOptions: ParcelReadOptions) {
            guard let bytes = input as? InputBytes else { return nil }
            var hasher = SHA256()
            bytes.withBytes { raw in
                // In 64 MiB steps, the mapped pages handed back behind: hashing a large file
                // does not keep it resident.
                let step = 64 << 20
                var offset = 0
                while offset < raw.count {
                    let end = min(offset + step, raw.count)
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                    bytes.releasePages(before: offset)
                }
            }
            bytes.rewind()
            sha256 = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            self.bytes = bytes.count
            self.readOptions = readOptions.identityText
        }
    }
}
