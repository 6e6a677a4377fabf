// swift-tools-version: 6.1
import PackageDescription

/// Every module builds in Swift 6 language mode with explicit access control.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "lavavisor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lavavisor", targets: ["lavavisor"]),
        .library(name: "Core", targets: ["Core"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: Core: extension points and the engine, no plugin code.
        .target(
            name: "Core",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),

        // MARK: Plugins: one module each, depending on Core only.
        .target(
            name: "FileVersionSource",
            dependencies: ["Core", .product(name: "Yams", package: "Yams")],
            path: "Sources/Plugins/FileVersionSource",
            swiftSettings: strict
        ),
        .target(
            name: "LocalBinarySource",
            dependencies: ["Core"],
            path: "Sources/Plugins/LocalBinarySource",
            swiftSettings: strict
        ),
        .target(
            name: "ChildBackend",
            dependencies: ["Core"],
            path: "Sources/Plugins/ChildBackend",
            swiftSettings: strict
        ),

        // MARK: The CLI and its composition root.
        .executableTarget(
            name: "lavavisor",
            dependencies: [
                "Core",
                "FileVersionSource",
                "LocalBinarySource",
                "ChildBackend",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: Tests: Core, one target per plugin, and end-to-end runs of the built CLI.
        .target(
            name: "TestSupport",
            dependencies: ["Core", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "CoreTests", dependencies: ["Core", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "FileVersionSourceTests",
            dependencies: ["FileVersionSource", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LocalBinarySourceTests",
            dependencies: ["LocalBinarySource", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChildBackendTests",
            dependencies: ["ChildBackend", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PluginExampleTests",
            dependencies: ["Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["lavavisor", "Core", "TestSupport"],
            swiftSettings: strict
        ),
    ]
)
