// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "clicktracker",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ClickTracker", targets: ["ClickTracker"]),
        .library(name: "ClickTrackerSQLite", targets: ["ClickTrackerSQLite"]),
        .library(name: "ClickTrackerPostgres", targets: ["ClickTrackerPostgres"]),
        .library(name: "ClickTrackerHummingbird", targets: ["ClickTrackerHummingbird"]),
        .library(name: "ClickTrackerServer", targets: ["ClickTrackerServer"]),
        .executable(name: "clicktracker", targets: ["clicktracker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // The SQLite store's writer calls the SQLite that sqlite-nio bundles (its `VaporCSQLite`
        // module, not a published product), so updates within 1.13 only, after a look at it.
        .package(url: "https://github.com/vapor/sqlite-nio.git", .upToNextMinor(from: "1.13.2")),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "ClickTracker",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ClickTrackerSQLite",
            dependencies: [
                "ClickTracker",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ClickTrackerPostgres",
            dependencies: [
                "ClickTracker",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.embedInCode("Schema/db.sql")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ClickTrackerHummingbird",
            dependencies: [
                "ClickTracker",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ClickTrackerServer",
            dependencies: [
                "ClickTracker",
                "ClickTrackerSQLite",
                "ClickTrackerPostgres",
                "ClickTrackerHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.embedInCode("API/openapi.json")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "clicktracker",
            dependencies: [
                "ClickTrackerServer",
                "ClickTrackerPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ClickTrackerTestSupport",
            dependencies: [
                "ClickTracker",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/ClickTrackerTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ClickTrackerTests",
            dependencies: ["ClickTracker"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ClickTrackerSQLiteTests",
            dependencies: [
                "ClickTrackerSQLite",
                "ClickTrackerTestSupport",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ClickTrackerPostgresTests",
            dependencies: [
                "ClickTrackerPostgres",
                "ClickTrackerTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            // A frozen copy of schema version 1, read by path in the upgrade test.
            exclude: ["Fixtures/db-v1.sql", "Fixtures/db-v5.sql"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ClickTrackerHummingbirdTests",
            dependencies: [
                .product(name: "CompressNIO", package: "compress-nio"),
                "ClickTrackerHummingbird",
                "ClickTrackerTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ClickTrackerServerTests",
            dependencies: [
                "ClickTrackerServer",
                "ClickTrackerHummingbird",
                "ClickTrackerTestSupport",
                "clicktracker",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
