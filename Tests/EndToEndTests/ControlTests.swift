import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `lavavisor ctl` against real wrappers: the built binary on both ends of the control socket.
@Suite struct ControlTests {
    /// Runs `lavavisor ctl words… --directory <the setup's>` to its end.
    func ctl(_ setup: Quickstart, _ words: String...) async throws -> CLI.Finished {
        try await CLI.run(["ctl"] + words + ["--directory", setup.temp.path("home").path], in: setup.temp)
    }

    /// The JSON answer of `ctl status --json`.
    func status(_ setup: Quickstart, _ extra: String...) async throws -> WrapperStatus {
        let finished = try await CLI.run(
            ["ctl", "status", "--json", "--directory", setup.temp.path("home").path] + extra, in: setup.temp)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let answer = try decoder.decode(ControlAnswer.self, from: Data(finished.output.utf8))
        guard let status = answer.status else { throw TestFailure("no status in \(finished.output) \(finished.logs)") }
        return status
    }

    @Test func pausePinRestartAndStatusOfARunningWrapper() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: ["1.0.0", "1.1.0"])
        let lavavisor = try CLI.launch(setup.wrap(), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        var state = try await status(setup)
        #expect(state.pid == lavavisor.process.pid)
        #expect(state.command == "wrap: lavap rpcprovider provider.yml --from alice")
        #expect(state.running == "1.0.0" && !state.paused && state.pin == nil)

        // Paused: the chain's new target is only logged, and status shows the pause.
        let paused = try await ctl(setup, "pause")
        #expect(paused.exit == .exited(0) && paused.output.contains("paused: lavap 1.0.0 is not moved"), "\(paused.logs)")
        try setup.require(target: "1.1.0", minimum: "1.0.0")
        try await lavavisor.waitForLog("paused: would fetch 1.1.0, switch current to it and restart lavap")
        // The log line comes before the check ends: the status says it once that check ended.
        try await waitUntil("the held fetch as the last check") {
            state = try await status(setup)
            return state.lastCheck?.hasPrefix("paused: would fetch 1.1.0") == true
        }
        #expect(state.paused && state.running == "1.0.0")
        let report = try await CLI.run(["status"] + setup.flags, in: setup.temp)
        #expect(report.output.contains("wrapper: lavavisor \(lavavisor.process.pid) (wrap: lavap rpcprovider"), "\(report.output)")
        #expect(report.output.contains("runs 1.0.0, paused"))
        let json = try await CLI.run(["status", "--json"] + setup.flags, in: setup.temp)
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        let wrappers = object?["wrappers"] as? [[String: Any]]
        #expect(wrappers?.count == 1 && wrappers?.first?["paused"] as? Bool == true && wrappers?.first?["pin"] is NSNull)
        #expect(setup.starts("1.1.0") == 0)

        // Resumed: the held upgrade happens at once.
        #expect(try await ctl(setup, "resume").output.contains("resumed: checking now"))
        try await setup.waitForEvent("start", "1.1.0")

        // Pinned back to 1.0.0 (at the chain's minimum); a pin below the minimum is refused.
        let pinned = try await ctl(setup, "use", "1.0.0")
        #expect(pinned.exit == .exited(0), "\(pinned.logs)")
        #expect(pinned.output.contains("pinned to 1.0.0 (the chain's target is 1.1.0, minimum 1.0.0); restarted lavap: lavap runs 1.0.0"))
        #expect(setup.starts("1.0.0") == 2)
        let below = try await ctl(setup, "use", "0.9.0")
        #expect(below.exit == .exited(1))
        #expect(below.logs.contains("refusing to pin 0.9.0: it is below the chain's minimum 1.0.0 for the provider role"))
        state = try await status(setup)
        #expect(state.pin == "1.0.0" && state.running == "1.0.0" && state.target == "1.1.0")

        // The chain's minimum rises above the pin: the pin is released and lavap follows the chain.
        try setup.require("1.1.0")
        try await lavavisor.waitForLog("rose above the pinned 1.0.0: the pin is released")
        try await waitUntil("lavap 1.1.0 started again, events: \(setup.recorded)") { setup.starts("1.1.0") == 2 }
        #expect(try await status(setup).pin == nil)
        #expect(try await ctl(setup, "use", "--release").output.contains("no version was pinned; nothing changed"))

        // A graceful restart, now.
        let restarted = try await ctl(setup, "restart")
        #expect(restarted.output.contains("restarted lavap 1.1.0: lavap runs 1.1.0"), "\(restarted.output) \(restarted.logs)")
        #expect(setup.starts("1.1.0") == 3)
        // Four graceful stops: the upgrade, the pin, the pin's release, the restart.
        #expect(setup.recorded.filter { $0.first == "sigterm" }.count == 4)

        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        #expect(setup.store.controlSockets().isEmpty)
    }

    @Test func aPauseHoldsEvenASwitchTheChainsMinimumForcesAndWarnsOnEveryCheck() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: ["1.0.0", "1.1.0"])
        let lavavisor = try CLI.launch(setup.wrap(), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        #expect(try await ctl(setup, "pause").exit == .exited(0))
        #expect(try await ctl(setup, "pause").output.contains("already paused since"))
        try setup.require("1.1.0")
        let warning =
            "WRN [Lavavisor] paused: would fetch 1.1.0, switch current to it and restart lavap, but lavap 1.0.0 is below the chain's minimum 1.1.0 and loses relays"
        try await lavavisor.waitForLog(warning)
        // Every check warns again (a poll every 0.2 s).
        try await waitUntil("a second warning") { lavavisor.logs.components(separatedBy: warning).count > 2 }
        #expect(setup.starts("1.1.0") == 0)
        #expect(try await ctl(setup, "resume").exit == .exited(0))
        try await setup.waitForEvent("start", "1.1.0")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func aPodAnswersTooAndRemovesItsSocketOnExit() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: ["1.0.0"])
        let pod = try CLI.launch(
            ["pod"] + setup.flags + ["--poll-interval", "0.2", "--cmd", "lavap rpcprovider provider.yml --from alice"], in: setup.temp)
        let first = try await setup.waitForEvent("start", "1.0.0")
        #expect(try await status(setup).command == "pod: lavap rpcprovider provider.yml --from alice")
        let restarted = try await ctl(setup, "restart")
        #expect(restarted.output.contains("restarted lavap 1.0.0: lavap runs 1.0.0"), "\(restarted.output) \(restarted.logs)")
        try await setup.waitForEvent("sigterm", "1.0.0", first[2])
        #expect(setup.starts("1.0.0") == 2)
        pod.process.signal(SIGTERM)
        #expect(try await pod.exit() == .exited(0))
        #expect(setup.store.controlSockets().isEmpty)
        #expect(!pod.logs.contains("control socket"), "\(pod.logs)")
    }

    @Test func unmarkClearsABadVersionMarkAndSaysWhetherThereWasOne() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: ["1.0.0"])
        let lavavisor = try CLI.launch(setup.wrap(), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        let mark = StoreState.BadVersion(
            version: v("1.1.0"), target: v("1.1.0"), rolledBackTo: v("1.0.0"), reason: "ended 3 times", markedAt: Date())
        try await setup.store.updateState(logger: CapturedLogs().logger()) { $0.marking(mark) }
        let cleared = try await ctl(setup, "unmark", "1.1.0")
        #expect(cleared.exit == .exited(0))
        #expect(cleared.output.contains("cleared the bad-version mark of 1.1.0"), "\(cleared.output) \(cleared.logs)")
        #expect(try setup.store.readState().bad.isEmpty)
        #expect(try await ctl(setup, "unmark", "1.1.0").output.contains("1.1.0 was not marked bad; nothing changed"))
        let nonsense = try await ctl(setup, "unmark", "latest")
        #expect(nonsense.exit == .exited(1) && nonsense.logs.contains("'latest' is not a version"))
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func withSeveralWrappersCtlNeedsAPidAndASocketLeftByAKilledOneIsRemoved() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: ["1.0.0"])
        let first = try CLI.launch(setup.wrap(command: "lavap rpcprovider one.yml"), in: setup.temp)
        let second = try CLI.launch(setup.wrap(command: "lavap rpcconsumer two.yml"), in: setup.temp)
        try await waitUntil("two lavap running, events: \(setup.recorded)") { setup.starts("1.0.0") == 2 }
        try await waitUntil("two control sockets") { setup.store.controlSockets().count == 2 }
        let ambiguous = try await ctl(setup, "status")
        #expect(ambiguous.exit == .exited(1))
        #expect(ambiguous.logs.contains("2 lavavisors run on \(setup.store.root.path); choose one with --pid"), "\(ambiguous.logs)")
        #expect(ambiguous.logs.contains("pid \(first.process.pid) (wrap: lavap rpcprovider one.yml)"))
        #expect(ambiguous.logs.contains("pid \(second.process.pid) (wrap: lavap rpcconsumer two.yml)"))
        #expect(try await status(setup, "--pid", "\(second.process.pid)").command == "wrap: lavap rpcconsumer two.yml")

        // SIGKILL leaves the socket behind; ctl removes it and talks to the one left.
        let orphan = setup.recorded.first { $0.prefix(2) == ["start", "1.0.0"] && $0.last == "rpcprovider one.yml" }
        first.process.signal(SIGKILL)
        _ = try await first.exit()
        if let pid = orphan.flatMap({ Int32($0[2]) }) { kill(-pid, SIGKILL) }  // its lavap outlives it, as meant
        #expect(FileManager.default.fileExists(atPath: setup.store.controlSocket(of: first.process.pid).path))
        let left = try await ctl(setup, "status")
        #expect(left.exit == .exited(0), "\(left.logs)")
        #expect(left.logs.contains("removed \(setup.store.controlSocket(of: first.process.pid).path)"))
        #expect(left.output.contains("lavavisor \(second.process.pid) (wrap: lavap rpcconsumer two.yml)"))
        second.process.signal(SIGTERM)
        #expect(try await second.exit() == .exited(0))

        let none = try await ctl(setup, "pause")
        #expect(none.exit == .exited(1))
        #expect(none.logs.contains("no lavavisor wrap, pod or start is running on \(setup.store.root.path)"))
    }

    @Test(.enabled(if: OtherUser.testsRunAsRoot)) func anotherUserIsRefusedEvenWhenTheSocketLetsItConnect() async throws {
        let setup = try Quickstart(versions: "1.0.0", binaries: ["1.0.0"])
        let lavavisor = try CLI.launch(setup.wrap(), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        let socket = setup.store.controlSocket(of: lavavisor.process.pid)
        try await waitUntil("the control socket") { FileManager.default.fileExists(atPath: socket.path) }
        #expect(try OtherUser.mode(of: socket) == 0o600)
        try OtherUser.chmod(socket, 0o666)  // what an operator's mistake might do: the uid check still refuses
        let refused = try await CLI.runAsNobody(in: setup.temp, ["ctl", "pause", "--directory", setup.temp.path("home").path])
        #expect(refused.exit == .exited(1))
        #expect(refused.logs.contains("only the user lavavisor runs as, or root, may control it"), "\(refused.logs)")
        #expect(try await status(setup).paused == false)
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }
}
