import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// lavavisor catches SIGINT and SIGTERM from its first statement on, to stop lavap gracefully; a
/// command that supervises nothing must still end at once on them, as any command-line tool does.
@Suite struct InterruptTests {
    @Test func ctrlCStopsAnInitInTheMiddleOfADownload() async throws {
        let setup = try Quickstart(versions: "1.1.0", binaries: [])
        let host = try await FakeReleaseHost()
        let padding = String(repeating: "# padding line\n", count: 70_000)
        host.publish(
            "1.1.0", asset: "lavap-v1.1.0-linux-amd64", bytes: Array((StandIn.script(version: "1.1.0", events: nil) + padding).utf8))
        host.fault("/download/v1.1.0/lavap-v1.1.0-linux-amd64", .slow(pieces: 200, pause: .milliseconds(100)))  // 20 s
        let lavavisor = try CLI.launch(
            [
                "init", "--auto-download", "--directory", setup.store.root.deletingLastPathComponent().path, "--version-source", "file",
                "--versions-file", setup.versions.path, "--source", "github", "--release-url", host.releaseURL, "--releases-api",
                host.releasesAPI, "--platform", "linux/amd64",
            ], in: setup.temp)
        try await lavavisor.waitForLog("downloading lavap-v1.1.0-linux-amd64: ")
        lavavisor.process.signal(SIGINT)
        #expect(try await lavavisor.exit() == .signaled(SIGINT), "\(lavavisor.logs)")
        #expect(!lavavisor.logs.contains("current links to"))
        await host.stop()
    }
}
