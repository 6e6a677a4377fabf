// swift-tools-version: 6.2
import PackageDescription

/// Every module builds in Swift 6 language mode with explicit access control.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// swift-log, declared by every plugin that imports `Logging` (to name the context's `Logger` type).
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

/// A plugin module: `Sources/Plugins/<extension point>/<name>`, depending on Core (and the
/// argument parser, for its flags) only, plus what it names in `also`.
func plugin(_ name: String, serving extensionPoint: String, also: [Target.Dependency] = []) -> Target {
    .target(
        name: name,
        dependencies: ["Core", .product(name: "ArgumentParser", package: "swift-argument-parser")] + also,
        path: "Sources/Plugins/\(extensionPoint)/\(name)",
        swiftSettings: strict
    )
}

// Linux only: Core calls Glibc directly (posix_spawn, flock, pidfd-free reaping, termios).
let package = Package(
    name: "lavavisor",
    products: [
        .executable(name: "lavavisor", targets: ["lavavisor"]),
        .library(name: "Core", targets: ["Core"]),
        // The decoders of outside input as functions of bytes, for FuzzTesting/ (libFuzzer) and FuzzCorpusTests.
        .library(name: "FuzzHarness", targets: ["FuzzHarness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: Core: extension points and the engine, no plugin code.
        .target(
            name: "Core",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),

        // MARK: `--metrics-address`: /metrics (Prometheus) and /healthz on a small swift-nio server, chosen by the CLI.
        .target(
            name: "MetricsServer",
            dependencies: [
                "Core",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // MARK: The HTTP client behind Core's HTTPExecutor protocol (AsyncHTTPClient), chosen by the CLI.
        .target(
            name: "AsyncHTTPExecutor",
            dependencies: [
                "Core",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "TLSTrust",
            ],
            swiftSettings: strict
        ),

        // MARK: What HTTPS and wss connections trust (the system's CAs and `--ca-file`), shared by the HTTP client and the rpc source's wss feed.
        .target(
            name: "TLSTrust",
            dependencies: [.product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: strict
        ),

        // MARK: The supervision of one lavap as a direct child, shared by the child and pod backends.
        .target(
            name: "Supervision",
            dependencies: ["Core", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // MARK: Plugins: one module each, depending on Core (the child and pod backends on Supervision too), grouped by the extension point they serve.
        plugin(
            "RPCVersionSource", serving: "VersionSources",
            also: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), "TLSTrust",
            ]),
        plugin("RESTVersionSource", serving: "VersionSources"),
        plugin("FileVersionSource", serving: "VersionSources", also: [.product(name: "Yams", package: "Yams")]),
        plugin("GitHubReleaseSource", serving: "BinarySources", also: [logging]),
        plugin("GitBinarySource", serving: "BinarySources", also: [logging]),
        plugin("LocalBinarySource", serving: "BinarySources"),
        plugin("ChildBackend", serving: "Backends", also: ["Supervision", logging]),
        plugin("PodBackend", serving: "Backends", also: ["Supervision", logging]),
        plugin("SystemdBackend", serving: "Backends", also: [.product(name: "Yams", package: "Yams"), logging]),

        // MARK: The CLI and its composition root.
        .executableTarget(
            name: "lavavisor",
            dependencies: [
                "Core",
                "AsyncHTTPExecutor",
                "TLSTrust",
                "MetricsServer",
                "RPCVersionSource",
                "RESTVersionSource",
                "FileVersionSource",
                "GitHubReleaseSource",
                "GitBinarySource",
                "LocalBinarySource",
                "ChildBackend",
                "PodBackend",
                "SystemdBackend",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: Hostile input: every decoder of outside input driven by bytes, with its invariants (FuzzTesting/).
        .target(
            name: "FuzzHarness",
            dependencies: ["Core", "RPCVersionSource", "RESTVersionSource", "FileVersionSource", "GitHubReleaseSource"],
            swiftSettings: strict
        ),

        // MARK: Tests: Core, one target per plugin, and end-to-end runs of the built CLI.
        .target(
            name: "TestSupport",
            dependencies: [
                "Core",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "AsyncHTTPExecutor",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
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
            name: "RPCVersionSourceTests",
            dependencies: ["RPCVersionSource", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RESTVersionSourceTests",
            dependencies: ["RESTVersionSource", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AsyncHTTPExecutorTests",
            dependencies: ["AsyncHTTPExecutor", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GitHubReleaseSourceTests",
            dependencies: ["GitHubReleaseSource", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GitBinarySourceTests",
            dependencies: ["GitBinarySource", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LocalBinarySourceTests",
            dependencies: ["LocalBinarySource", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChildBackendTests",
            dependencies: ["ChildBackend", "Supervision", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PodBackendTests",
            dependencies: ["PodBackend", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SystemdBackendTests",
            dependencies: ["SystemdBackend", "Core", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PluginExampleTests",
            dependencies: ["Core", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MetricsServerTests",
            dependencies: ["MetricsServer", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["lavavisor", "Core", "TestSupport"],
            swiftSettings: strict
        ),
        // Every fuzz corpus and regression input (FuzzTesting/Corpus, FuzzTesting/Regressions) through the harness.
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzHarness"], swiftSettings: strict),
        // docs/TROUBLESHOOTING.md against every error type and message in Sources.
        .testTarget(
            name: "TroubleshootingTests",
            dependencies: [
                "lavavisor", "Core", "MetricsServer", "FileVersionSource", "RPCVersionSource", "GitBinarySource", "GitHubReleaseSource",
                "LocalBinarySource", "SystemdBackend", "Supervision", "TLSTrust",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
    ]
)
