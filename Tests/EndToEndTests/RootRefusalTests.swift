import Core
import Foundation
import TestSupport
import Testing

/// As root: the stand-in binaries and units are handed to `nobody`, and lavavisor refuses them.
@Suite(.enabled(if: OtherUser.testsRunAsRoot, "the ownership checks apply to root only; run the tests as root"))
struct RootRefusalTests {
    @Test func wrapRefusesABinaryAnotherUserOwnsAndRunsNothing() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        let install = try await CLI.run(["init"] + setup.flags + ["--auto-download"], in: setup.temp)
        #expect(install.exit == .exited(0), "\(install.logs)")
        let binary = setup.store.binary(for: v("1.0.0"))
        try OtherUser.give(binary)
        let finished = try await CLI.run(setup.wrap(), in: setup.temp)
        #expect(finished.exit == .exited(1), "\(finished.logs)")
        #expect(
            finished.logs.contains(
                "lavavisor runs as root and refuses the binary \(binary.path): it belongs to \(OtherUser.described), not root, who could change what root runs; run 'chown root: \(binary.path)'"
            ), "\(finished.logs)")
        #expect(setup.recorded.isEmpty, "the binary ran: \(setup.recorded)")
    }

    @Test func aSettingsFileAnotherUserOwnsIsRefusedBeforeAnythingRuns() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        try setup.store.prepare()
        let hook = setup.temp.path("hook.sh")
        try setup.temp.write("#!/bin/sh\ntouch \"$0.ran\"\n", to: "hook.sh")
        try OtherUser.chmod(hook, 0o755)
        let settings = setup.store.root.appendingPathComponent("settings.yml")
        try setup.temp.write("pre-switch-hook: \(hook.path)\n", to: "home/.lavavisor/settings.yml")
        try OtherUser.give(settings)
        let finished = try await CLI.run(setup.wrap(), in: setup.temp)
        #expect(finished.exit == .exited(64), "\(finished.logs)")
        #expect(
            finished.logs.contains(
                "lavavisor runs as root and refuses the settings file \(settings.path): it belongs to \(OtherUser.described)"),
            "\(finished.logs)")
        #expect(setup.recorded.isEmpty, "lavap ran: \(setup.recorded)")
    }

    @Test func wrapRefusesAStoreOthersMayWrite() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        try setup.store.prepare()
        try OtherUser.chmod(setup.store.upgrades, 0o777)
        let finished = try await CLI.run(setup.wrap(), in: setup.temp)
        #expect(finished.exit == .exited(1), "\(finished.logs)")
        #expect(
            finished.logs.contains(
                "lavavisor runs as root and refuses the store \(setup.store.upgrades.path): it may be written by its group or others (mode 777); run 'chmod go-w \(setup.store.upgrades.path)'"
            ), "\(finished.logs)")
        #expect(setup.recorded.isEmpty)
    }

    @Test func startRefusesAUnitAnotherUserOwnsBeforeAnySystemctlCall() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        let systemctl = try StandInSystemctl(in: setup.temp)
        let created = try await CLI.run(
            [
                "create-service", "provider", Repository.fixture("lava-configs/provider/lava_example.yml").path, "--from", "alice",
                "--systemctl", systemctl.url.path,
            ] + setup.flags.prefix(2), in: setup.temp)
        #expect(created.exit == .exited(0), "\(created.logs)")
        let unit = setup.store.root.appendingPathComponent("services/alice-LAV1.service")
        try OtherUser.give(unit)
        let finished = try await CLI.run(
            ["start"] + setup.flags + ["--auto-download", "--systemctl", systemctl.url.path], in: setup.temp)
        #expect(finished.exit == .exited(1), "\(finished.logs)")
        #expect(
            finished.logs.contains("lavavisor runs as root and refuses the unit \(unit.path): it belongs to \(OtherUser.described)"),
            "\(finished.logs)")
        #expect(!systemctl.calls.contains(["daemon-reload"]), "\(systemctl.calls)")
    }
}
