import Foundation

/// A new, empty folder under the temporary directory, named `prefix-<UUID>`: each test's files
/// apart from every other's (tests run in parallel).
public func scratchFolder(_ prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
