import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A failed upgrade never touches the running lavap and never leaves a partial binary.
@Suite struct FailedUpgradeTests {
    static let asset = "/download/v1.1.0/lavap-v1.1.0-linux-amd64"

    func wrap(_ setup: Quickstart, _ host: FakeReleaseHost) -> [String] {
        [
            "wrap", "--directory", setup.store.root.deletingLastPathComponent().path, "--version-source", "file", "--versions-file",
            setup.versions.path, "--source", "github", "--release-url", host.releaseURL, "--releases-api", host.releasesAPI,
            "--platform", "linux/amd64", "--poll-interval", "0.2", "--auto-download", "--cmd", "lavap rpcprovider p.yml",
        ]
    }

    /// Starts a wrapper on 1.0.0, breaks the 1.1.0 download with `fault`, demands 1.1.0, waits for
    /// `message`, and checks that 1.0.0 still runs and nothing of 1.1.0 was installed.
    func expectUpgradeRefused(
        _ fault: FakeReleaseHost.Fault?, message: String, asset: [UInt8]? = nil, limits: String = "",
        setup prepare: (FakeReleaseHost) -> Void = { _ in }
    ) async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: [])
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.0.0", events: setup.events)
        if let asset {
            host.publish("1.1.0", asset: "lavap-v1.1.0-linux-amd64", bytes: asset)
        } else {
            host.publishStandIn("1.1.0", events: setup.events)
        }
        host.fault(Self.asset, fault)
        prepare(host)
        let lavavisor = try CLI.launch(wrap(setup, host), in: setup.temp, setup: limits)
        let running = try await setup.waitForEvent("start", "1.0.0")
        try setup.require("1.1.0")
        try await lavavisor.waitForLog(message)
        try await lavavisor.waitForLog("cannot install 1.1.0")
        #expect(kill(pid_t(running[2])!, 0) == 0, "lavap 1.0.0 was stopped")
        #expect(setup.recorded.count == 1)
        #expect(setup.store.currentVersion() == v("1.0.0"))
        #expect(!FileManager.default.fileExists(atPath: setup.store.folder(for: v("1.1.0")).path))
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.store.staging.path).isEmpty)
        await host.stop()
    }

    @Test func aWrongChecksum() async throws {
        try await expectUpgradeRefused(nil, message: "does not match its published checksum") { host in
            host.setFile("/download/v1.1.0/sha256sum.txt", Array("\(String(repeating: "0", count: 64))  lavap-v1.1.0-linux-amd64\n".utf8))
        }
    }

    @Test func aMissingAsset() async throws {
        try await expectUpgradeRefused(.reply(.respond(status: 404, body: [])), message: "nothing is published at")
    }

    @Test func aServerError() async throws {
        try await expectUpgradeRefused(.reply(.respond(status: 500, body: Array("down".utf8))), message: "answered HTTP 500")
    }

    @Test func aConnectionCutMidDownload() async throws {
        try await expectUpgradeRefused(
            .reply(.truncated(declared: 4096, body: Array("#!/bin/sh\n".utf8))), message: "closed the connection")
    }

    @Test func anAssetThatIsNotAProgram() async throws {
        try await expectUpgradeRefused(nil, message: "Exec format error", asset: Array("<html>rate limited</html>".utf8))
    }

    @Test func anAssetThatReportsAnotherVersion() async throws {
        try await expectUpgradeRefused(
            nil, message: "it reports version 1.0.9", asset: Array(StandIn.script(version: "1.0.9", events: nil).utf8))
    }

    /// A full disk, simulated with a file size limit: writes past 100 KiB fail with EFBIG.
    @Test func aFullDisk() async throws {
        let padding = String(repeating: "# padding line\n", count: 20_000)
        try await expectUpgradeRefused(
            nil, message: "File too large", asset: Array((StandIn.script(version: "1.1.0", events: nil) + padding).utf8),
            limits: "ulimit -f 200")
    }
}
