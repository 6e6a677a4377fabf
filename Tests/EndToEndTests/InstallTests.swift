import Core
import Foundation
import TestSupport
import Testing

/// `lavavisor install`: the real CLI on a real store, from a folder of stand-ins or a loopback release host.
@Suite struct InstallTests {
    /// The flags of the `github` source on `host`.
    func github(_ host: FakeReleaseHost, listing: Bool = true) -> [String] {
        [
            "--source", "github", "--release-url", host.releaseURL, "--releases-api", listing ? host.releasesAPI : "", "--platform",
            "linux/amd64",
        ]
    }

    @Test func installsAheadWithoutTouchingCurrentAndOnlyOnce() async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: ["1.2.0"], current: "1.2.0")
        let first = try await versions.run("install", ["1.3.0"] + versions.local)
        #expect(first.exit == .exited(0), "\(first.logs)")
        #expect(first.output == "1.3.0 installed: \(versions.store.binary(for: v("1.3.0")).path)\n")
        #expect(versions.store.installedVersions() == [v("1.2.0"), v("1.3.0")])
        #expect(versions.store.currentVersion() == v("1.2.0"))
        #expect(
            try Data(contentsOf: versions.store.binary(for: v("1.3.0")))
                == Data(contentsOf: versions.setup.bin.appendingPathComponent("v1.3.0/lavap")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: versions.store.staging.path).isEmpty)

        let again = try await versions.run("install", ["v1.3.0"] + versions.local)
        #expect(again.exit == .exited(0))
        #expect(again.output.contains("1.3.0 is already installed"))
        #expect(!again.logs.contains("fetching"))
    }

    @Test func aVersionTheFolderDoesNotHaveIsAClearErrorAndLeavesNothingBehind() async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: ["1.2.0"], current: "1.2.0")
        let before = versions.snapshot()
        let missing = try await versions.run("install", ["9.9.9"] + versions.local)
        #expect(missing.exit == .exited(1))
        #expect(missing.logs.contains("cannot install 9.9.9 from --source local: \(versions.setup.bin.path) has no lavap for 9.9.9"))
        #expect(versions.store.installedVersions() == [v("1.2.0")])
        #expect(try FileManager.default.contentsOfDirectory(atPath: versions.store.staging.path).isEmpty)
        #expect(Set(versions.snapshot().keys.filter { $0.hasPrefix("upgrades") }) == Set(before.keys.filter { $0.hasPrefix("upgrades") }))
    }

    @Test func aVersionTheReleaseHostDoesNotHaveIsAClearErrorAndLeavesNothingBehind() async throws {
        let versions = try VersionStore(binaries: [])
        try versions.prepare(installed: [], current: nil)
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.2.0")
        let missing = try await versions.run("install", ["1.4.0"] + github(host))
        #expect(missing.exit == .exited(1))
        #expect(missing.logs.contains("cannot install 1.4.0 from --source github"), "\(missing.logs)")
        #expect(missing.logs.contains("\(host.releaseURL)/v1.4.0/"), "names where it looked: \(missing.logs)")
        #expect(versions.store.installedVersions().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: versions.store.upgrades.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: versions.store.staging.path).isEmpty)

        let present = try await versions.run("install", ["1.2.0"] + github(host))
        #expect(present.exit == .exited(0), "\(present.logs)")
        #expect(host.requests("/download/v1.2.0/lavap-v1.2.0-linux-amd64").count == 1)
        #expect(versions.store.currentVersion() == nil, "install never links current")
        await host.stop()
    }

    @Test func latestNeedsASourceThatListsItsVersions() async throws {
        let versions = try VersionStore(binaries: ["1.0.0", "1.3.0", "1.2.0"])
        try versions.prepare(installed: [], current: nil)
        let local = try await versions.run("install", ["latest"] + versions.local)
        #expect(local.exit == .exited(0), "\(local.logs)")
        #expect(local.logs.contains("the latest version --source local has is 1.3.0"))
        #expect(versions.store.installedVersions() == [v("1.3.0")])

        let host = try await FakeReleaseHost()
        for version in ["1.3.0", "1.4.0"] { host.publishStandIn(version) }
        let listed = try await versions.run("install", ["latest"] + github(host))
        #expect(listed.exit == .exited(0), "\(listed.logs)")
        #expect(versions.store.installedVersions() == [v("1.3.0"), v("1.4.0")])

        let unlisted = try await versions.run("install", ["latest"] + github(host, listing: false))
        #expect(unlisted.exit == .exited(1))
        #expect(unlisted.logs.contains("cannot tell which version is the latest: no release listing"), "\(unlisted.logs)")
        #expect(unlisted.logs.contains("give --releases-api URL to list versions"))
        await host.stop()
    }

    @Test(arguments: [
        (["install", "notaversion"], "'notaversion' is not a version: expected X.Y.Z"),
        (["install", "1.2"], "give the version to install as X.Y.Z, or latest"),
        (["prune", "--keep", "-1"], "--keep must be 0 or more"),
        (["wrap", "--keep", "2", "--cmd", "lavap x"], "--keep applies to --auto-prune here; add --auto-prune"),
    ])
    func badInputIsAClearErrorAndChangesNothing(_ arguments: [String], _ message: String) async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: ["1.0.0", "1.1.0", "1.2.0"], current: "1.2.0")
        let before = versions.snapshot()
        let source = arguments[0] == "prune" ? [] : versions.local
        let finished = try await CLI.run(arguments + ["--directory", versions.home] + source, in: versions.temp)
        #expect(finished.exit != .exited(0))
        #expect((finished.logs + finished.output).contains(message), "\(finished.logs)")
        #expect(versions.snapshot() == before)
    }

    @Test(arguments: [["install", "1.2.0"], ["versions"], ["prune"], ["prune", "--dry-run"]])
    func aStoreThatWasNeverInitialisedIsNamedAndLeftAlone(_ arguments: [String]) async throws {
        let versions = try VersionStore()
        let local = arguments[0] == "install" ? versions.local : []
        let finished = try await versions.run(arguments[0], Array(arguments.dropFirst()) + local)
        #expect(finished.exit == .exited(1))
        #expect(
            finished.logs.contains(
                "there is no lavavisor store at \(versions.store.root.path); give the --directory that holds .lavavisor, or run 'lavavisor init --directory \(versions.home)' first"
            ), "\(finished.logs)")
        #expect(!FileManager.default.fileExists(atPath: versions.store.root.path))
    }

    @Test func aStoreThatCannotBeWrittenIsNamedAndLeftAlone() async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: ["1.0.0", "1.1.0", "1.2.0"], current: "1.2.0")
        let before = versions.snapshot()
        for command in [["prune", "--keep", "0"], ["install", "1.3.0"] + versions.local] {
            let finished = try await versions.runAsNobody(command + ["--directory", versions.home])
            #expect(finished.exit == .exited(1))
            #expect(
                finished.logs.contains(
                    "cannot write to \(versions.store.root.path) (Permission denied); run lavavisor as the user that owns \(versions.store.root.path), or fix its permissions"
                ), "\(finished.logs)")
        }
        #expect(versions.snapshot() == before)
        // Reading needs no write access.
        let listed = try await versions.runAsNobody(["versions", "--directory", versions.home])
        #expect(listed.exit == .exited(0), "\(listed.logs)")
        #expect(listed.output.contains("1.2.0"))
    }

    @Test(arguments: [
        (
            "install", ["--source", "--release-url", "--binaries-dir", "--connect-timeout", "--request-retries"],
            ["--chain-id", "--node", "--cmd", "--keep"]
        ),
        ("versions", ["--node", "--versions-file", "--role", "--json", "--chain-id"], ["--source", "--cmd", "--keep", "--dry-run"]),
        ("prune", ["--keep", "--dry-run", "--directory"], ["--source", "--node", "--cmd", "--json"]),
        ("wrap", ["--auto-prune", "--keep"], ["--dry-run"]),
    ])
    func eachCommandShowsOnlyTheFlagsItUses(_ command: String, _ shown: [String], _ hidden: [String]) async throws {
        let temp = try TemporaryDirectory()
        let help = try await CLI.run([command, "--help"], in: temp)
        for flag in shown { #expect(help.output.contains(flag), "\(command) --help lacks \(flag)") }
        for flag in hidden { #expect(!help.output.contains(flag + " "), "\(command) --help shows \(flag)") }
        let positionals = command == "install" ? ["1.0.0"] : []
        let refused = try await CLI.run([command] + positionals + [hidden[0], "x"], in: temp)
        #expect(refused.exit != .exited(0))
        #expect((refused.logs + refused.output).contains("Unknown option '\(hidden[0])'"), "\(refused.logs)")
    }
}
