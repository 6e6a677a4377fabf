import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `lavavisor prune` and `--auto-prune`: the real CLI on real stores, with real running children,
/// real locks and a loopback release host that counts downloads.
@Suite struct PruneCommandTests {
    static func asset(_ version: String) -> String { "/download/v\(version)/lavap-v\(version)-linux-amd64" }

    @Test func pruneKeepsTheRollbackTargetTheRunningWrapAndAVersionInstalledAheadThenTheWrapSwitchesWithoutADownload() async throws {
        let setup = try Quickstart(versions: "1.2.0", binaries: [])
        let host = try await FakeReleaseHost()
        for version in ["1.0.0", "1.1.0", "1.2.0", "1.3.0"] { host.publishStandIn(version, events: setup.events) }
        let home = setup.temp.path("home").path
        let github = [
            "--source", "github", "--release-url", host.releaseURL, "--releases-api", host.releasesAPI, "--platform", "linux/amd64",
        ]
        let chain = ["--version-source", "file", "--versions-file", setup.versions.path]
        let initialised = try await CLI.run(["init", "--auto-download", "--directory", home] + chain + github, in: setup.temp)
        #expect(initialised.exit == .exited(0), "\(initialised.logs)")
        for version in ["1.0.0", "1.1.0"] {
            let installed = try await CLI.run(["install", version, "--directory", home] + github, in: setup.temp)
            #expect(installed.exit == .exited(0), "\(installed.logs)")
        }
        let wrap = try CLI.launch(
            ["wrap", "--directory", home, "--auto-download", "--poll-interval", "0.2", "--cmd", "lavap rpcprovider p.yml"] + chain + github,
            in: setup.temp)
        let child = try await setup.waitForEvent("start", "1.2.0")
        let ahead = try await CLI.run(["install", "1.3.0", "--directory", home] + github, in: setup.temp)
        #expect(ahead.exit == .exited(0), "\(ahead.logs)")
        #expect(setup.store.currentVersion() == v("1.2.0"))

        let listed = try await CLI.run(["versions", "--directory", home], in: setup.temp)
        let rows = listed.output.split(separator: "\n").map(String.init)
        // The chain's versions too: init recorded the versions file, so versions knows the chain.
        #expect(
            rows.contains { $0.hasPrefix("1.2.0 ") && $0.hasSuffix("current, running (pid \(child[2])), chain target, chain minimum") },
            "\(listed.output)")
        #expect(rows.contains { $0.hasPrefix("1.3.0 ") && $0.hasSuffix("installed ahead") }, "\(listed.output)")

