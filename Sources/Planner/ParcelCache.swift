import Crypto
import Foundation
import Geometry
import Parcels

/// A binary copy of a parcel file as the planner reads it (parcels with their geodesic areas,
/// and the file's CRS), so that the second and later commands on an unchanged file skip the
/// GeoJSON parsing and the import checks: planners rerun summaries and block analyses on the
/// same file many times.
///
/// One cache file per input, in `$XDG_CACHE_HOME/landtrack` (default `~/.cache/landtrack`),
/// named by the SHA-256 of the input's absolute path. It is used only when the input's size,
/// modification time (ns), inode, the SHA-256 of its first and last 64 KiB, the read options
/// and the cache format all match; anything else, a truncated or foreign cache file included,
/// means the file is read again (and the cache rewritten). Writing is best effort (atomic
/// rename); a failure to write never fails the command.
public struct ParcelCache: Sendable {
    public let directory: URL
    /// Parcels a thread encodes or decodes at a time (the runs are spread over every core).
    public var parcelsPerRun: Int
    static let magic: [UInt8] = Array("LTPC0006".utf8)
    /// The fewest bytes a parcel takes in the file (an id as its predecessor's, no texts, no
    /// deduction, no polygon): a count that the runs cannot hold is damage, found before room for
    /// that many parcels is asked for.
    static let smallestParcel = 2 + 2 + 1 + 1 + 8 + 1 + 1 + 1

    public init(directory: URL, parcelsPerRun: Int = 8192) {
        self.directory = directory
        self.parcelsPerRun = max(1, parcelsPerRun)
    }

    /// The user's cache directory, or nil when LANDTRACK_NO_CACHE is set.
    public static var standard: ParcelCache? {
        let env = ProcessInfo.processInfo.environment
        if let off = env["LANDTRACK_NO_CACHE"], !off.isEmpty, off != "0" { return nil }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return ParcelCache(directory: base.appendingPathComponent("landtrack"))
    }

    /// What identifies the input and the way it was read.
    struct Key: Equatable {
        var fingerprint: [UInt8]
        var cachePath: URL
    }

