// swift-tools-version: 5.4
// 5.4, not newer: from 5.5 on, SwiftPM links every Swift executable on Linux with
// `--defsym main=<Module>_main` (so that tests can import executables), and that symbol does not
// exist under `-parse-as-library`, which libFuzzer needs so that its own `main` runs the target.
import PackageDescription

/// One libFuzzer executable per fuzz target of the root package's FuzzHarness (see README.md);
/// built only with `-sanitize=fuzzer,address -parse-as-library`, as `run` does.
let targets = [
    "FuzzParams", "FuzzProposals", "FuzzRPCAnswer", "FuzzNewBlock", "FuzzRESTAnswer",
    "FuzzChecksums", "FuzzReleaseListing", "FuzzVersionsFile", "FuzzStoreConfig", "FuzzShellWords",
]

let package = Package(
    name: "FuzzTesting",
    dependencies: [.package(name: "lavavisor", path: "..")],
    targets: targets.map { name in
        .executableTarget(name: name, dependencies: [.product(name: "FuzzHarness", package: "lavavisor")])
    }
)
