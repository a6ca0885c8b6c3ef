// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "BatchLedger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "batchledger", targets: ["batchledger"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "PostgresLedger", targets: ["PostgresLedger"]),
        .library(name: "Flows", targets: ["Flows"]),
        .library(name: "Templates", targets: ["Templates"]),
        .library(name: "GoogleCloud", targets: ["GoogleCloud"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Server", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/pointfreeco/swift-clocks", from: "1.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "CCRC32C"),
        .target(
            name: "Primitives",
            dependencies: ["COpenSSL", "CCRC32C"]
        ),
        .target(
            name: "Ledger",
            dependencies: ["Primitives", "CSQLite", "COpenSSL"]
        ),
        .target(
            name: "PostgresLedger",
            dependencies: ["Ledger", "Primitives", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .target(
            name: "Templates",
            dependencies: ["Primitives"]
        ),
        .target(
            name: "GoogleCloud",
            dependencies: ["Primitives", "COpenSSL", "CCurl", .product(name: "Clocks", package: "swift-clocks")]
        ),
        .target(
            name: "Flows",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "Engine",
            dependencies: [
                "Ledger", "PostgresLedger", "Flows", "Templates", "GoogleCloud",
                .product(name: "Clocks", package: "swift-clocks"),
            ]
        ),
        .target(
            name: "Server",
            dependencies: [
                "Engine", "Ledger", "Flows", "Templates", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "LocalCloud",
            dependencies: [
                "Primitives",
                "COpenSSL",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .executableTarget(
            name: "batchledger",
            dependencies: [
                "Ledger", "PostgresLedger", "Flows", "Templates", "GoogleCloud", "Engine", "LocalCloud", "Server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .executableTarget(
            name: "ledger-bench",
            dependencies: ["Ledger", "PostgresLedger"],
            path: "Tools/bench/LedgerBench"
        ),
        .executableTarget(
            name: "concurrency-bench",
            dependencies: ["Engine", "Ledger", "GoogleCloud", "Templates"],
            path: "Tools/bench/ConcurrencyBench"
        ),
        .executableTarget(
            name: "storage-bench",
            dependencies: ["GoogleCloud"],
            path: "Tools/bench/StorageBench"
        ),
        .testTarget(name: "PrimitivesTests", dependencies: ["Primitives"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "CSQLite", "ledger-bench"]),
        .testTarget(
            name: "PostgresLedgerTests",
            dependencies: ["PostgresLedger", "Ledger", .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(name: "FlowsTests", dependencies: ["Flows"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TemplatesTests", dependencies: ["Templates", "Primitives"]),
        .testTarget(
            name: "GoogleCloudTests",
            dependencies: ["GoogleCloud", "CCRC32C", .product(name: "Clocks", package: "swift-clocks")],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "LocalCloudTests", dependencies: ["LocalCloud"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Flows", "GoogleCloud", "Ledger", "Templates"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Engine", "Ledger", "Flows", "Templates",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["batchledger", "Engine", "Ledger", "Templates"], exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