    func key(path: String, options: ParcelReadOptions) -> Key? {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var st = stat()
        guard stat(absolute, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        var hasher = SHA256()
        hasher.update(data: Data("\(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(st.st_ino) \(st.st_dev)".utf8))
        hasher.update(data: Data(options.identityText.utf8))
        guard let handle = FileHandle(forReadingAtPath: absolute) else { return nil }
        defer { try? handle.close() }
        let size = UInt64(st.st_size), edge: UInt64 = 65_536
        hasher.update(data: (try? handle.read(upToCount: Int(edge))) ?? Data())
        if size > edge {
            try? handle.seek(toOffset: size - min(edge, size - edge))
            hasher.update(data: (try? handle.readToEnd()) ?? Data())
        }
        let name = SHA256.hash(data: Data(absolute.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        return Key(fingerprint: Array(hasher.finalize()), cachePath: directory.appendingPathComponent("\(name).parcels"))
    }

    // MARK: Format: magic, fingerprint (32), CRS identifier, count, run size, then the runs of
    // parcels, each parcel: id (as the bytes it shares with the run's previous id, then the
    // rest), state, PBF, village and land use (run-local texts: `Writer.Run.text`), area,
    // deduction share (a byte 0 for none, else 1 and the Float64) and code, polygons (rings:
    // their positions as decimal integers, or as Float64 pairs: `Writer.ring`); then the index:
    // where each run starts, and last where the index starts. Texts' lengths and the counts of
    // polygons, rings and positions are varints (`Writer.count`); the header's count and run
    // size and the index are 8-byte integers. A run is decoded without the runs before it.

    /// The parcels kept under `key`; nil when there are none or they do not decode. `polygons:
    /// false` skips every parcel's polygons (left empty): for what needs none of them.
    func read(_ key: Key, polygons: Bool = true) -> (parcels: [Parcel], crs: CoordinateReferenceSystem)? {
        // Memory-mapped, pages handed back as the decoding passes them: the cache file and the
        // parcels decoded from it are not resident at once.
        guard FileManager.default.fileExists(atPath: key.cachePath.path), let input = try? InputBytes(path: key.cachePath.path) else { return nil }
        return input.withBytes { raw -> (parcels: [Parcel], crs: CoordinateReferenceSystem)? in
            var r = Reader(raw: raw)
            guard r.bytes(Self.magic.count) == Self.magic, r.bytes(32) == key.fingerprint,
                  let crsText = r.string(), let crs = try? CoordinateReferenceSystem.resolve(crsText),
                  let count = r.int(), let run = r.int(), run >= 1 else { return nil }
            // The index says where every run starts, so that the runs are decoded on every core
            // at once (a first pass over the whole file found them, on one thread). Each run must
            // end exactly where the next starts, the last where the index does: a cache file that
            // does not decode so (truncated, damaged) is not used, and the input is read again.
            let runCount = (count + run - 1) / run
            guard raw.count >= r.offset + 8 else { return nil }
            var tail = Reader(raw: raw, offset: raw.count - 8)
            guard let indexStart = tail.int(), indexStart >= r.offset, raw.count - 8 - indexStart == 8 * runCount,
                  count <= (indexStart - r.offset) / Self.smallestParcel else { return nil }
            var index = Reader(raw: raw, offset: indexStart)
            var bounds: [Int] = []
            bounds.reserveCapacity(runCount + 1)
            for _ in 0..<runCount {
                guard let start = index.int(), start >= (bounds.last ?? r.offset), start <= indexStart else { return nil }
                bounds.append(start)
            }
            bounds.append(indexStart)
            guard bounds[0] == r.offset else { return nil }
            // Each run decoded straight into its place in the one array (appending the runs in
            // order copied every parcel once more, a retain and a release for each of its parts,
            // on one thread). A run that does not decode leaves the cache unread: every parcel
            // made is released again.
            var whole = true
            let parcels = [Parcel](unsafeUninitializedCapacity: count) { buffer, initialized in
                let target = DisjointRanges(buffer)
                var made: [Int] = []
                made.reserveCapacity(runCount)
                ParallelInOrder.forEach(0..<runCount, workers: Array(repeating: (), count: Cores.available),
                                        body: { (_: inout Void, k: Int) -> (made: Int, whole: Bool) in
                    var reader = Reader(raw: UnsafeRawBufferPointer(rebasing: raw[..<bounds[k + 1]]), offset: bounds[k])
                    let first = k * run
                    var n = 0
                    while n < min(run, count - first) {
                        guard let p = reader.parcel(polygons: polygons) else { return (n, false) }
                        (target.buffer.baseAddress! + first + n).initialize(to: consume p)
                        n += 1
                    }
                    return (n, reader.atEnd)
                }, deliver: { (result: (made: Int, whole: Bool)) in
                    made.append(result.made)
                    whole = whole && result.whole
                    input.releasePages(before: bounds[made.count])
                })
                if whole {
                    initialized = count
                } else {
                    for (k, n) in made.enumerated() where n > 0 { (buffer.baseAddress! + k * run).deinitialize(count: n) }
                    initialized = 0
                }
            }
            guard whole else { return nil }
            return (parcels, crs)
        }
    }

    func write(_ key: Key, parcels: [Parcel], crs: CoordinateReferenceSystem) {
        let temporary = directory.appendingPathComponent(".\(UUID().uuidString).tmp")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else { return }
            let file = try FileHandle(forWritingTo: temporary)
            defer { try? file.close() }
            var head: [UInt8] = []
            head.append(contentsOf: Self.magic)
            head.append(contentsOf: key.fingerprint)
            Writer.string(crs.identifier, &head)
            Writer.int(parcels.count, &head)
            Writer.int(parcelsPerRun, &head)
            try head.withUnsafeBytes { try file.write(contentsOf: $0) }
            var offset = head.count
            var index: [UInt8] = []
            // Encoded in runs on every core and written in order: a few runs in memory at a
            // time, never a million parcels twice.
            let run = parcelsPerRun
            func encode(_ k: Int) -> [UInt8] {
                var out: [UInt8] = []
                var encoder = Writer.Run()
                // Each parcel lent, not copied (a copy was a retain and a release of each part).
                for i in (k * run)..<min(parcels.count, (k + 1) * run) { Writer.parcel(parcels[i], &encoder, &out) }
                return out
            }
            try ParallelInOrder.forEach(0..<((parcels.count + run - 1) / run), workers: Array(repeating: (), count: Cores.available),
                                        body: { (_: inout Void, k: Int) in encode(k) },
                                        deliver: { (bytes: [UInt8]) throws in
                Writer.int(offset, &index)
                offset += bytes.count
                try bytes.withUnsafeBytes { try file.write(contentsOf: $0) }
            })
            Writer.int(offset, &index)
            try index.withUnsafeBytes { try file.write(contentsOf: $0) }
            if rename(temporary.path, key.cachePath.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
        } catch {
            // Best effort: the next command reads the file again.
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    /// Little-endian values appended to a byte array (`Data.append` of 8 bytes at a time cost
    /// seconds at a million parcels).
    enum Writer {
        /// A parcel as `read` reads it (the format above), `run` the texts and id before it.
        /// Its arguments in and out, not captured: a nested function's captured variables were
        /// checked for exclusive access at every use (a fifth of the encoding).
        static func parcel(_ p: borrowing Parcel, _ run: inout Run, _ out: inout [UInt8]) {
            run.id(p.id, &out)
            out.append(UInt8(p.state.ordinal))
            out.append(p.basicFarmland ? 1 : 0)
            run.text(p.village, &out)
            run.text(p.landuseCode, &out)
            double(p.areaSquareMetres, &out)
            share(p.deduction?.ratio ?? 0, &out)
            run.text(p.deduction?.code, &out)
            count(p.polygons.count, &out)
            for polygon in p.polygons {
                // The exterior, then the holes (not `rings`: an array made for each polygon).
                count(1 + polygon.holes.count, &out)
                count(polygon.exterior.points.count, &out)
                ring(polygon.exterior.points, &out)
                for hole in polygon.holes {
                    count(hole.points.count, &out)
                    ring(hole.points, &out)
                }
            }
        }

        static func int(_ v: Int, _ out: inout [UInt8]) { withUnsafeBytes(of: UInt64(v).littleEndian) { out.append(contentsOf: $0) } }
        static func double(_ v: Double, _ out: inout [UInt8]) { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        /// A length or a count, as an LEB128 varint: a byte for most (eight each made a third
        /// of the cache, whose size is the first command's write).
        static func count(_ v: Int, _ out: inout [UInt8]) { leb128(UInt64(v), &out) }
        /// A signed difference, zigzag-mapped (small magnitudes, small varints).
        @inline(__always)
        static func zigzagged(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
        /// `leb128` into memory with room for ten bytes at `n`; the index after it.
        @inline(__always)
        static func leb128(_ value: UInt64, _ out: UnsafeMutablePointer<UInt8>, at n: Int) -> Int {
            var (z, n) = (value, n)
            while z >= 0x80 {
                out[n] = UInt8(truncatingIfNeeded: z) | 0x80
                z >>= 7
                n += 1
            }
            out[n] = UInt8(z)
            return n + 1
        }
        static func leb128(_ value: UInt64, _ out: inout [UInt8]) {
            var z = value
            while z >= 0x80 {
                out.append(UInt8(truncatingIfNeeded: z) | 0x80)
                z >>= 7
            }
            out.append(UInt8(z))
        }
        static func string(_ s: String, _ out: inout [UInt8]) {
            count(s.utf8.count, &out)
            out.append(contentsOf: s.utf8)
        }

        /// A deduction share: a byte 0 for +0.0 (most parcels: none), else 1 and the Float64.
        static func share(_ v: Double, _ out: inout [UInt8]) {
            guard v.bitPattern != 0 else { return out.append(0) }
            out.append(1)
            double(v, &out)
        }

        /// What a run's parcels share: texts already written in it, and the previous id. (A
        /// parcel's 46 bytes of attributes were two fifths of the cache: ids that differ in their
        /// last digits, a few village names and land-use codes said again and again.)
        struct Run {
            private var texts: [Text: Int] = [:]
            /// The last texts written or referred to, with their numbers, tried before hashing:
            /// neighbouring parcels mostly share their village and land-use code.
            private var recent: [(text: Text, k: Int)] = []
            private var previousID: [UInt8] = []

            /// A text as its bytes: two spellings of one character (composed, decomposed) are two
            /// texts, as they are in the file; and hashing bytes needs no normalization (village
            /// names in Chinese went through Unicode's for every parcel).
            private struct Text: Hashable {
                let string: String
                /// The byte count and the first 16 bytes (zeros after the end), read once: texts are
                /// compared with up to four recent ones each, and reading a String's bytes for
                /// every comparison was a sixth of the encoding.
                let count: Int
                let head: (UInt64, UInt64)

                init(_ string: String) {
                    self.string = string
                    var s = string
                    (count, head) = s.withUTF8 { bytes in
                        var words: (UInt64, UInt64) = (0, 0)
                        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes).prefix(16))) }
                        return (bytes.count, words)
                    }
                }

                static func == (a: Text, b: Text) -> Bool {
                    guard a.count == b.count, a.head == b.head else { return false }
                    guard a.count > 16 else { return true }
                    var (x, y) = (a.string, b.string)
                    return x.withUTF8 { u in y.withUTF8 { v in memcmp(u.baseAddress!, v.baseAddress!, u.count) == 0 } }
                }

                func hash(into hasher: inout Hasher) {
                    guard count > 16 else {
                        hasher.combine(count)
                        hasher.combine(head.0)
                        return hasher.combine(head.1)
                    }
                    var s = string
                    s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
                }
            }

            /// The id as the count of leading bytes it shares with the run's previous id, then
            /// the rest (a varint count and the bytes).
            mutating func id(_ id: String, _ out: inout [UInt8]) {
                var id = id
                id.withUTF8 { bytes in
                    var shared = 0
                    while shared < min(bytes.count, previousID.count), bytes[shared] == previousID[shared] { shared += 1 }
                    count(shared, &out)
                    count(bytes.count - shared, &out)
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[shared...]))
                    // Kept in the same storage (an array a parcel was a tenth of the encoding).
                    previousID.removeAll(keepingCapacity: true)
                    previousID.append(contentsOf: bytes)
                }
            }

            /// A text as a varint: 0 for none, k for the run's k-th text, and one more than the
            /// run's texts for a new one, whose length and bytes follow (it is the next text).
            mutating func text(_ s: String?, _ out: inout [UInt8]) {
                guard let s else { return out.append(0) }
                let text = Text(s)
                if let hit = recent.first(where: { $0.text == text }) { return count(hit.k, &out) }
                if let k = texts[text] {
                    remember(text, k)
                    return count(k, &out)
                }
                texts[text] = texts.count + 1
                remember(text, texts.count)
                count(texts.count, &out)
                string(s, &out)
            }

            private mutating func remember(_ text: Text, _ k: Int) {
                if recent.count == 4 { recent.removeFirst() }
                recent.append((text, k))
            }
        }
        /// The powers of ten a ring's positions may be scaled by (all exact in Float64).
        static let scales: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]
        /// The byte that says a ring's positions follow as Float64 pairs.
        static let float64Pairs: UInt8 = 0xFF

        /// A ring's positions: when each coordinate is, exactly, an integer over 10^k for one
        /// k ≤ 9 (coordinates read from text with up to nine decimals, as surveys and GeoJSON
        /// writers give them), the byte k and then each x and y as the zigzag LEB128 varint of its
        /// difference from the previous position's integer: a parcel's neighbouring vertices
        /// differ by a few hundred units of 1e-7°, two bytes where a Float64 takes eight (the cache
        /// of a million parcels was 315 MB, and writing it a second of the first command). Exact
        /// means the integer divided by 10^k, as `Reader` divides it, gives the coordinate's very
        /// bits (-0.0 does not); any ring that is not so goes as Float64 pairs.
        static func ring(_ points: [Point], _ out: inout [UInt8]) {
            // The first position's least scale, raised while a later coordinate needs more: the
            // positions are encoded as they are checked, and encoded again at the next scale
            // when one is not exact (a single pass for nearly every ring; two rounded products
            // per coordinate, one of them through libm, were half of the cache's encoding).
            var k = 0
            if let first = points.first {
                while k < scales.count, integer(first.x, scales[k]) == nil || integer(first.y, scales[k]) == nil { k += 1 }
            }
            while k < scales.count {
                let scale = scales[k]
                // Into a buffer first (at most ten bytes a varint, two a position, and the byte k),
                // appended whole: appending a byte at a time checked the array's room each time.
                let encoded = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 + 20 * points.count) { buffer -> Bool in
                    let base = buffer.baseAddress!
                    var n = 0
                    base[n] = UInt8(k)
                    n += 1
                    var (px, py): (Int64, Int64) = (0, 0)
                    for p in points {
                        guard let x = integer(p.x, scale), let y = integer(p.y, scale) else { return false }
                        n = leb128(zigzagged(x &- px), base, at: n)
                        n = leb128(zigzagged(y &- py), base, at: n)
                        (px, py) = (x, y)
                    }
                    out.append(contentsOf: UnsafeBufferPointer(start: base, count: n))
                    return true
                }
                if encoded { return }
                k += 1
            }
            out.append(float64Pairs)
            Writer.points(points, &out)
        }