        let pruned = try await CLI.run(["prune", "--keep", "1", "--directory", home], in: setup.temp)
        #expect(pruned.exit == .exited(0), "\(pruned.logs)")
        #expect(pruned.output.hasPrefix("removed 1.0.0 ("), "\(pruned.output)")
        #expect(pruned.output.contains("kept 1.1.0: one of the 1 newest older than current, kept for a rollback (--keep 1)"))
        #expect(pruned.output.contains("kept 1.2.0: current"))
        #expect(pruned.output.contains("kept 1.3.0: newer than current (installed ahead)"))
        #expect(pruned.output.contains("\nfreed "))
        #expect(setup.store.installedVersions() == ["1.1.0", "1.2.0", "1.3.0"].map(v))
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.store.staging.path).isEmpty)
        #expect(kill(pid_t(child[2])!, 0) == 0, "the running lavap is untouched")
        #expect(setup.recorded.map(\.[0]) == ["start"])

        // The chain now asks for 1.3.0: the wrap switches to the version installed ahead, without a download.
        try setup.require("1.3.0")
        try await setup.waitForEvent("sigterm", "1.2.0", child[2])
        try await setup.waitForEvent("start", "1.3.0")
        try await wrap.waitForLog("switched current to 1.3.0")
        #expect(host.requests(Self.asset("1.3.0")).count == 1, "only install downloaded 1.3.0")
        #expect(!wrap.logs.contains("fetching"), "\(wrap.logs)")
        wrap.process.signal(SIGTERM)
        #expect(try await wrap.exit() == .exited(0))
        await host.stop()
    }

    @Test func aVersionARealRunningChildUsesIsNeverRemoved() async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: ["1.0.0", "1.1.0", "1.2.0"], current: "1.2.0")
        let child = try RecordedChild(store: versions.store, version: "1.0.0")
        let listed = try await versions.run("versions")
        #expect(listed.output.contains("running (pid \(child.process.pid))"), "\(listed.output)")
        let pruned = try await versions.run("prune", ["--keep", "0"])
        #expect(pruned.exit == .exited(0), "\(pruned.logs)")
        #expect(pruned.output.contains("removed 1.1.0"))
        #expect(pruned.output.contains("kept 1.0.0: used by running lavap (pid \(child.process.pid))"))
        #expect(versions.store.installedVersions() == [v("1.0.0"), v("1.2.0")])
        #expect(child.isRunning)
    }

    @Test func aVersionWhoseInstallLockIsHeldIsNeverRemoved() async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: ["1.0.0", "1.1.0", "1.2.0"], current: "1.2.0")
        let lock = try await FileLock.acquire(
            versions.store.lockFile(for: v("1.0.0")).path, timeout: .seconds(1), logger: CapturedLogs().logger(), purpose: "the test")
        let pruned = try await versions.run("prune", ["--keep", "0"])
        #expect(pruned.exit == .exited(0), "\(pruned.logs)")
        #expect(pruned.output.contains("kept 1.0.0: its install lock is held: a lavavisor is installing it"), "\(pruned.output)")
        #expect(pruned.output.contains("removed 1.1.0"))
        #expect(versions.store.installedVersions() == [v("1.0.0"), v("1.2.0")])
        withExtendedLifetime(lock) {}
    }

    @Test func pruneAndAnInstallOfANeighbouringVersionRunTogether() async throws {
        let versions = try VersionStore(binaries: [])
        try versions.prepare(installed: ["1.0.0", "1.1.0", "1.2.0"], current: "1.2.0")
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.1.1")
        let gate = Gate()
        host.fault(Self.asset("1.1.1"), .held(gate))
        let install = try CLI.launch(
            [
                "install", "1.1.1", "--directory", versions.home, "--source", "github", "--release-url", host.releaseURL, "--releases-api",
                "", "--platform", "linux/amd64",
            ], in: versions.temp)
        try await waitUntil("the download of 1.1.1 in flight") { gate.arrivals == 1 }
        let staging = try FileManager.default.contentsOfDirectory(atPath: versions.store.staging.path)
        #expect(staging.count == 1 && staging[0].hasPrefix("v1.1.1."), "\(staging)")

        let pruned = try await versions.run("prune", ["--keep", "0"])
        #expect(pruned.exit == .exited(0), "\(pruned.logs)")
        #expect(pruned.output.contains("removed 1.0.0") && pruned.output.contains("removed 1.1.0"), "\(pruned.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: versions.store.staging.path) == staging, "the install's staging stays")

        gate.open()
        #expect(try await install.exit() == .exited(0), "\(install.logs)")
        #expect(versions.store.installedVersions() == [v("1.1.1"), v("1.2.0")])
        #expect(try FileManager.default.contentsOfDirectory(atPath: versions.store.staging.path).isEmpty)
        await host.stop()
    }

    @Test func theLeftoversOfAKilledPruneAreInvisibleAndTheNextPruneOrInitClearsThem() async throws {
        let versions = try VersionStore(demanded: "1.2.0")
        try versions.prepare(installed: ["1.1.0", "1.2.0"], current: "1.2.0")
        // What a prune killed (kill -9) between its rename and its delete leaves: 1.0.0 out of upgrades/, its files in staging/.
        func leave(_ name: String) throws -> URL {
            let folder = versions.store.staging.appendingPathComponent(name, isDirectory: true)
            try StandIn.install(version: "1.0.0", at: folder.appendingPathComponent("lavap"), events: nil)
            return folder
        }
        let first = try leave("removing-v1.0.0.99999.1")
        let listed = try await versions.run("versions", ["--json"])
        let object = try #require(JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any])
        #expect((object["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? String } == ["1.1.0", "1.2.0"])

        let initialised = try await CLI.run(["init"] + versions.setup.flags, in: versions.temp)
        #expect(initialised.exit == .exited(0), "\(initialised.logs)")
        #expect(initialised.logs.contains("removing the leftovers of an interrupted removal"))
        #expect(!FileManager.default.fileExists(atPath: first.path))

        let second = try leave("removing-v1.0.0.99999.2")
        let pruned = try await versions.run("prune")
        #expect(pruned.exit == .exited(0))
        #expect(pruned.output.hasPrefix("nothing to remove"), "\(pruned.output)")
        #expect(!FileManager.default.fileExists(atPath: second.path))
        #expect(versions.store.installedVersions() == [v("1.1.0"), v("1.2.0")])
    }

    @Test func aDryRunTellsWhatWouldGoAndChangesNothing() async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: ["1.0.0", "1.1.0", "1.2.0", "1.3.0"], current: "1.2.0")
        let before = versions.snapshot()
        let sizes = ["1.0.0", "1.1.0"].map { Store.diskUsage(of: versions.store.folder(for: v($0))) }
        let dry = try await versions.run("prune", ["--keep", "0", "--dry-run"])
        #expect(dry.exit == .exited(0), "\(dry.logs)")
        #expect(dry.output.contains("would remove 1.0.0 (\(ByteCount.text(sizes[0])))"))
        #expect(dry.output.contains("would remove 1.1.0 (\(ByteCount.text(sizes[1])))"))
        #expect(dry.output.hasSuffix("would free \(ByteCount.text(sizes[0] + sizes[1])) (--dry-run: nothing was changed)\n"))
        #expect(versions.snapshot() == before)
    }

    @Test func autoPruneRemovesOldVersionsOnceAnUpgradeStayedUp() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: ["1.0.0", "1.1.0", "1.2.0"])
        let wrap = try CLI.launch(setup.wrap(["--auto-prune", "--keep", "1", "--restart-reset-after", "0.3"]), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        try setup.require("1.1.0")
        try await wrap.waitForLog("auto-prune after 1.1.0 stayed up: nothing to remove")
        #expect(setup.store.installedVersions() == [v("1.0.0"), v("1.1.0")])
        try setup.require("1.2.0")
        try await wrap.waitForLog("auto-prune after 1.2.0 stayed up: freed")
        #expect(wrap.logs.contains("auto-prune removed 1.0.0"))
        #expect(setup.store.installedVersions() == [v("1.1.0"), v("1.2.0")])
        #expect(setup.recorded.filter { $0.first == "start" }.map(\.[1]) == ["1.0.0", "1.1.0", "1.2.0"])
        wrap.process.signal(SIGTERM)
        #expect(try await wrap.exit() == .exited(0))
    }
}
