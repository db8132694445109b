/// One feature as read from GeoJSON, positions in the file's own coordinates.
public struct GeoJSONFeature: Sendable {
    /// 1-based position in the file.
    public let index: Int
    /// The Feature's "id" member (string or number), if any.
    public let id: JSONValue?
    /// The "properties" member; nil when it is null.
    public let properties: JSONObject?
    /// nil when the geometry is null or empty (see `geometryType`).
    public let geometry: Geometry?
    /// The GeoJSON type of the geometry, also for an empty one; nil for a null geometry.
    public let geometryType: String?
    /// The properties' compact JSON text (`JSONValue.object(properties).jsonText`), when the
    /// worker asked for it (`FeatureWorker.wantsPropertiesText`) and the file has it so, byte for
    /// byte (`JSONValue.compactText`); else nil.
    public let propertiesText: String?

    public init(index: Int, id: JSONValue?, properties: JSONObject?, geometry: Geometry?, geometryType: String?,
                propertiesText: String? = nil) {
        self.index = index
        self.id = id
        self.properties = properties
        self.geometry = geometry
        self.geometryType = geometryType
        self.propertiesText = propertiesText
    }
}

/// What the document says about itself, outside its features.
public struct GeoJSONHeader: Sendable {
    /// "FeatureCollection", "Feature" or a geometry type.
    public var rootType: String
    /// The legacy (GeoJSON 2008) "crs" member's name, e.g. "urn:ogc:def:crs:EPSG::4490".
    public var crsName: String?
    public var name: String?
    /// How many features follow, when the source knows before the first (a FeatureCollection's
    /// first pass counts its features array's elements): room to reserve, not a promise.
    public var featureCount: Int?

    public init(rootType: String, crsName: String?, name: String?, featureCount: Int? = nil) {
        self.rootType = rootType
        self.crsName = crsName
        self.name = name
        self.featureCount = featureCount
    }
}

/// Reads GeoJSON (RFC 7946) feature by feature.
///
/// A problem with one feature becomes a `Diagnostic` for that feature and reading goes on with
/// the next; a document that is not JSON (or is truncated) stops with a `JSONSyntaxError`; a
/// document that is JSON but not GeoJSON at its root stops with the diagnostics for the root.
/// Foreign members are skipped, `bbox` checked, Z and further ordinates dropped.
public struct GeoJSONReader {
    /// Property consulted for the id shown in diagnostics before the Feature's "id" member.
    public var idProperty: String?
    /// Each feature's `propertiesText` taken from the file where it can be.
    var makesPropertiesText = false

    public init(idProperty: String? = "id") {
        self.idProperty = idProperty
    }

    /// Reads `input`, calling `header` once before any feature and `feature` for each feature
    /// (a `Diagnostic` for a feature that cannot be read).
    public func read(
        _ input: InputBytes,
        header: (GeoJSONHeader) throws(LandtrackError) -> Void = { _ throws(LandtrackError) in },
        feature: (Result<GeoJSONFeature, Diagnostic>) throws(LandtrackError) -> Void
    ) throws(LandtrackError) {
        try mappingErrors(of: input) {
            try input.withBytes { bytes in
                try readDocument(bytes, input: input, cutSpacing: .max, firstPassInTwo: false, header: header, collection: { runs in
                    for k in 0..<runs.count { try runs.read(run: k, releasing: input, feature) }
                }, single: feature)
            }
        }
    }