        /// The integer m with m / `scale` (as `Reader` divides it) giving `v`'s very bits, if
        /// there is one (-0.0 has none: through Int64 it comes back +0.0).
        @inline(__always)
        static func integer(_ v: Double, _ scale: Double) -> Int64? {
            let product = v * scale
            // Below 2^51, adding and taking away 1.5 × 2^52 rounds to the nearest integer without
            // a call (ties, to even, are never exact: m / scale cannot give back v there).
            let m = abs(product) < 0x1p51 ? (product + 0x1.8p52) - 0x1.8p52 : product.rounded()
            guard abs(m) < 9.0e15 else { return nil }
            let integer = Int64(m)
            return (Double(integer) / scale).bitPattern == v.bitPattern ? integer : nil
        }

        /// x, y as Float64 pairs: on a little-endian machine a `[Point]`'s memory is exactly that.
        static func points(_ points: [Point], _ out: inout [UInt8]) {
            #if _endian(little)
            if MemoryLayout<Point>.stride == 16 {
                points.withUnsafeBytes { out.append(contentsOf: $0) }
                return
            }
            #endif
            for point in points {
                double(point.x, &out)
                double(point.y, &out)
            }
        }
    }

    /// Bounds-checked reads: a short or damaged cache file yields nil, never a crash.
    struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset = 0
        var atEnd: Bool { offset == raw.count }

        /// The texts of the run so far, and its previous id (`Writer.Run`).
        var texts: [String] = []
        var previousID: [UInt8] = []

        /// A parcel's fields before its polygons, as `write` wrote them; nil when the bytes are
        /// not those.
        mutating func attributes() -> (id: String, state: ParcelState, basicFarmland: Bool, village: String?, landuse: String?,
                                       area: Double, deductionRatio: Double, deductionCode: String?)? {
            guard let id = id(), let stateIndex = byte(), stateIndex < ParcelState.allCases.count, let pbf = byte(),
                  let village = text(), let landuse = text(), let area = double(),
                  let deductionRatio = share(), let deductionCode = text() else { return nil }
            return (id, ParcelState.allCases[Int(stateIndex)], pbf == 1, village, landuse, area, deductionRatio, deductionCode)
        }

        /// One parcel as `write` wrote it; nil when the bytes are not one. `polygons: false`:
        /// its polygons are passed over (their counts and forms checked), and left empty.
        mutating func parcel(polygons wanted: Bool = true) -> Parcel? {
            guard let (id, state, basicFarmland, village, landuse, area, deductionRatio, deductionCode) = attributes(),
                  let polygonCount = count(), polygonCount <= raw.count - offset else { return nil }
            var polygons: [Polygon] = []
            if wanted { polygons.reserveCapacity(polygonCount) }
            for _ in 0..<polygonCount {
                // Counts no larger than the bytes left (each part takes some): a damaged count
                // never asks for room it cannot fill.
                guard let ringCount = count(), ringCount >= 1, ringCount <= raw.count - offset else { return nil }
                guard wanted else {
                    for _ in 0..<ringCount {
                        guard let n = count(), n >= 4, skipRing(n) else { return nil }
                    }
                    continue
                }
                guard let n = count(), let outline = ring(n), let exterior = try? LinearRing(outline) else { return nil }
                // No array of rings for a polygon without holes (most parcels): one allocation less a parcel.
                var holes: [LinearRing] = []
                if ringCount > 1 {
                    holes.reserveCapacity(ringCount - 1)
                    for _ in 1..<ringCount {
                        guard let n = count(), let points = ring(n), let ring = try? LinearRing(points) else { return nil }
                        holes.append(ring)
                    }
                }
                polygons.append(Polygon(exterior: exterior, holes: holes))
            }
            return Parcel(id: id, state: state, basicFarmland: basicFarmland,
                          village: village, landuseCode: landuse, polygons: polygons, areaSquareMetres: area,
                          deduction: .stored(ratio: deductionRatio, code: deductionCode))
        }

        mutating func bytes(_ n: Int) -> [UInt8]? {
            guard n >= 0, offset + n <= raw.count else { return nil }
            defer { offset += n }
            return Array(raw[offset..<(offset + n)])
        }
        mutating func byte() -> UInt8? {
            guard offset < raw.count else { return nil }
            defer { offset += 1 }
            return raw[offset]
        }
        mutating func int() -> Int? {
            guard offset + 8 <= raw.count else { return nil }
            defer { offset += 8 }
            let v = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            return v <= UInt64(Int32.max) ? Int(v) : nil
        }
        mutating func double() -> Double? {
            guard offset + 8 <= raw.count else { return nil }
            defer { offset += 8 }
            return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
        }
        /// A count as `Writer.count` wrote it, at most Int32.max.
        mutating func count() -> Int? {
            guard let v = leb128(maxBytes: 5), v <= UInt64(Int32.max) else { return nil }
            return Int(v)
        }
        /// A signed difference as `Writer.ring` wrote it (`Writer.zigzagged`, as an LEB128 varint).
        mutating func zigzag() -> Int64? {
            leb128(maxBytes: 10).map { Int64(bitPattern: $0 >> 1) ^ -Int64(bitPattern: $0 & 1) }
        }
        /// An LEB128 varint of at most `maxBytes` bytes; nil past the end or when longer.
        mutating func leb128(maxBytes: Int) -> UInt64? {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            for _ in 0..<maxBytes {
                guard offset < raw.count else { return nil }
                let b = raw[offset]
                offset += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
            return nil
        }
        mutating func string() -> String? {
            guard let n = count(), n <= raw.count - offset else { return nil }
            defer { offset += n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)]), as: UTF8.self)
        }
        /// An id as `Writer.Run.id` wrote it.
        mutating func id() -> String? {
            guard let shared = count(), shared <= previousID.count, let n = count(), n <= raw.count - offset else { return nil }
            // In the previous id's storage (an array a parcel was a fifth of the decoding).
            previousID.removeLast(previousID.count - shared)
            previousID.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)]))
            offset += n
            return previousID.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        }
        /// A text as `Writer.Run.text` wrote it: .some(nil) for none.
        mutating func text() -> String?? {
            guard let k = count() else { return nil }
            if k == 0 { return .some(nil) }
            if k <= texts.count { return .some(texts[k - 1]) }
            guard k == texts.count + 1, let s = string() else { return nil }
            texts.append(s)
            return .some(s)
        }
        /// A deduction share as `Writer.share` wrote it.
        mutating func share() -> Double? {
            switch byte() {
            case 0?: return 0
            case 1?: return double()
            default: return nil
            }
        }
        /// `n` positions as `Writer.ring` wrote them.
        mutating func ring(_ n: Int) -> [Point]? {
            guard let form = byte() else { return nil }
            if form == Writer.float64Pairs { return points(n) }
            guard Int(form) < Writer.scales.count, n >= 0, n <= raw.count - offset else { return nil }
            let scale = Writer.scales[Int(form)]
            var (x, y): (Int64, Int64) = (0, 0)
            var failed = false
            let points = [Point](unsafeUninitializedCapacity: n) { buffer, initialized in
                for k in 0..<n {
                    guard let dx = zigzag(), let dy = zigzag() else { failed = true; break }
                    (x, y) = (x &+ dx, y &+ dy)
                    // Within Float64's integers (a damaged run's sums need not be), so the
                    // quotients are finite: the check below never throws for a sound file.
                    guard x.magnitude < 9_000_000_000_000_000, y.magnitude < 9_000_000_000_000_000,
                          let point = try? Point(x: Double(x) / scale, y: Double(y) / scale) else { failed = true; break }
                    (buffer.baseAddress! + k).initialize(to: point)
                    initialized = k + 1
                }
            }
            return failed ? nil : points
        }

        /// Passes over `n` positions as `Writer.ring` wrote them; false when they are not there.
        mutating func skipRing(_ n: Int) -> Bool {
            guard let form = byte() else { return false }
            if form == Writer.float64Pairs {
                guard n <= (raw.count - offset) / 16 else { return false }
                offset += 16 * n
                return true
            }
            guard Int(form) < Writer.scales.count, n <= raw.count - offset else { return false }
            for _ in 0..<(2 * n) {
                guard leb128(maxBytes: 10) != nil else { return false }
            }
            return true
        }

        mutating func points(_ n: Int) -> [Point]? {
            guard n >= 0, offset + 16 * n <= raw.count else { return nil }
            let start = offset
            offset += 16 * n
            #if _endian(little)
            if MemoryLayout<Point>.stride == 16 {
                // The Float64 pairs as they lie: one copy, then every value checked finite.
                let points = [Point](unsafeUninitializedCapacity: n) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 16 * n)]))
                    initialized = n
                }
                var finite = true
                for p in points { finite = finite && p.x.isFinite && p.y.isFinite }
                return finite ? points : nil
            }
            #endif
            var points: [Point] = []
            points.reserveCapacity(n)
            for k in 0..<n {
                let x = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 16 * k, as: UInt64.self)))
                let y = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 16 * k + 8, as: UInt64.self)))
                guard let p = try? Point(x: x, y: y) else { return nil }
                points.append(p)
            }
            return points
        }
    }
}

