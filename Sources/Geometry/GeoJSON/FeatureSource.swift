/// Where a reader's features come from: a GeoJSON document (`InputBytes`, the fast path), or a
/// layer of any vector source GDAL reads (`VectorSources.GDALLayerSource`). Each feature arrives
/// as a `GeoJSONFeature` (properties as JSON values, geometry as a value), so every check a
/// parcel passes is the same whatever the format.
public protocol FeatureSource {
    /// The file (and layer) as messages name it.
    var name: String { get }

    /// Calls `header` once (with the source's CRS as `crsName`), then `feature` for each feature
    /// in order; a feature that cannot be read is a `Diagnostic`. Throws when the source cannot
    /// be read at all.
    func readFeatures(
        idProperty: String?,
        header: (GeoJSONHeader) throws(LandtrackError) -> Void,
        feature: (Result<GeoJSONFeature, Diagnostic>) throws(LandtrackError) -> Void
    ) throws(LandtrackError)

    /// Each feature through a `FeatureWorker` made by `start` from the header, the outputs handed
    /// to `deliver` in order, on the calling thread. A source may process features on several
    /// threads (`parallelism`); the outputs are the same. The default reads on one thread.
    func readFeatures<Worker: FeatureWorker>(
        idProperty: String?, parallelism: ReadParallelism,
        start: (GeoJSONHeader) throws(LandtrackError) -> Worker,
        deliver: (Worker.Output) throws(LandtrackError) -> Void
    ) throws(LandtrackError)

    /// The local files whose bytes make up this input, in a fixed order, and the source's own
    /// reading options as text: what an import's fingerprint hashes besides the parcel options.
    /// nil: the input cannot be fingerprinted (a remote source) and an import always reads it.
    /// (In-memory and mapped GeoJSON bytes are hashed as they are.)
    var datasetFiles: (paths: [String], options: String)? { get }
}

extension FeatureSource {
    public var datasetFiles: (paths: [String], options: String)? { nil }

    /// On the calling thread, feature by feature.
    public func readFeatures<Worker: FeatureWorker>(
        idProperty: String?, parallelism: ReadParallelism,
        start: (GeoJSONHeader) throws(LandtrackError) -> Worker,
        deliver: (Worker.Output) throws(LandtrackError) -> Void
    ) throws(LandtrackError) {
        var worker: Worker?
        try readFeatures(idProperty: idProperty, header: { (head) throws(LandtrackError) in worker = try start(head) }) { (result) throws(LandtrackError) in
            try deliver(worker!.process(result))
        }
    }
}

extension InputBytes: FeatureSource {
    public func readFeatures(
        idProperty: String?,
        header: (GeoJSONHeader) throws(LandtrackError) -> Void,
        feature: (Result<GeoJSONFeature, Diagnostic>) throws(LandtrackError) -> Void
    ) throws(LandtrackError) {
        try GeoJSONReader(idProperty: idProperty).read(self, header: header, feature: feature)
    }
}

extension InputBytes {
    /// A FeatureCollection is parsed and processed on `parallelism.threads` threads.
    public func readFeatures<Worker: FeatureWorker>(
        idProperty: String?, parallelism: ReadParallelism,
        start: (GeoJSONHeader) throws(LandtrackError) -> Worker,
        deliver: (Worker.Output) throws(LandtrackError) -> Void
    ) throws(LandtrackError) {
        try GeoJSONReader(idProperty: idProperty).read(self, parallelism: parallelism, start: start, deliver: deliver)
    }
}
