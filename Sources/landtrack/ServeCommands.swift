import ArgumentParser
import FeatureServer
import Foundation
import Geometry
import Parcels
import Store

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the store: OGC API – Features for QGIS and GDAL, the reports as JSON, the map, and token-checked changes.",
        discussion: """
            Resources: / (landing page), /conformance, /collections, /collections/{layer}, \
            /collections/{layer}/items (?bbox=lon,lat,lon,lat&limit=&offset=&datetime=YYYY-MM-DD; \
            parcels: ?state=&basic_farmland=&village=&landuse_code= and ?filter= in CQL2 text; \
            crs=, bbox-crs=, filter-crs= in CRS84, EPSG:4326, EPSG:4490 or the data's CGCS2000 \
            Gauss-Krüger zones), /collections/{layer}/items/{id}, /collections/parcels/queryables; /summary, /changes, /contiguity, /checks (query \
            parameters named as the commands' options, e.g. ?as-of=2024-12-31&by=village,state), \
            /parcels/{id}/history, /map (?as-of= or ?compare=D1,D2). Changes: POST \
            /parcels/{id}/transitions {"to","date","ref","note"}, /parcels/{id}/pbf \
            {"designated","date"}, /parcels/{id}/splits {"cutter","names","date"}, /merges \
            {"parcels","into","date"}, /imports (a GeoJSON body; ?date=&default-state=). Changes \
            need "Authorization: Bearer TOKEN" with the planner role and are recorded with the \
            token's owner (landtrack token create).

            QGIS: Layer › Add Layer › Add WFS / OGC API – Features Layer, URL http://HOST:PORT/. \
            GDAL: ogrinfo OAPIF:http://HOST:PORT/

            Examples:
              landtrack serve --db programme.gpkg
              landtrack serve --db programme.gpkg --host 0.0.0.0 --port 8080 --read-token --public-url http://gis.example:8080
              landtrack serve --db archive.gpkg --read-only
              curl -sG http://127.0.0.1:8080/collections/parcels/items --data-urlencode "filter=state = 'wasteland' AND area_mu > 5"
            """)

    @OptionGroup var store: StoreOption

    @Option(help: "Address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "Port (0 picks a free one and prints it).")
    var port = 8080

    @Flag(name: .customLong("read-token"), help: "Reads need a token too (viewer or planner); by default only changes do.")
    var readToken = false

    @Option(name: .customLong("max-body-mb"), help: "Largest request body, MB (imports).")
    var maxBodyMB = 64

    @Option(help: ArgumentHelp("JSON rules replacing the built-in transition table for changes over HTTP.", valueName: "FILE"))
    var rules: String?

    @Option(name: .customLong("public-url"), help: ArgumentHelp(
        "The server's address as clients reach it (behind a proxy, or with --host 0.0.0.0): every link the server writes starts with it. Default: http://HOST:PORT as bound. Never taken from the request's Host header.",
        valueName: "URL"))
    var publicURL: String?

    @Flag(name: .customLong("read-only"), help: "Serve the store read-only: every change answers 503. A store file this process cannot write is served so without the flag.")
    var readOnly = false

    @Option(name: .customLong("idle-timeout"), help: "Seconds after which a connection that sends nothing (unfinished headers, idle keep-alive) is closed.")
    var idleTimeout = 30.0

    @Option(name: .customLong("max-connections"), help: "Open connections at most; more wait until one closes.")
    var maxConnections = 512

    func validate() throws {
        guard idleTimeout.isFinite, (0.1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 0.1…3600 seconds") }
        guard (1...100_000).contains(maxConnections) else { throw ValidationError("--max-connections must be 1…100000") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard (1...4096).contains(maxBodyMB) else { throw ValidationError("--max-body-mb must be 1…4096") }
        if let publicURL {
            guard let u = URLComponents(string: publicURL), ["http", "https"].contains(u.scheme ?? ""), u.host?.isEmpty == false,
                  u.query == nil, u.fragment == nil, !publicURL.contains(where: { $0 == "\"" || $0 == "<" || $0 == ">" || $0 == " " }) else {
                throw ValidationError("--public-url must be an http:// or https:// URL with a host and no query, e.g. https://gis.example/landtrack (got \(publicURL))")
            }
        }
    }

    func run() async throws {
        var configuration = ServerConfiguration()
        configuration.transitionRules = try loadRules(rules)
        // A store file this process cannot write is served read-only rather than refused (a
        // planner's copy on a read-only share; an archive). A PostgreSQL role without write
        // privileges answers writes with the database's "permission denied" instead.
        var readOnlyReason = readOnly ? "this server was started with --read-only: changes are not accepted" : nil
        let location = store.location
        let folder = (location as NSString).deletingLastPathComponent
        if !readOnly, store.isFile, FileManager.default.fileExists(atPath: location),
           access(location, W_OK) != 0 || access(folder.isEmpty ? "." : folder, W_OK) != 0 {
            readOnlyReason = "the store file \(location) (or its folder) is not writable by this server: changes are not accepted"
            FileHandle.standardError.write(Data("landtrack serve: \(location) is not writable: serving it read-only (changes answer 503)\n".utf8))
        }
        let opened = try store.opened(readOnly: readOnlyReason != nil)
        // A damaged store is refused here, naming it, rather than answering every request with an error.
        try running { () throws(LandtrackError) in try opened.verify() }
        configuration.readOnlyReason = readOnlyReason
        configuration.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        configuration.maxConnections = maxConnections
        configuration.host = host
        configuration.port = port
        configuration.readsNeedToken = readToken
        configuration.maxBodyBytes = maxBodyMB << 20
        configuration.publicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        if publicURL == nil && (host == "0.0.0.0" || host == "::") {
            // Links (next pages, collections) would name the unspecified address, which other
            // machines cannot reach; say so rather than serve links that lead nowhere.
            FileHandle.standardError.write(Data("landtrack serve: links will start with http://\(host):\(port); give --public-url http://THIS-HOST:\(port) so that clients on other machines (QGIS pages through them) can follow them\n".utf8))
        }
        let host = self.host, path = opened.location
        let app = try running { () throws(LandtrackError) in
            try FeatureServer.application(configuration, store: opened) { port in
                // One line on stdout that scripts (and the tests) read for the address.
                FileHandle.standardOutput.write(Data("landtrack serve: http://\(host):\(port)/ (store \(path))\n".utf8))
            }
        }
        try await app.runService()
    }
}

extension AccessRole: ExpressibleByArgument {}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Bearer tokens for landtrack serve: create, list, revoke.",
        discussion: """
            A planner token may change parcels over HTTP; a viewer token only reads. The store \
            keeps only each token's SHA-256: the token is printed once, when it is created.

            Examples:
              landtrack token create --role planner --owner "Li Wei"
              landtrack token list
              landtrack token revoke 3
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it (once).")
        @Option(help: "viewer (reads) or planner (reads and changes).")
        var role: AccessRole
        @Option(help: "Who uses the token: recorded with every change made with it.")
        var owner: String
        @OptionGroup var store: StoreOption

        func run() throws {
            let (token, record) = try running { () throws(LandtrackError) in
                try store.open().createToken(owner: owner, role: role)
            }
            print(token)
            FileHandle.standardError.write(Data("token \(record.id) for \(record.owner), role \(record.role.rawValue): keep it secret; it is not shown again\n".utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (never the tokens themselves).")
        @OptionGroup var store: StoreOption
        @Option(help: "Output format: table, json or csv.")
        var format: ReportFormat = .table

        func run() throws {
            let tokens = try running { () throws(LandtrackError) in try store.open(readOnly: true).tokens() }
            let rows = tokens.map { [String($0.id), $0.owner, $0.role.rawValue, $0.createdAt, $0.revokedAt ?? ""] }
            let headers = ["id", "owner", "role", "created", "revoked"]
            switch format {
            case .table:
                var t = TextTable(headers: headers)
                for r in rows { t.append(r) }
                print(t.render(), terminator: "")
            case .csv:
                print(CSV.line(headers) + rows.map(CSV.line).joined(), terminator: "")
            case .json:
                let items = tokens.map { t in
                    JSONValue.object(JSONObject([("id", .number(Double(t.id))), ("owner", .string(t.owner)), ("role", .string(t.role.rawValue)),
                                                 ("created_at", .string(t.createdAt)), ("revoked_at", t.revokedAt.map { .string($0) } ?? .null)]))
                }
                print(JSONValue.array(items).jsonText)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id (landtrack token list).")
        @Argument(help: "The token's id.")
        var id: Int64
        @OptionGroup var store: StoreOption

        func run() throws {
            try running { () throws(LandtrackError) in try store.open().revokeToken(id: id) }
            print("revoked token \(id)")
        }
    }
}
