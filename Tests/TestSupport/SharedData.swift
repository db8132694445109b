import Foundation
import Testing

/// Locations of the project's shared, read-only test data (`../shared/data` beside the clone).
/// A user's clone has no shared/: tests that need it are disabled with a message saying so.
public enum SharedData {
    /// The repository root, found from this file's path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$LANDTRACK_SHARED_DATA`, else `../shared/data` next to the repository.
    public static let directory: URL = {
        if let env = ProcessInfo.processInfo.environment["LANDTRACK_SHARED_DATA"] {
            return URL(fileURLWithPath: env)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }()

    public static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("README.md").path)
    }

    /// The trait of every test that reads shared data: skipped, saying why, when it is absent.
    public static var required: ConditionTrait {
        .enabled(if: isAvailable, "../shared/data is not next to this clone (set LANDTRACK_SHARED_DATA to point at it)")
    }

    public static func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    /// The four real parcel sets with GeographicLib reference areas.
    public static let parcelSets = [
        "parcels-at-invekos-2025", "parcels-nl-brp-2023", "parcels-kh-ai4smallfarms", "parcels-jp-fude-2024",
    ]

    /// `summary.json` of a parcel set, parsed by Foundation (an independent JSON reader).
    public static func summary(_ set: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url("\(set)/summary.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// id → reference GeographicLib area (m²) from summary.json.
    public static func referenceAreas(_ set: String) throws -> [String: Double] {
        let features = try summary(set)["features"] as! [[String: Any]]
        var out: [String: Double] = [:]
        for f in features {
            let id = "\(f["id"]!)"
            out[id] = (f["geodesic_area_m2"] as! NSNumber).doubleValue
        }
        return out
    }
}

/// Runs `body` on its own OS thread (not the Swift concurrency pool, which has one thread per
/// core: a test that blocks on a semaphore there can starve the task it waits for).
public final class BackgroundThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var failure: (any Error)?

    public init(_ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do { try body() } catch { failure = error }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the thread; rethrows what it threw.
    public func join() throws {
        done.wait()
        if let failure { throw failure }
    }
}

/// Runs `body(k)` for k in 0..<count on threads that start together (racing writers, racing
/// processes); returns what each returned, by k, or rethrows what one threw.
public func race<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let start = DispatchSemaphore(value: 0)
    let results = RaceResults<T>(count)
    let threads = (0..<count).map { k in
        BackgroundThread {
            start.wait()
            results.set(k, try body(k))
        }
    }
    for _ in 0..<count { start.signal() }
    for t in threads { try t.join() }
    return results.values
}

/// What the racing threads returned, by index.
final class RaceResults<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]
    init(_ count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.withLock { slots[i] = value } }
    var values: [T] { lock.withLock { slots.compactMap { $0 } } }
}

/// SplitMix64: a small seeded generator for reproducible shuffles in property tests.
public struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