    /// Reads `input` with each feature handed to a `FeatureWorker` made by `start` from the
    /// header, and the workers' outputs handed to `deliver` in the file's order. With more than
    /// one thread a FeatureCollection's features are cut into runs of about
    /// `parallelism.runBytes` (a first pass finds the cuts between features, following only
    /// brackets and strings) and the runs are parsed and processed on `parallelism.threads`
    /// threads, each with a worker of its own (`FeatureWorker.fork`), while `deliver` runs on
    /// the calling thread. With more than one core the first pass over a long features array
    /// runs on two threads (`JSONScanner.skipBalancedInTwo`), whatever `parallelism.threads`.
    /// Features, problems and errors are those of a read on one thread, in the same order: a
    /// syntax error stops the read after the features before it.
    public func read<Worker: FeatureWorker>(
        _ input: InputBytes, parallelism: ReadParallelism,
        start: (GeoJSONHeader) throws(LandtrackError) -> Worker,
        deliver: (Worker.Output) throws(LandtrackError) -> Void
    ) throws(LandtrackError) {
        var worker: Worker?
        try mappingErrors(of: input) {
            try input.withBytes { bytes in
                // The first pass on two threads also when the parse has one: it runs before any
                // feature is handed out, while the thread that takes them (a store's writer) waits.
                try readDocument(bytes, input: input, cutSpacing: parallelism.threads > 1 ? parallelism.runBytes : .max,
                                 firstPassInTwo: parallelism.threads > 1 || Cores.available > 1,
                                 header: { (head) throws(LandtrackError) in worker = try start(head) },
                                 collection: { runs in
                                     var runs = runs
                                     runs.reader.makesPropertiesText = worker!.wantsPropertiesText
                                     try FeatureRuns.readInParallel(runs, input: input, threads: parallelism.threads, first: worker!, deliver: deliver)
                                 },
                                 single: { (result) throws(LandtrackError) in try deliver(worker!.process(result)) })
            }
        }
    }

    /// The one mapping of what a read throws to `LandtrackError`.
    private func mappingErrors(of input: InputBytes, _ body: () throws -> Void) throws(LandtrackError) {
        do {
            try body()
        } catch let e as LandtrackError {
            throw e
        } catch let e as JSONSyntaxError {
            throw .json(e)
        } catch let d as Diagnostic {
            throw .invalidInput(source: input.name, problems: [d])
        } catch {
            throw .io(path: input.name, message: "\(error)")
        }
    }

    /// Convenience: every feature and problem of a document in memory.
    public func readAll(_ input: InputBytes) throws(LandtrackError) -> (header: GeoJSONHeader?, features: [GeoJSONFeature], problems: [Diagnostic]) {
        var features: [GeoJSONFeature] = []
        var problems: [Diagnostic] = []
        var head: GeoJSONHeader?
        try read(input, header: { h throws(LandtrackError) in head = h }) { result throws(LandtrackError) in
            switch result {
            case let .success(f): features.append(f)
            case let .failure(d): problems.append(d)
            }
        }
        return (head, features, problems)
    }

    // MARK: Document

    private static let geometryTypes: Set<String> = [
        "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection",
    ]