extension ParcelCache {
    /// The cache's place for one input read one way: its parcels, and what is derived from them
    /// alone (the contact graph). Known only together with the parcels read under it, so that
    /// what is kept beside them is of the same parcels.
    public struct Entry: Sendable {
        let cache: ParcelCache
        let key: Key

        static let contactsMagic: [UInt8] = Array("LTGC0001".utf8)
        var contactsPath: URL { key.cachePath.deletingPathExtension().appendingPathExtension("contacts") }

        /// The contact graph kept for these `parcelCount` parcels, or nil: none kept, kept for
        /// another state of the input or another cache format, or damaged.
        // Format: magic, the parcel cache's magic, fingerprint (32), parcel count, the counts of
        // intersecting and overlapping pairs, then the pairs (UInt64, i << 32 | j, i < j).
        public func contacts(parcelCount: Int) -> ParcelContacts? { contacts(expecting: parcelCount) }

        /// The contact graph kept for the parcels under this entry, for as many parcels as it
        /// says when `expected` is nil (the caller holds it to the parcels it reads);
        /// `withoutOverlaps`: nil, its pairs unread, when the graph has an overlapping pair.
        func contacts(expecting expected: Int?, withoutOverlaps: Bool = false) -> ParcelContacts? {
            guard FileManager.default.fileExists(atPath: contactsPath.path), let input = try? InputBytes(path: contactsPath.path) else { return nil }
            return input.withBytes { raw -> ParcelContacts? in
                var r = Reader(raw: raw)
                guard r.bytes(Self.contactsMagic.count) == Self.contactsMagic, r.bytes(ParcelCache.magic.count) == ParcelCache.magic,
                      r.bytes(32) == key.fingerprint, let parcelCount = r.int(), expected == nil || parcelCount == expected,
                      let n = r.int(), let m = r.int(), !(withoutOverlaps && m > 0), raw.count - r.offset == 8 * (n + m) else { return nil }
                func pairs(_ count: Int, from offset: Int) -> [UInt64]? {
                    var valid = true
                    let pairs = [UInt64](unsafeUninitializedCapacity: count) { buffer, initialized in
                        for k in 0..<count {
                            let p = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * k, as: UInt64.self))
                            let (i, j) = ParcelContacts.unpack(p)
                            valid = valid && i < j && j < parcelCount
                            buffer[k] = p
                        }
                        initialized = count
                    }
                    return valid ? pairs : nil
                }
                guard let intersecting = pairs(n, from: r.offset), let overlapping = pairs(m, from: r.offset + 8 * n) else { return nil }
                return ParcelContacts(parcelCount: parcelCount, intersecting: intersecting, overlapping: overlapping)
            }
        }

        /// `keep(contacts)` on a thread of its own while `body` runs (the command's analysis and
        /// output, on one thread at its end): at a million parcels the write is 22 MB into fresh
        /// page-cache pages, 0.2 s that waited its turn. Returns once both are done.
        public func keep<T>(_ contacts: ParcelContacts, during body: () throws -> T) rethrows -> T {
            let written = DispatchSemaphore(value: 0)
            Thread {
                keep(contacts)
                written.signal()
            }.start()
            defer { written.wait() }
            return try body()
        }

        /// Keeps `contacts` for the parcels read under this entry (best effort, atomic rename:
        /// a failure to write never fails the command).
        public func keep(_ contacts: ParcelContacts) {
            let temporary = cache.directory.appendingPathComponent(".\(UUID().uuidString).tmp")
            var head: [UInt8] = []
            head.append(contentsOf: Self.contactsMagic)
            head.append(contentsOf: ParcelCache.magic)
            head.append(contentsOf: key.fingerprint)
            Writer.int(contacts.parcelCount, &head)
            Writer.int(contacts.intersecting.count, &head)
            Writer.int(contacts.overlapping.count, &head)
            do {
                try FileManager.default.createDirectory(at: cache.directory, withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else { return }
                let file = try FileHandle(forWritingTo: temporary)
                defer { try? file.close() }
                try head.withUnsafeBytes { try file.write(contentsOf: $0) }
                for pairs in [contacts.intersecting, contacts.overlapping] {
                    #if _endian(little)
                    try pairs.withUnsafeBytes { try file.write(contentsOf: $0) }
                    #else
                    try pairs.map { $0.littleEndian }.withUnsafeBytes { try file.write(contentsOf: $0) }
                    #endif
                }
                if rename(temporary.path, contactsPath.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
            } catch {
                try? FileManager.default.removeItem(at: temporary)
            }
        }
    }
}

