import Foundation

/// Runs a program to its end and keeps what it printed (the built binary, chromium, ogrinfo,
/// curl: the real clients the tests compare against).
public struct ProcessRun {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public init(_ executable: URL, _ arguments: [String], stdin: String? = nil,
                environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = SharedData.repositoryRoot
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // stderr is drained on its own thread so that a child filling one pipe cannot block on it
        // while we wait for the other.
        let errorData = LockedData()
        let drain = BackgroundThread { errorData.value = err.fileHandleForReading.readDataToEndOfFile() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        try drain.join()
        let e = errorData.value
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: o, as: UTF8.self)
        stderr = String(decoding: e, as: UTF8.self)
    }

    /// The program's path when it is installed (PATH), else nil.
    public static func installed(_ name: String) -> URL? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}

public final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    public init() {}
    public var value: Data {
        get { lock.withLock { data } }
        set { lock.withLock { data = newValue } }
    }
}
