import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The bytes of an input file. Regular files are memory-mapped read-only, so a 500 MB file is
/// not copied into the heap; pages already parsed can be handed back to the kernel
/// (`releasePages(before:)`) so the resident set stays far below the file size.
/// Standard input ("-") and small in-memory inputs are held in an array.
public final class InputBytes {
    public let name: String
    private let mapped: UnsafeMutableRawPointer?
    private let mappedLength: Int
    private let storage: [UInt8]?
    private var released = 0

    public init(path: String) throws(LandtrackError) {
        name = path
        if path == "-" {
            storage = Array(FileHandle.standardInput.readDataToEndOfFile())
            mapped = nil
            mappedLength = 0
            return
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .io(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(path: path, message: "cannot stat: \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            // Pipes and devices: read them whole.
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .io(path: path, message: "cannot read")
            }
            storage = Array(data)
            mapped = nil
            mappedLength = 0
            return
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            storage = []
            mapped = nil
            mappedLength = 0
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .io(path: path, message: "cannot map: \(String(cString: strerror(errno)))")
        }
        madvise(p, size, MADV_SEQUENTIAL)
        mapped = p
        mappedLength = size
        storage = nil
    }

    public init(name: String = "<memory>", bytes: [UInt8]) {
        self.name = name
        storage = bytes
        mapped = nil
        mappedLength = 0
    }

    public convenience init(name: String = "<memory>", text: String) {
        self.init(name: name, bytes: Array(text.utf8))
    }

    deinit {
        if let mapped { munmap(mapped, mappedLength) }
    }

    public var count: Int { mapped != nil ? mappedLength : storage!.count }

    /// The bytes, valid inside `body` only.
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        if let mapped { return try body(UnsafeRawBufferPointer(start: mapped, count: mappedLength)) }
        return try storage!.withUnsafeBytes(body)
    }

    /// Tells the kernel the mapped pages before `offset` are no longer needed (MADV_DONTNEED on
    /// a read-only private mapping drops them from the resident set; they would be re-read
    /// from the file if touched again). Does nothing for in-memory inputs.
    /// Starts counting released pages from the beginning again, for a second pass over the input.
    public func rewind() { released = 0 }

    public func releasePages(before offset: Int) {
        if let end = releasePages(from: released, before: offset) { released = end }
    }

    /// Hands back the whole pages from `start` to before `offset` once they are 64 MB or more
    /// (another thread's pass over a later part of the input, which keeps `start` itself): the
    /// end of what was handed back, nil when nothing was. The counter of `releasePages(before:)`
    /// is not touched.
    @discardableResult
    public func releasePages(from start: Int, before offset: Int) -> Int? {
        guard let mapped else { return nil }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (start + page - 1) / page * page
        let end = (min(offset, mappedLength) / page) * page
        guard end - first >= 64 << 20 else { return nil }
        madvise(mapped + first, end - first, MADV_DONTNEED)
        return end
    }
}
