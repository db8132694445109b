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
    /// SHA-256 of the file's bytes, or of a GDAL source's files (each one's name, size and
    /// bytes), lower-case hex.
    public var fileSHA256: String
    /// The bytes hashed (a GDAL source's files together).
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
        // The digest last: it may still be being worked out (and a size that differs says enough).
        file.bytes == fileBytes && file.readOptions == readOptions && file.sha256 == fileSHA256
    }

    /// The bytes and read options of an import's input: a GeoJSON file's bytes, or the files of
    /// a GDAL source (a shapefile's parts, a File Geodatabase's folder: each file's name, size
    /// and bytes) with the source's own options. nil: a source that cannot say (always read).
    struct FileIdentity {
        var sha256: String { digest.value }
        var bytes: Int
        var readOptions: String
        private let digest: Digest

        init?(_ input: any FeatureSource, readOptions: ParcelReadOptions) {
            guard let bytes = input as? InputBytes else {
                guard let (paths, sourceOptions) = input.datasetFiles, !paths.isEmpty,
                      let (digest, total) = Self.hash(paths) else { return nil }
                self.digest = Digest(digest)
                self.bytes = total
                self.readOptions = readOptions.identityText + " source[" + sourceOptions + "]"
                return
            }
            digest = Digest(bytes)
            self.bytes = bytes.count
            self.readOptions = readOptions.identityText
        }

        /// A file's SHA-256, lower-case hex: given, or worked out on a thread of its own while the
        /// import reads the file (a first import needs it only at its end, when it records the
        /// fingerprint; hashing 534 MB first kept the reading waiting 0.35 s).
        private final class Digest: @unchecked Sendable {
            private let done = NSCondition()
            // Guarded by `done`.
            private var hex: String?

            init(_ hex: String) { self.hex = hex }

            init(_ bytes: InputBytes) {
                // The input is only read, through its own page counter (the reading's is not
                // touched): an unchecked box to hand it to the thread.
                struct Input: @unchecked Sendable { let bytes: InputBytes }
                let input = Input(bytes: bytes)
                Thread { [self] in
                    // The hash is wanted at the import's end: at full weight it took a third of
                    // the cores from the first pass over the file, which the reading and the
                    // writing wait for. A re-import that waits for it leaves the cores idle.
                    Cores.runCallingThreadOnlyWhenIdle()
                    var hasher = SHA256()
                    input.bytes.withBytes { raw in
                        // In 64 MiB steps, the mapped pages handed back behind: hashing a large file
                        // does not keep it resident.
                        let step = 64 << 20
                        var (offset, released) = (0, 0)
                        while offset < raw.count {
                            let end = min(offset + step, raw.count)
                            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                            offset = end
                            if let upTo = input.bytes.releasePages(from: released, before: offset) { released = upTo }
                        }
                    }
                    let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
                    done.lock()
                    self.hex = hex
                    done.broadcast()
                    done.unlock()
                }.start()
            }

            /// Waits for the thread, if it is still hashing.
            var value: String {
                done.lock()
                defer { done.unlock() }
                while hex == nil { done.wait() }
                return hex!
            }
        }

        /// SHA-256 over each file's name (without its folder), size and bytes, read in 4 MiB
        /// pieces; nil when a file cannot be read.
        private static func hash(_ paths: [String]) -> (String, Int)? {
            var hasher = SHA256()
            var total = 0
            for path in paths {
                guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
                defer { try? handle.close() }
                guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int else { return nil }
                hasher.update(data: Data("\((path as NSString).lastPathComponent)\n\(size)\n".utf8))
                var read = 0
                while let piece = try? handle.read(upToCount: 4 << 20), !piece.isEmpty {
                    hasher.update(data: piece)
                    read += piece.count
                }
                guard read == size else { return nil }
                total += size
            }
            return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), total)
        }
    }
}