extension PlannerInput {
    /// For gap 0 from a kept contact graph: the parcels of the file at `path` without their
    /// polygons (skipped in the cache, not decoded), with the graph, when `cache` holds this
    /// very file read with these options and a graph kept beside it in which no two parcels
    /// overlap; nil otherwise (then load as usual). Blocks are then made from the graph, and
    /// their areas from the parcels' kept areas: no polygon is needed (an overlap's area would
    /// be). At a million parcels the polygons were most of such a command's time.
    public static func loadForKeptContacts(path: String, options: ParcelReadOptions = ParcelReadOptions(), cache: ParcelCache?)
        -> (parcels: [Parcel], crs: CoordinateReferenceSystem, contacts: ParcelContacts)? {
        guard let cache, let key = cache.key(path: path, options: options),
              let contacts = ParcelCache.Entry(cache: cache, key: key).contacts(expecting: nil, withoutOverlaps: true),
              let hit = cache.read(key, polygons: false), hit.parcels.count == contacts.parcelCount else { return nil }
        return (hit.parcels, hit.crs, contacts)
    }

    /// Parcels of the file at `path`, from `cache` when it holds this very file read with these
    /// options; otherwise read (and checked) as `load(_:options:)` does, and cached.
    public static func load(path: String, options: ParcelReadOptions = ParcelReadOptions(),
                            cache: ParcelCache?) throws(LandtrackError) -> (parcels: [Parcel], crs: CoordinateReferenceSystem) {
        let loaded = try loadCached(path: path, options: options, cache: cache)
        return (loaded.parcels, loaded.crs)
    }

