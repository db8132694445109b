// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "landtrack",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "landtrack", targets: ["landtrack"]),
        .library(name: "Geometry", targets: ["Geometry"]),
        .library(name: "Parcels", targets: ["Parcels"]),
        .library(name: "Planner", targets: ["Planner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // The only two places C is seen.
        .systemLibrary(
            name: "CGEOS", path: "Sources/CGEOS", pkgConfig: "geos",
            providers: [.apt(["libgeos-dev"]), .brew(["geos"])]),
        .systemLibrary(
            name: "CPROJ", path: "Sources/CPROJ", pkgConfig: "proj",
            providers: [.apt(["libproj-dev"]), .brew(["proj"])]),
        .target(name: "Geometry", dependencies: ["CGEOS", "CPROJ"]),
        .target(name: "Parcels", dependencies: ["Geometry", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "Planner", dependencies: ["Geometry", "Parcels"]),
        .executableTarget(
            name: "landtrack",
            dependencies: [
                "Geometry", "Parcels", "Planner",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Writes the demo programme in geodata/programme from geodata/nanhai-sample.geojson.
        .executableTarget(name: "geodata-gen", dependencies: ["Geometry", "Parcels"], path: "Sources/geodata-gen"),
        // Micro-benchmarks: `swift run -c release landtrack-bench` (see Benchmarks/RESULTS.md).
        .executableTarget(name: "landtrack-bench", dependencies: ["Geometry", "Parcels"], path: "Benchmarks/landtrack-bench"),
        // Shared by the test targets: paths to ../shared/data and the catalogue of test geometries.
        .target(name: "TestSupport", dependencies: ["Geometry", "Parcels"], path: "Tests/TestSupport"),
        .testTarget(
            name: "GeometryTests",
            dependencies: [
                "Geometry", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "ParcelsTests",
            dependencies: [
                "Parcels", "Geometry", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "PlannerTests",
            dependencies: [
                "Planner", "Parcels", "Geometry", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(name: "landtrackTests", dependencies: ["landtrack", "Geometry", "Parcels", "TestSupport"]),
    ]
)