    /// The document's root, then its features: a FeatureCollection's through `collection`
    /// (cut into runs at least `cutSpacing` bytes long), a lone Feature's or geometry's
    /// through `single`.
    private func readDocument(
        _ bytes: UnsafeRawBufferPointer, input: InputBytes, cutSpacing: Int, firstPassInTwo: Bool,
        header: (GeoJSONHeader) throws(LandtrackError) -> Void,
        collection: (FeatureRuns) throws -> Void,
        single: (Result<GeoJSONFeature, Diagnostic>) throws(LandtrackError) -> Void
    ) throws {
        var scanner = JSONScanner(bytes: bytes)
        guard let first = scanner.peek() else {
            throw scanner.error("the input is empty")
        }
        let rootStart = scanner.index
        guard first == UInt8(ascii: "{") else {
            // Check it is JSON at all before saying it is not GeoJSON.
            let value = try scanner.parseValue()
            try expectEnd(&scanner)
            throw Diagnostic(.notGeojson, "the root of a GeoJSON document must be an object, this one is \(value.kindDescription)")
        }

        // Pass over the root members, skipping "features" (remembered) so that a "crs" written
        // after the features is known before the first feature is handed out.
        var type: JSONValue?
        var crs: JSONValue?
        var name: String?
        var featuresOffset: Int?
        var cuts: [JSONScanner.ElementCut] = []
        var elements: Int?
        var bbox: JSONValue?
        var keys: [String] = []
        try forEachMember(&scanner, of: "the root object") { key, scanner in
            keys.append(key)
            switch key {
            case "type": type = try scanner.parseValue(depth: 1)
            case "crs": crs = try scanner.parseValue(depth: 1)
            case "name": name = try scanner.parseValue(depth: 1).stringValue
            case "bbox": bbox = try scanner.parseValue(depth: 1)
            case "features":
                scanner.skipWhitespace()
                featuresOffset = scanner.index
                (cuts, elements) = try skipReleasing(&scanner, input: input, cutSpacing: cutSpacing, inTwo: firstPassInTwo)
            default: try scanner.skipValue(depth: 1)
            }
        }
        try expectEnd(&scanner)

        guard let type else { throw Diagnostic(.missingType, "the root object has no \"type\" member: not GeoJSON") }
        guard case let .string(typeName) = type else {
            throw Diagnostic(.badType, "\"type\" must be a string, but is \(type.kindDescription)")
        }
        if let bbox, let problem = Self.checkBBox(bbox) { throw Diagnostic(.badBbox, problem, location: "bbox") }
        var crsName: String?
        if let crs {
            crsName = try Self.legacyCRSName(crs)
        }
        let head = GeoJSONHeader(rootType: typeName, crsName: crsName, name: name, featureCount: typeName == "FeatureCollection" ? elements : 1)

        switch typeName {
        case "FeatureCollection":
            for forbidden in ["coordinates", "geometries", "geometry", "properties"] where keys.contains(forbidden) {
                throw Diagnostic(.changedSemantics, "a FeatureCollection must not have a \"\(forbidden)\" member (RFC 7946 §7.1)")
            }
            guard let featuresOffset else {
                throw Diagnostic(.missingFeatures, "the FeatureCollection has no \"features\" member")
            }
            try header(head)
            scanner.index = featuresOffset
            guard scanner.peek() == UInt8(ascii: "[") else {
                let v = try scanner.parseValue(depth: 1)
                throw Diagnostic(.badFeatures, "\"features\" must be an array, but is \(v.kindDescription)")
            }
            try collection(FeatureRuns(reader: self, bytes: bytes, start: scanner.index + 1, cuts: cuts))
        case "Feature":
            try header(head)
            scanner.index = rootStart
            try single(readFeature(&scanner, index: 1))
        case _ where Self.geometryTypes.contains(typeName):
            try header(head)
            scanner.index = rootStart
            do {
                let (g, t) = try readGeometry(&scanner, depth: 1)
                try single(.success(GeoJSONFeature(index: 1, id: nil, properties: nil, geometry: g, geometryType: t)))
            } catch let d as Diagnostic {
                var d = d
                d.featureIndex = 1
                try single(.failure(d))
            }
        default:
            let hint = Self.caseHint(typeName)
            throw Diagnostic(.unknownType, "unknown GeoJSON type \"\(typeName)\"\(hint)")
        }
    }

    /// Finds the end of the features array, handing pages back as it goes so that the first pass
    /// does not leave the whole file resident. Only brackets and strings are followed: the
    /// second pass parses (and checks) every byte of it.
    /// Returns the cuts, and the number of elements (nil when "features" is not an array).
    /// `inTwo`: the array's second half is scanned on a thread of its own when the array is long
    /// (8 MB, or 8 runs).
    private func skipReleasing(_ scanner: inout JSONScanner, input: InputBytes, cutSpacing: Int, inTwo: Bool) throws -> ([JSONScanner.ElementCut], Int?) {
        guard scanner.peek() == UInt8(ascii: "[") else {
            try scanner.skipValue(depth: 1)
            return ([], nil)
        }
        var inside = scanner
        inside.index += 1
        let empty = inside.peek() == UInt8(ascii: "]")
        let cuts: [JSONScanner.ElementCut], commas: Int
        if inTwo, scanner.bytes.count - scanner.index >= 8 * min(cutSpacing, 1 << 20) {
            var secondReleased: Int?
            (cuts, commas, _) = try scanner.skipBalancedInTwo(
                cutSpacing: cutSpacing, guessFrom: scanner.index + (scanner.bytes.count - scanner.index) / 2,
                progress: { input.releasePages(before: $0) },
                secondProgress: { offset in
                    let from = secondReleased ?? offset
                    secondReleased = input.releasePages(from: from, before: offset) ?? from
                })
        } else {
            (cuts, commas) = try scanner.skipBalanced(cutSpacing: cutSpacing) { input.releasePages(before: $0) }
        }
        input.rewind()
        return (cuts, empty ? 0 : commas + 1)
    }