    /// `load(path:options:cache:)`, with the cache entry the parcels were read or kept under
    /// (nil without a cache, or when the file cannot be fingerprinted): where what is derived
    /// from these parcels may be kept.
    /// `polygons: false`: from the cache the parcels come without their polygons (passed over,
    /// not decoded), for what needs none (a summary of geodesic areas, the kept ones); read from
    /// the file they have them.
    public static func loadCached(path: String, options: ParcelReadOptions = ParcelReadOptions(), cache: ParcelCache?, polygons: Bool = true)
        throws(LandtrackError) -> (parcels: [Parcel], crs: CoordinateReferenceSystem, entry: ParcelCache.Entry?) {
        guard let cache, let key = cache.key(path: path, options: options) else {
            let (parcels, crs) = try load(try InputBytes(path: path), options: options)
            return (parcels, crs, nil)
        }
        let entry = ParcelCache.Entry(cache: cache, key: key)
        if let hit = cache.read(key, polygons: polygons) { return (hit.parcels, hit.crs, entry) }
        let result = try load(try InputBytes(path: path), options: options)
        cache.write(key, parcels: result.parcels, crs: result.crs)
        // Whatever was kept beside an older state of the file goes with it.
        try? FileManager.default.removeItem(at: entry.contactsPath)
        return (result.parcels, result.crs, entry)
    }
}
