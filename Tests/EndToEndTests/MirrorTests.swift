import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A release mirror on an air-gapped host: `--release-url` alone, no public listing.
@Suite struct MirrorTests {
    func wrap(_ setup: Quickstart, _ host: FakeReleaseHost) -> [String] {
        [
            "wrap", "--directory", setup.store.root.deletingLastPathComponent().path, "--version-source", "file", "--versions-file",
            setup.versions.path, "--source", "github", "--release-url", host.releaseURL, "--platform", "linux/amd64",
            "--auto-download", "--poll-interval", "0.2", "--cmd", "lavap rpcprovider p.yml",
        ]
    }

    @Test func aMirrorIsUsedWithoutThePublicListing() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: [])
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.0.0", events: setup.events)
        host.publishStandIn("1.1.0", events: setup.events)
        let lavavisor = try CLI.launch(wrap(setup, host), in: setup.temp)
        let first = try await setup.waitForEvent("start", "1.0.0")
        try setup.require("1.1.0")
        try await setup.waitForEvent("sigterm", "1.0.0", first[2])
        try await setup.waitForEvent("start", "1.1.0")
        #expect(host.requests("/api/releases").isEmpty)
        #expect(!lavavisor.logs.contains("cannot list"), "\(lavavisor.logs)")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        await host.stop()
    }

    @Test func aTargetMissingOnTheMirrorFallsBackToTheMinimum() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: [])
        try setup.temp.write(
            "provider_target: \"1.1.0\"\nprovider_min: \"1.0.0\"\nconsumer_target: \"1.1.0\"\nconsumer_min: \"1.0.0\"\n", to: "versions.yml"
        )
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.0.0", events: setup.events)
        let lavavisor = try CLI.launch(wrap(setup, host), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        #expect(lavavisor.logs.contains("cannot install 1.1.0; trying lower versions"), "\(lavavisor.logs)")
        #expect(setup.store.currentVersion() == v("1.0.0"))
        #expect(host.requests("/api/releases").isEmpty)
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        await host.stop()
    }

    @Test func aTargetMissingOnTheMirrorFallsBackToTheHighestVersionFoundBetween() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: [])
        try setup.temp.write(
            "provider_target: \"1.2.0\"\nprovider_min: \"1.0.0\"\nconsumer_target: \"1.2.0\"\nconsumer_min: \"1.0.0\"\n", to: "versions.yml"
        )
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.0.0", events: setup.events)
        host.publishStandIn("1.1.2", events: setup.events)
        let lavavisor = try CLI.launch(wrap(setup, host), in: setup.temp)
        try await setup.waitForEvent("start", "1.1.2")
        #expect(lavavisor.logs.contains("cannot install 1.2.0; trying lower versions"), "\(lavavisor.logs)")
        #expect(setup.store.currentVersion() == v("1.1.2"))
        #expect(!setup.recorded.contains { $0.starts(with: ["start", "1.0.0"]) })
        #expect(host.requests("/download/v1.0.0/lavap-v1.0.0-linux-amd64").isEmpty)
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        await host.stop()
    }
}
