// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "landtrack",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "landtrack", targets: ["landtrack"]),
        .library(name: "Geometry", targets: ["Geometry"]),
        .library(name: "Parcels", targets: ["Parcels"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "GeoPackageStore", targets: ["GeoPackageStore"]),
        .library(name: "PostGISStore", targets: ["PostGISStore"]),
        .library(name: "Planner", targets: ["Planner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Hummingbird's own transport: the server answers HTTP parse errors itself (HTTPErrors.swift).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // RFC 4180 CSV input (transition --file, --landuse-map).
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        // The server's OpenAPI 3.0 definition (/api), built as typed values.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit", from: "6.4.0", traits: []),
    ],
    targets: [
        // The only places C is seen.
        .systemLibrary(
            name: "CGEOS", path: "Sources/CGEOS", pkgConfig: "geos",
            providers: [.apt(["libgeos-dev"]), .brew(["geos"])]),
        // PROJ's headers only (no pkg-config: its flags link libproj): landtrack is not linked with libproj,
        // whose libraries (libtiff, libcurl, …) took ~10 ms of every command's start though most commands
        // call no PROJ function; CPROJLoader opens it on first use and defines the functions Geometry calls.
        .systemLibrary(name: "CPROJ", path: "Sources/CPROJ", providers: [.apt(["libproj-dev"]), .brew(["proj"])]),
        .target(name: "CPROJLoader", dependencies: ["CPROJ"]),
        // GDAL's C API: survey data (Shapefile, File Geodatabase, GeoPackage, GML, …), seen only by VectorSources.
        // Its headers only (no pkg-config: its flags link libgdal): landtrack is not linked with libgdal, whose
        // ~100 libraries took ~65 ms of every command's start; CGDALLoader opens it on first use and defines
        // the functions VectorSources calls.
        .systemLibrary(name: "CGDAL", path: "Sources/CGDAL", providers: [.apt(["libgdal-dev"])]),
        .target(name: "CGDALLoader", dependencies: ["CGDAL"]),
        // libpq: PostgreSQL's client library, seen only by the PostGIS backend.
        // Its headers only (no pkg-config: its flags link libpq, whose OpenSSL, Kerberos and LDAP took ~5 ms
        // of every command's start); CLibPQLoader opens it when the PostGIS store first connects.
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", providers: [.apt(["libpq-dev"]), .brew(["libpq"])]),
        .target(name: "CLibPQLoader", dependencies: ["CLibPQ"]),
        .target(name: "Geometry", dependencies: ["CGEOS", "CPROJ", "CPROJLoader"]),
        // The parcel model and the file readers: no database (area and validate need none).
        .target(name: "Parcels", dependencies: ["Geometry", .product(name: "CSV", package: "CSV.swift")]),
        // Any vector source GDAL reads, as features for the parcel reader (GeoJSON keeps its own fast
        // reader), and parcels written back as Shapefile or File Geodatabase.
        .target(name: "VectorSources", dependencies: ["Geometry", "Parcels", "CGDAL", "CGDALLoader"]),
        // The store interface, its value types (snapshots, events, refusals) and the one write
        // path for the programme's rules; backends implement the interface.
        .target(
            name: "Store",
            dependencies: [
                "Geometry", "Parcels",
                // SHA-256 of access tokens: only their hashes are stored.
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // The embedded backend: one GeoPackage file through GRDB. The only target that sees SQL.
        .target(name: "GeoPackageStore", dependencies: ["Geometry", "Parcels", "Store", .product(name: "GRDB", package: "GRDB.swift"),
                                                        .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        // A bureau's backend: PostgreSQL + PostGIS through libpq (COPY, cursors, row locks).
        .target(name: "PostGISStore", dependencies: ["Geometry", "Parcels", "Store", "CLibPQ", "CLibPQLoader"]),
        // Pure functions over snapshots: summaries, changes, blocks, rule checks.
        .target(name: "Planner", dependencies: ["Geometry", "Parcels", "Store", .product(name: "Crypto", package: "swift-crypto")]),
        // `landtrack map`: one self-contained HTML page (data and drawing code inline, no network).
        .target(name: "ParcelMap", dependencies: ["Geometry", "Parcels", "Store", "Planner"]),
        // `landtrack serve`: OGC API - Features, the planner's JSON reports and token-checked writes.
        .target(
            name: "FeatureServer",
            dependencies: [
                "Geometry", "Parcels", "Store", "Planner", "ParcelMap",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "OpenAPIKit30", package: "OpenAPIKit"),
            ]),
        .executableTarget(
            name: "landtrack",
            dependencies: [
                "Geometry", "Parcels", "VectorSources", "Store", "GeoPackageStore", "PostGISStore", "Planner", "ParcelMap", "FeatureServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Writes the demo programme in geodata/programme from geodata/nanhai-sample.geojson.
        .executableTarget(name: "geodata-gen", dependencies: ["Geometry", "Parcels"], path: "Sources/geodata-gen"),
        // Micro-benchmarks: `swift run -c release landtrack-bench` (see Benchmarks/RESULTS.md).
        .executableTarget(name: "landtrack-bench", dependencies: ["Geometry", "Parcels"], path: "Benchmarks/landtrack-bench"),
        // Shared by the test targets: paths to ../shared/data and the catalogue of test geometries.
        .target(name: "TestSupport", dependencies: ["Geometry", "Parcels", "Store", "GeoPackageStore", "PostGISStore", .product(name: "GRDB", package: "GRDB.swift"),
                                                   .product(name: "PropertyBased", package: "swift-property-based")], path: "Tests/TestSupport"),
        .testTarget(
            name: "GeometryTests",
            dependencies: [
                "Geometry", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "ParcelsTests",
            dependencies: [
                "Parcels", "Geometry", "VectorSources", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "Store", "GeoPackageStore", "PostGISStore", "Planner", "Parcels", "Geometry", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "PlannerTests",
            dependencies: [
                "Planner", "Parcels", "Store", "GeoPackageStore", "Geometry", "VectorSources", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(name: "ParcelMapTests", dependencies: ["ParcelMap", "Planner", "Parcels", "Store", "GeoPackageStore", "Geometry", "TestSupport"]),
        .testTarget(name: "FeatureServerTests", dependencies: [
            "FeatureServer", "Planner", "Parcels", "Store", "GeoPackageStore", "Geometry", "TestSupport",
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "landtrackTests", dependencies: ["landtrack", "Geometry", "Parcels", "Store", "GeoPackageStore", "TestSupport"]),
    ]
)
