import CGEOS

/// Receives GEOS's error messages for one context. A class so the C callback can reach it
/// through an unretained pointer that lives exactly as long as the context.
private final class GEOSMessageSink {
    var lastError: String = ""
}

/// The GEOS error handler: stores the message in the context's sink.
private let geosErrorHandler: GEOSMessageHandler_r = { message, userData in
    guard let userData, let message else { return }
    Unmanaged<GEOSMessageSink>.fromOpaque(userData).takeUnretainedValue().lastError = String(cString: message)
}

/// One GEOS context (`GEOSContextHandle_t`) for one synchronous scope: an operation or a batch.
///
/// Not `Sendable` on purpose: a context and the geometries made with it belong to one task.
/// Concurrent work creates one context per task (`GEOSContext.run` in each). The context is
/// released (`GEOS_finish_r`) when the last geometry made with it is gone, because every
/// `GEOSGeometryHandle` keeps its context alive.
public final class GEOSContext {
    let handle: GEOSContextHandle_t
    private let sink = GEOSMessageSink()

    public init() {
        // GEOS_init_r: returns a new context, never NULL in practice (allocation failure aborts).
        handle = GEOS_init_r()
        GEOSContext_setErrorMessageHandler_r(handle, geosErrorHandler, Unmanaged.passUnretained(sink).toOpaque())
    }

    deinit {
        GEOS_finish_r(handle)
    }

    /// Runs `body` with a fresh context confined to this call.
    public static func run<T>(_ body: (GEOSContext) throws(LandtrackError) -> T) throws(LandtrackError) -> T {
        try body(GEOSContext())
    }

    /// The error for a failed call: the GEOS function's name and the handler's last message.
    func failure(_ operation: String) -> LandtrackError {
        let message = sink.lastError
        sink.lastError = ""
        return .geos(operation: operation, message: message)
    }

    /// Wraps a returned geometry pointer; NULL means the call failed.
    func own(_ pointer: OpaquePointer?, _ operation: String) throws(LandtrackError) -> GEOSGeometryHandle {
        guard let pointer else { throw failure(operation) }
        return GEOSGeometryHandle(context: self, pointer: pointer)
    }

    /// Interprets a GEOS predicate result: 1 true, 0 false, 2 exception.
    func predicate(_ result: CChar, _ operation: String) throws(LandtrackError) -> Bool {
        switch result {
        case 1: return true
        case 0: return false
        default: throw failure(operation)
        }
    }

    /// Takes a GEOS-allocated C string, frees it with `GEOSFree_r`.
    func takeString(_ pointer: UnsafeMutablePointer<CChar>?, _ operation: String) throws(LandtrackError) -> String {
        guard let pointer else { throw failure(operation) }
        defer { GEOSFree_r(handle, pointer) }
        return String(cString: pointer)
    }
}

/// Owns one `GEOSGeometry*` made in `context`; destroys it in `deinit`.
/// Keeps the context alive: a geometry must never outlive the context that made it.
public final class GEOSGeometryHandle {
    public let context: GEOSContext
    let pointer: OpaquePointer

    init(context: GEOSContext, pointer: OpaquePointer) {
        self.context = context
        self.pointer = pointer
    }

    deinit {
        GEOSGeom_destroy_r(context.handle, pointer)
    }
}
