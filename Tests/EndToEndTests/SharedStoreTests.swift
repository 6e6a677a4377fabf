import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several real lavavisor processes on one `.lavavisor` directory, fetching from a loopback
/// release host that counts requests.
@Suite struct SharedStoreTests {
    static let asset = "/download/v1.1.0/lavap-v1.1.0-linux-amd64"

    /// One wrapper's flags; each wrapper on the store runs its own command (`p<number>.yml`).
    func wrap(_ setup: Quickstart, _ host: FakeReleaseHost, autoDownload: Bool, number: Int = 0) -> [String] {
        [
            "wrap", "--directory", setup.store.root.deletingLastPathComponent().path, "--version-source", "file", "--versions-file",
            setup.versions.path, "--source", "github", "--release-url", host.releaseURL, "--releases-api", host.releasesAPI,
            "--platform", "linux/amd64", "--poll-interval", "0.2", "--cmd", "lavap rpcprovider p\(number).yml",
        ] + (autoDownload ? ["--auto-download"] : [])
    }

    @Test func oneDownloadServesEveryWrapper() async throws {
        let setup = try Quickstart(versions: "1.1.0", binaries: [])
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.1.0", events: setup.events)
        // The download waits until every other wrapper is waiting for it: no timing involved.
        let gate = Gate()
        host.fault(Self.asset, .held(gate))
        let wrappers = try [true, true, false, true].enumerated().map {
            try CLI.launch(wrap(setup, host, autoDownload: $0.element, number: $0.offset), in: setup.temp)
        }
        try await waitUntil("one download in flight and three wrappers waiting") {
            gate.arrivals == 1
                && wrappers.filter { $0.logs.contains("waiting for another lavavisor to finish installing 1.1.0") }.count == 2
                && wrappers[2].logs.contains("waiting for a lavavisor with --auto-download to install it")
        }
        gate.open()
        try await waitUntil("four lavap 1.1.0 running, events: \(setup.recorded)") {
            setup.recorded.filter { $0.prefix(2) == ["start", "1.1.0"] }.count == 4
        }
        #expect(host.requests(Self.asset).count == 1)
        #expect(setup.store.installedVersions() == [v("1.1.0")])
        #expect(setup.store.currentVersion() == v("1.1.0"))
        #expect(wrappers.filter { $0.logs.contains("downloaded lavap-v1.1.0-linux-amd64") }.count == 1)
        #expect(!wrappers[2].logs.contains("downloading"))
        for wrapper in wrappers { wrapper.process.signal(SIGTERM) }
        for wrapper in wrappers { #expect(try await wrapper.exit() == .exited(0)) }
        await host.stop()
    }

    @Test func aKilledDownloaderFreesTheLockAndTheNextCleansUp() async throws {
        let setup = try Quickstart(versions: "1.1.0", binaries: [])
        let host = try await FakeReleaseHost()
        let padding = String(repeating: "# padding line\n", count: 4000)
        let bytes = Array((StandIn.script(version: "1.1.0", events: setup.events) + padding).utf8)
        host.publish("1.1.0", asset: "lavap-v1.1.0-linux-amd64", bytes: bytes)
        host.fault(Self.asset, .slow(pieces: 200, pause: .milliseconds(100)))
        let first = try CLI.launch(wrap(setup, host, autoDownload: true), in: setup.temp)
        try await waitUntil("a partial download in staging") {
            let stages = (try? FileManager.default.contentsOfDirectory(atPath: setup.store.staging.path)) ?? []
            return stages.contains { stage in
                let file = setup.store.staging.appendingPathComponent(stage).appendingPathComponent("lavap").path
                return ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0) > 0
            }
        }
        first.process.signal(SIGKILL)
        #expect(try await first.exit() == .signaled(SIGKILL))
        #expect(!FileManager.default.fileExists(atPath: setup.store.folder(for: v("1.1.0")).path))

        host.fault(Self.asset, nil)
        let second = try CLI.launch(wrap(setup, host, autoDownload: true), in: setup.temp)
        try await setup.waitForEvent("start", "1.1.0")
        #expect(second.logs.contains("removing the leftovers of an interrupted install"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.store.staging.path).isEmpty)
        #expect(host.requests(Self.asset).count == 2)
        second.process.signal(SIGTERM)
        #expect(try await second.exit() == .exited(0))
        await host.stop()
    }

    @Test func twoWrappersOnOneDirectoryConvergeWithOneInstall() async throws {
        // Only the first may fetch; the second must follow the switch the first made, not keep its
        // old child because `current` already links to the new version.
        let setup = try Quickstart(versions: "1.0.0")
        let fetching = try CLI.launch(setup.wrap(command: "lavap rpcprovider a.yml"), in: setup.temp)
        try await waitUntil("the first wrapper's lavap") { setup.recorded.contains { $0.prefix(2) == ["start", "1.0.0"] } }
        let following = try CLI.launch(
            setup.wrap(command: "lavap rpcprovider b.yml").filter { $0 != "--auto-download" }, in: setup.temp)
        try await waitUntil("both lavap 1.0.0 running") { setup.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count == 2 }
        try setup.require("1.1.0")
        try await waitUntil("both lavap on 1.1.0, events: \(setup.recorded)") {
            setup.recorded.filter { $0.prefix(2) == ["start", "1.1.0"] }.count == 2
        }
        #expect(setup.recorded.filter { $0.first == "sigterm" }.count == 2)
        #expect((fetching.logs + following.logs).components(separatedBy: "installed 1.1.0").count == 2)
        // It follows the first one's switch, or, checking between the first one's install and its
        // switch, finds 1.1.0 installed and switches itself; either way it never fetches.
        #expect(
            following.logs.contains("current links to 1.1.0 but lavap runs 1.0.0; restarting it")
                || following.logs.contains("switched current to 1.1.0"), "\(following.logs)")
        #expect(!following.logs.contains("fetching 1.1.0"))
        for wrapper in [fetching, following] { wrapper.process.signal(SIGTERM) }
        for wrapper in [fetching, following] { #expect(try await wrapper.exit() == .exited(0)) }
    }
}
