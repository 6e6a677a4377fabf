import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A wrapper whose mirror fails a download backs off that version instead of downloading it on every check (issue 24).
@Suite struct FailedInstallBackoffTests {
    /// A wrapper on 1.0.0 whose mirror answers 404 for 1.1.0 downloads it once, not on every check.
    @Test func aFailedDownloadIsNotRepeatedOnEveryCheck() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: [])
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.0.0", events: setup.events)
        host.publishStandIn("1.1.0", events: setup.events)
        let asset = "/download/v1.1.0/lavap-v1.1.0-linux-amd64"
        host.fault(asset, .reply(.respond(status: 404, body: [])))
        let lavavisor = try CLI.launch(
            [
                "wrap", "--directory", setup.temp.path("home").path, "--version-source", "file", "--versions-file", setup.versions.path,
                "--source", "github", "--release-url", host.releaseURL, "--releases-api", host.releasesAPI, "--platform", "linux/amd64",
                "--poll-interval", "0.1", "--auto-download", "--verbose", "--cmd", "lavap rpcprovider p.yml",
            ], in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        try setup.temp.write(
            "provider_target: \"1.1.0\"\nprovider_min: \"1.0.0\"\nconsumer_target: \"1.1.0\"\nconsumer_min: \"1.0.0\"\n", to: "versions.yml"
        )
        try await lavavisor.waitForLog("cannot install 1.1.0; trying lower versions")
        let checks = lavavisor.logs.components(separatedBy: "running 1.0.0: keep 1.0.0").count
        try await waitUntil("ten more checks") { lavavisor.logs.components(separatedBy: "running 1.0.0: keep 1.0.0").count > checks + 10 }
        #expect(host.requests(asset).count == 1, "downloaded again before the backoff")
        #expect(lavavisor.logs.contains("next attempt in 15 s"), "\(lavavisor.logs)")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        await host.stop()
    }
}