    /// Calls `body` for each member of the object at the scanner (the scanner is left on the
    /// member's value), refusing a member name given twice: for GeoJSON members that is
    /// ambiguous.
    private func forEachMember(
        _ scanner: inout JSONScanner, of what: String, location: String? = nil,
        _ body: (String, inout JSONScanner) throws -> Void
    ) throws {
        try scanner.expect(UInt8(ascii: "{"), "'{'")
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.index += 1
            return
        }
        // The names so far on the stack while there are few (a feature and its geometry have
        // three or four): an array grown from empty was two allocations a feature.
        let few = 8
        try withUnsafeTemporaryAllocation(of: String.self, capacity: few) { seen in
            var n = 0
            var more: [String] = []
            defer { seen.baseAddress!.deinitialize(count: min(n, few)) }
            repeat {
                let key = try scanner.parseKey()
                if seen[..<min(n, few)].contains(key) || more.contains(key) {
                    throw Diagnostic(.duplicateMember, "\(what) has member \"\(key)\" twice, which makes it ambiguous", location: location)
                }
                if n < few { (seen.baseAddress! + n).initialize(to: key) } else { more.append(key) }
                n += 1
                try body(key, &scanner)
            } while try scanner.commaOrClose(UInt8(ascii: "}"), what)
        }
    }

    private func expectEnd(_ scanner: inout JSONScanner) throws {
        if scanner.peek() != nil { throw scanner.error("unexpected text after the end of the document") }
    }

    /// "(type names are case-sensitive: FeatureCollection)" when only the case is off.
    private static func caseHint(_ name: String) -> String {
        let all = geometryTypes.union(["Feature", "FeatureCollection"])
        if let match = all.first(where: { $0.lowercased() == name.lowercased() }) {
            return " (GeoJSON type names are case-sensitive: \(match))"
        }
        return ""
    }

    /// The "crs" member of GeoJSON 2008: {"type": "name", "properties": {"name": "EPSG:4490"}}.
    private static func legacyCRSName(_ crs: JSONValue) throws -> String? {
        if case .null = crs { return nil }
        guard let object = crs.objectValue, let properties = object["properties"]?.objectValue else {
            throw Diagnostic(.badCrs, "the \"crs\" member must be {\"type\": \"name\", \"properties\": {\"name\": …}}")
        }
        if let name = properties["name"]?.stringValue { return name }
        throw Diagnostic(.badCrs, "only named CRSs are supported in the \"crs\" member (e.g. \"EPSG:4490\")")
    }

    /// nil when the bbox is well-formed.
    static func checkBBox(_ value: JSONValue) -> String? {
        guard case let .array(items) = value else {
            return "bbox must be an array of numbers, but is \(value.kindDescription)"
        }
        guard items.allSatisfy({ $0.numberValue != nil }) else { return "each element of bbox must be a number" }
        guard items.count == 4 || items.count == 6 else {
            return "bbox must have 4 elements (2-D) or 6 (3-D), it has \(items.count)"
        }
        return nil
    }

    // MARK: Features

    func readFeature(_ scanner: inout JSONScanner, index: Int) throws -> Result<GeoJSONFeature, Diagnostic> {
        scanner.skipWhitespace()
        let start = scanner.index
        do {
            return .success(try parseFeature(&scanner, index: index))
        } catch var d as Diagnostic {
            // Find the end of the feature (and its id, for the message) from its start.
            scanner.index = start
            let whole = try scanner.parseValue(depth: 2)
            d.featureIndex = index
            if d.featureID == nil, let object = whole.objectValue { d.featureID = featureID(object) }
            return .failure(d)
        }
    }

    /// The id used in messages: the id property, else the Feature's "id".
    private func featureID(_ feature: JSONObject) -> String? {
        if let idProperty, let p = feature["properties"]?.objectValue?[idProperty]?.identifierText { return p }
        return feature["id"]?.identifierText
    }

    private func parseFeature(_ scanner: inout JSONScanner, index: Int) throws -> GeoJSONFeature {
        guard scanner.peek() == UInt8(ascii: "{") else {
            let v = try scanner.parseValue(depth: 2)
            throw Diagnostic(.badFeature, "every element of \"features\" must be a Feature object, this one is \(v.kindDescription)")
        }
        var type: JSONValue?
        var id: JSONValue?
        var properties: JSONValue?
        var propertiesText: String?
        var geometry: (Geometry?, String?)?
        var sawGeometry = false
        try forEachMember(&scanner, of: "the feature") { key, scanner in
            switch key {
            case "type": type = try scanner.parseValue(depth: 3)
            case "id": id = try scanner.parseValue(depth: 3)
            case "properties":
                scanner.skipWhitespace()
                let start = scanner.index
                let value = try scanner.parseValue(depth: 3)
                if let dup = value.objectValue?.firstDuplicateKey {
                    throw Diagnostic(.duplicateMember, "properties has member \"\(dup)\" twice, which makes it ambiguous",
                                     location: "properties")
                }
                properties = value
                if makesPropertiesText, case let .object(o) = value, !o.isEmpty {
                    propertiesText = JSONValue.compactText(parsed: UnsafeRawBufferPointer(rebasing: scanner.bytes[start..<scanner.index]))
                }
            case "geometry":
                sawGeometry = true
                if scanner.peek() == UInt8(ascii: "n") {
                    _ = try scanner.parseValue(depth: 3)
                    geometry = (nil, nil)
                } else {
                    geometry = try readGeometry(&scanner, depth: 3)
                }
            case "bbox":
                if let problem = Self.checkBBox(try scanner.parseValue(depth: 3)) {
                    throw Diagnostic(.badBbox, problem, location: "bbox")
                }
            case "coordinates", "geometries", "features":
                throw Diagnostic(.changedSemantics, "a Feature must not have a \"\(key)\" member (RFC 7946 §7.1)")
            default:
                try scanner.skipValue(depth: 3)
            }
        }
        guard let type else { throw Diagnostic(.missingType, "the feature has no \"type\" member") }
        guard type == .string("Feature") else {
            let shown = type.stringValue.map { "\"\($0)\"\(Self.caseHint($0))" } ?? type.kindDescription
            throw Diagnostic(.badType, "an element of \"features\" must have \"type\": \"Feature\", this one has \(shown)")
        }
        if let id {
            switch id {
            case .string, .number: break
            default: throw Diagnostic(.badId, "the feature's \"id\" must be a string or a number, but is \(id.kindDescription)")
            }
        }
        var propertyObject: JSONObject?
        switch properties {
        case nil: throw Diagnostic(.missingProperties, "the feature has no \"properties\" member (RFC 7946 requires one; it may be null)")
        case .null?: propertyObject = nil
        case let .object(o)?: propertyObject = o
        case let other?: throw Diagnostic(.badProperties, "\"properties\" must be an object or null, but is \(other.kindDescription)")
        }
        guard sawGeometry, let geometry else {
            throw Diagnostic(.missingGeometry, "the feature has no \"geometry\" member (RFC 7946 requires one; it may be null)")
        }
        return GeoJSONFeature(index: index, id: id, properties: propertyObject, geometry: geometry.0, geometryType: geometry.1,
                              propertiesText: propertiesText)
    }

    // MARK: Geometry

    /// Reads a geometry object: the geometry (nil when empty) and its type name.
    private func readGeometry(_ scanner: inout JSONScanner, depth: Int) throws -> (Geometry?, String) {
        guard depth < 16 else { throw Diagnostic(.tooDeep, "geometry collections nested too deeply") }
        guard scanner.peek() == UInt8(ascii: "{") else {
            let v = try scanner.parseValue(depth: depth)
            throw Diagnostic(.badGeometry, "a geometry must be an object, but is \(v.kindDescription)", location: "geometry")
        }
        var type: JSONValue?
        var coordinates: CoordinateNode?
        var members: [(Geometry?, String)]?
        try forEachMember(&scanner, of: "the geometry", location: "geometry") { key, scanner in
            switch key {
            case "type": type = try scanner.parseValue(depth: depth + 1)
            case "coordinates":
                scanner.coordinatePath.removeAll(keepingCapacity: true)
                coordinates = try parseCoordinates(&scanner)
            case "geometries":
                guard scanner.peek() == UInt8(ascii: "[") else {
                    let v = try scanner.parseValue(depth: depth + 1)
                    throw Diagnostic(.badGeometry, "\"geometries\" must be an array, but is \(v.kindDescription)", location: "geometry")
                }
                scanner.index += 1
                var list: [(Geometry?, String)] = []
                if scanner.peek() == UInt8(ascii: "]") {
                    scanner.index += 1
                } else {
                    repeat {
                        list.append(try readGeometry(&scanner, depth: depth + 1))
                    } while try scanner.commaOrClose(UInt8(ascii: "]"), "a geometries array")
                }
                members = list
            case "bbox":
                if let problem = Self.checkBBox(try scanner.parseValue(depth: depth + 1)) {
                    throw Diagnostic(.badBbox, problem, location: "geometry.bbox")
                }
            case "geometry", "properties", "features":
                throw Diagnostic(.changedSemantics, "a geometry must not have a \"\(key)\" member (RFC 7946 §7.1)",
                                 location: "geometry")
            default:
                try scanner.skipValue(depth: depth + 1)
            }
        }
        guard let type else { throw Diagnostic(.missingType, "the geometry has no \"type\" member", location: "geometry") }
        guard case let .string(typeName) = type else {
            throw Diagnostic(.badType, "the geometry's \"type\" must be a string, but is \(type.kindDescription)", location: "geometry")
        }
        guard Self.geometryTypes.contains(typeName) else {
            throw Diagnostic(.unknownType, "unknown geometry type \"\(typeName)\"\(Self.caseHint(typeName))", location: "geometry")
        }
        if typeName == "GeometryCollection" {
            guard let members else {
                throw Diagnostic(.missingGeometries, "the GeometryCollection has no \"geometries\" member", location: "geometry")
            }
            let present = members.compactMap(\.0)
            return (present.isEmpty ? nil : .geometryCollection(present), typeName)
        }
        guard let coordinates else {
            throw Diagnostic(.missingCoordinates, "the \(typeName) has no \"coordinates\" member", location: "geometry")
        }
        return (try Self.build(typeName, coordinates), typeName)
    }

    /// Positions and nested arrays of positions, as parsed. Z values are dropped, but those of a
    /// list's first and last positions are kept: a ring closes only when they agree too.
    /// Not `indirect`: the nesting is through arrays already, and an indirect case is a heap box
    /// for every position parsed (a malloc and a free per vertex).
    enum CoordinateNode {
        case empty
        case position(Point, z: Double?)
        case positions([Point], firstZ: Double?, lastZ: Double?)
        case lists([CoordinateNode])
    }

    private func coordinatePath(_ path: [Int]) -> String {
        "geometry.coordinates" + path.map { "[\($0)]" }.joined()
    }

    /// Parses a "coordinates" value without building a JSON tree for it (`scanner.coordinatePath`
    /// empty at the start).
    private func parseCoordinates(_ scanner: inout JSONScanner) throws -> CoordinateNode {
        guard scanner.coordinatePath.count < 8 else {
            throw Diagnostic(.tooDeep, "coordinates are nested deeper than any GeoJSON geometry", location: coordinatePath(scanner.coordinatePath))
        }
        guard let b = scanner.peek() else { throw scanner.error("input ends inside coordinates (truncated file?)") }
        guard b == UInt8(ascii: "[") else {
            let v = try scanner.parseValue(depth: 8)
            if scanner.coordinatePath.isEmpty {
                throw Diagnostic(.badCoordinates, "\"coordinates\" must be an array, but is \(v.kindDescription)",
                                 location: "geometry.coordinates")
            }
            throw Diagnostic(.badCoordinates, "a position must be an array of numbers, but this is \(v.kindDescription)",
                             location: coordinatePath(scanner.coordinatePath))
        }
        scanner.index += 1
        guard let next = scanner.peek() else { throw scanner.error("input ends inside coordinates (truncated file?)") }
        if next == UInt8(ascii: "]") {
            scanner.index += 1
            return .empty
        }
        if next != UInt8(ascii: "[") {
            // A position: numbers, read into locals (no array per position).
            var count = 0
            var x = 0.0, y = 0.0, z: Double?
            repeat {
                guard let c = scanner.peek(), scanner.isNumberStart(c) else {
                    let v = try scanner.parseValue(depth: 8)
                    throw Diagnostic(.badPosition, "each element of a position must be a number, found \(v.kindDescription)",
                                     location: coordinatePath(scanner.coordinatePath))
                }
                let value = try scanner.parseNumber()
                switch count {
                case 0: x = value
                case 1: y = value
                case 2: z = value
                default: break
                }
                count += 1
            } while try scanner.commaOrClose(UInt8(ascii: "]"), "a position")
            guard count >= 2 else {
                throw Diagnostic(.badPosition, "a position needs at least 2 numbers (x, y), this one has \(count)",
                                 location: coordinatePath(scanner.coordinatePath))
            }
            return .position(Point(uncheckedX: x, y: y), z: z)
        }
        scanner.coordinatePath.append(0)
        defer { scanner.coordinatePath.removeLast() }
        let last = scanner.coordinatePath.count - 1
        let first = try parseCoordinates(&scanner)
        if case let .position(p, firstZ) = first {
            // The deepest list: its positions go to the scanner's scratch (no nested list can
            // use it meanwhile), then into an array of their exact count.
            scanner.positionScratch.removeAll(keepingCapacity: true)
            scanner.positionScratch.append(p)
            var lastZ = firstZ
            while try scanner.commaOrClose(UInt8(ascii: "]"), "a list of positions") {
                scanner.coordinatePath[last] = scanner.positionScratch.count
                // The common position, "[x,y]" without spaces, read here; anything else (a z,
                // spaces, an error to name) by the general path from the same byte.
                if let q = try scanner.plainPosition() {
                    scanner.positionScratch.append(q)
                    lastZ = nil
                    continue
                }
                let node = try parseCoordinates(&scanner)
                guard case let .position(q, z) = node else {
                    throw Diagnostic(.badNesting, "a list of positions contains an array nested more deeply than a position",
                                     location: coordinatePath(scanner.coordinatePath))
                }
                scanner.positionScratch.append(q)
                lastZ = z
            }
            let points = scanner.positionScratch.withUnsafeBufferPointer { scratch in
                [Point](unsafeUninitializedCapacity: scratch.count) { buffer, count in
                    _ = buffer.initialize(fromContentsOf: scratch)
                    count = scratch.count
                }
            }
            return .positions(points, firstZ: firstZ, lastZ: lastZ)
        }
        var lists = [first]
        while try scanner.commaOrClose(UInt8(ascii: "]"), "coordinates") {
            scanner.coordinatePath[last] = lists.count
            let node = try parseCoordinates(&scanner)
            if case .position = node {
                throw Diagnostic(.badNesting, "a position stands where an array of positions was expected",
                                 location: coordinatePath(scanner.coordinatePath))
            }
            lists.append(node)
        }
        return .lists(lists)
    }

    // MARK: Building geometries

    private static func nesting(_ type: String, _ expected: String) -> Diagnostic {
        Diagnostic(.badNesting, "\(type) coordinates must be \(expected)", location: "geometry.coordinates")
    }

    private static func finite(_ points: [Point], part: Int? = nil, ring: Int? = nil) throws -> [Point] {
        for (i, p) in points.enumerated() where !p.x.isFinite || !p.y.isFinite {
            let problem = GeometryProblem(.nonFiniteCoordinate, "coordinate (\(p.x), \(p.y)) is not a finite number",
                                          part: part, ring: ring, vertex: i)
            throw Diagnostic(problem, featureIndex: nil, featureID: nil)
        }
        return points
    }

    private static func geometryProblem(_ body: () throws(LandtrackError) -> Geometry) throws -> Geometry {
        do {
            return try body()
        } catch {
            if case let .geometry(problem) = error { throw Diagnostic(problem, featureIndex: nil, featureID: nil) }
            throw error
        }
    }

    private static func rings(_ node: CoordinateNode, type: String, part: Int?) throws -> [[Point]] {
        guard case let .lists(items) = node else {
            if case .empty = node { return [] }
            throw nesting(type, "an array of rings, each an array of positions")
        }
        var out: [[Point]] = []
        for (r, item) in items.enumerated() {
            switch item {
            case let .positions(ps, firstZ, lastZ):
                if firstZ != lastZ, ps.first == ps.last {
                    let z = { (v: Double?) in v.map { "z = \($0)" } ?? "no z" }
                    throw Diagnostic(GeometryProblem(
                        .ringNotClosed, "ring is not closed: first and last positions differ in z (\(z(firstZ)) vs \(z(lastZ)))",
                        part: part, ring: r, vertex: ps.count - 1), featureIndex: nil, featureID: nil)
                }
                out.append(try finite(ps, part: part, ring: r))
            case .empty:
                throw Diagnostic(GeometryProblem(.ringTooShort, "a ring needs at least 4 positions (first = last), this one is empty",
                                                 part: part, ring: r), featureIndex: nil, featureID: nil)
            default: throw nesting(type, "an array of rings, each an array of positions")
            }
        }
        return out
    }

    /// nil for an empty geometry.
    static func build(_ type: String, _ node: CoordinateNode) throws -> Geometry? {
        if case .empty = node, type != "Point" { return nil }
        switch type {
        case "Point":
            guard case let .position(p, _) = node else { throw nesting(type, "one position, [x, y]") }
            return .point(try finite([p])[0])
        case "MultiPoint":
            guard case let .positions(ps, _, _) = node else { throw nesting(type, "an array of positions") }
            return .multiPoint(try finite(ps))
        case "LineString":
            guard case let .positions(ps, _, _) = node else { throw nesting(type, "an array of positions") }
            let checked = try finite(ps)
            return try geometryProblem { () throws(LandtrackError) in .lineString(try LineString(checked)) }
        case "MultiLineString":
            guard case let .lists(items) = node else { throw nesting(type, "an array of lines, each an array of positions") }
            var lines: [LineString] = []
            for item in items {
                guard case let .positions(ps, _, _) = item else { throw nesting(type, "an array of lines, each an array of positions") }
                let checked = try finite(ps)
                if case let .lineString(line) = try geometryProblem({ () throws(LandtrackError) in .lineString(try LineString(checked)) }) {
                    lines.append(line)
                }
            }
            return .multiLineString(lines)
        case "Polygon":
            let rs = try rings(node, type: type, part: nil)
            return try geometryProblem { () throws(LandtrackError) in .polygon(try Polygon(rings: rs)) }
        case "MultiPolygon":
            guard case let .lists(parts) = node else {
                throw nesting(type, "an array of polygons, each an array of rings")
            }
            var polygons: [Polygon] = []
            for (i, part) in parts.enumerated() {
                let rs = try rings(part, type: type, part: i)
                guard !rs.isEmpty else {
                    throw Diagnostic(GeometryProblem(.emptyGeometry, "polygon has no rings", part: i), featureIndex: nil, featureID: nil)
                }
                do {
                    polygons.append(try Polygon(rings: rs))
                } catch {
                    if case let .geometry(problem) = error {
                        throw Diagnostic(problem.located(part: i), featureIndex: nil, featureID: nil)
                    }
                    throw error
                }
            }
            return .multiPolygon(MultiPolygon(polygons))
        default:
            throw Diagnostic(.unknownType, "unknown geometry type \"\(type)\"")
        }
    }
}
