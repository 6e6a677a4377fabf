import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `lavavisor start` with a stand-in systemctl: the services of config.yml are enabled and
/// restarted, one at a time on each upgrade; a failing systemctl is reported and retried. One test
/// at a time: each runs a lavavisor that polls every 0.2 s, beside load-sensitive tests.
@Suite(.serialized) struct StartTests {
    let setup: Quickstart
    let systemctl: StandInSystemctl
    let services = ["a.service", "b.service", "c.service"]

    init() throws {
        setup = try Quickstart(binaries: ["1.0.0", "1.1.0", "1.2.0"])
        systemctl = try StandInSystemctl(in: setup.temp)
        try setup.store.prepare()
        try setup.store.writeConfig(StoreConfig(services: services))
    }

    func start(_ extra: [String] = []) throws -> CLI.Running {
        try CLI.launch(
            ["start"] + setup.flags + ["--auto-download", "--poll-interval", "0.2", "--systemctl", systemctl.url.path] + extra,
            in: setup.temp)
    }

    /// The calls from the `index`-th `daemon-reload` on, up to the next one.
    func round(_ index: Int) -> [[String]] {
        let calls = systemctl.calls
        let reloads = calls.indices.filter { calls[$0] == ["daemon-reload"] }
        guard index < reloads.count else { return [] }
        let end = index + 1 < reloads.count ? reloads[index + 1] : calls.endIndex
        return Array(calls[reloads[index]..<end])
    }

    /// Each service's restart is followed by `is-active` questions until it is active, before the next restart.
    func expectRolling(_ calls: [[String]], sourceLocation: SourceLocation = #_sourceLocation) {
        let restarts = calls.filter { $0.first == "restart" }.compactMap(\.last)
        #expect(restarts == services, "\(calls)", sourceLocation: sourceLocation)
        for (index, service) in services.enumerated() {
            guard let restart = calls.firstIndex(of: ["restart", "--", service]) else { continue }
            let next =
                index + 1 < services.count
                ? calls.firstIndex(of: ["restart", "--", services[index + 1]]) ?? calls.endIndex : calls.endIndex
            // The stand-in says `activating` once after a restart: the backend asked again before going on.
            #expect(
                calls[restart..<next].filter { $0 == ["is-active", "--", service] }.count == 2, "\(calls)", sourceLocation: sourceLocation)
        }
    }

    @Test func startsEveryServiceThenRestartsThemOneByOneOnEachUpgrade() async throws {
        let lavavisor = try start()
        try await waitUntil("the first round of restarts in \(systemctl.calls)") {
            round(0).filter { $0 == ["is-active", "--", "c.service"] }.count == 2
        }
        let first = round(0)
        #expect(
            first.prefix(4) == [
                ["daemon-reload"], ["enable", "--", "a.service"], ["enable", "--", "b.service"], ["enable", "--", "c.service"],
            ])
        expectRolling(Array(first.dropFirst(4)))
        #expect(setup.store.currentVersion() == v("1.0.0"))

        try setup.require("1.1.0")
        try await waitUntil("a second round in \(systemctl.calls)") {
            round(1).filter { $0 == ["is-active", "--", "c.service"] }.count == 2
        }
        #expect(setup.store.currentVersion() == v("1.1.0"))
        expectRolling(Array(round(1).dropFirst()))
        try await lavavisor.waitForLog("every service restarted on 1.1.0")

        // The backend declares what it cannot do: no signal is passed on, no upgrade judged.
        lavavisor.process.signal(SIGHUP)
        try await lavavisor.waitForLog("signal 1 is not forwarded: the systemd backend's processes are not lavavisor's children")
        #expect(lavavisor.logs.contains("the systemd backend does not judge upgrades"))
        // SIGTERM ends lavavisor only: systemd keeps the services, nothing is stopped.
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
        #expect(lavavisor.logs.contains("the services keep running under systemd"))
        #expect(!systemctl.calls.contains { $0.first == "stop" || $0.first == "kill" })
        #expect(lavavisor.logs.contains("switched current to 1.1.0"))
    }

    @Test func aFailingSystemctlIsReportedWithItsOutputAndRetriedOnTheNextCheck() async throws {
        try systemctl.fail("daemon-reload", message: "Failed to reload daemon: Access denied")
        let lavavisor = try start()
        try await lavavisor.waitForLog("Failed to reload daemon: Access denied")
        #expect(lavavisor.logs.contains("cannot start the services; current links to 1.0.0 but they may run another version or none"))
        try systemctl.succeed("daemon-reload")
        try await waitUntil("the services started in \(systemctl.calls)") { systemctl.calls.contains(["is-active", "--", "c.service"]) }
        try await lavavisor.waitForLog("every service restarted on 1.0.0")

        // An upgrade whose second restart fails: said plainly, which service runs what, and tried again.
        try systemctl.fail("restart", unit: "b.service", message: "Job for b.service failed because the control process exited")
        try setup.require("1.2.0")
        // The error is in the line's metadata, whose quotes are escaped: matched without them.
        try await lavavisor.waitForLog(
            "ended with exit status 1: Job for b.service failed because the control process exited; a.service run 1.2.0; c.service were not restarted and still run 1.0.0"
        )
        #expect(lavavisor.logs.contains("restarting b.service on 1.2.0 failed: "))
        #expect(lavavisor.logs.contains("\(systemctl.url.path) restart -- b.service"))
        #expect(lavavisor.logs.contains("current links to 1.2.0 but not every service runs it; trying again on the next check"))
        let failedRestarts = systemctl.calls.filter { $0 == ["restart", "--", "b.service"] }.count
        try await waitUntil("another try in \(systemctl.calls)") {
            systemctl.calls.filter { $0 == ["restart", "--", "b.service"] }.count > failedRestarts
        }
        try systemctl.succeed("restart", unit: "b.service")
        try await lavavisor.waitForLog("every service restarted on 1.2.0")
        #expect(setup.store.currentVersion() == v("1.2.0"))
        lavavisor.process.signal(SIGINT)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func aServiceThatFailsAfterItsRestartStopsTheRollBeforeTheNext() async throws {
        let lavavisor = try start(["--service-start-timeout", "5"])
        try await lavavisor.waitForLog("every service restarted on 1.0.0")
        try systemctl.setStateAfterRestart("failed", of: "a.service")
        try setup.require("1.1.0")
        try await lavavisor.waitForLog("failed', not active, within 5 s of the restart; see journalctl -u a.service")
        #expect(lavavisor.logs.contains("b.service, c.service were not restarted and still run 1.0.0"))
        // b and c were restarted once, when lavavisor started, never while a was down.
        #expect(systemctl.calls.filter { $0 == ["restart", "--", "b.service"] }.count == 1)
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func startWithoutServicesSaysWhatToDo() async throws {
        try setup.store.writeConfig(StoreConfig())
        let finished = try await CLI.run(["start"] + setup.flags + ["--systemctl", systemctl.url.path], in: setup.temp)
        #expect(finished.exit == .exited(1))
        #expect(
            finished.logs.contains(
                "start starts the services of \(setup.store.configFile.path), which lists none; create them with 'lavavisor create-service provider|consumer CONFIG …' first"
            ))
        #expect(systemctl.calls.isEmpty)
        // The services take their password from create-service: start and init --auto-start refuse one.
        let refusal =
            "starts the services of create-service, which take their keyring password from 'lavavisor create-service … --keyring-password-file PATH', not from this command"
        let password = try setup.temp.write("pw\n", to: "password")
        for (words, who) in [(["start"], "start"), (["init", "--auto-download", "--auto-start"], "init --auto-start without --cmd")] {
            let refused = try await CLI.run(
                words + setup.flags + ["--systemctl", systemctl.url.path, "--keyring-password-file", password.path], in: setup.temp)
            #expect(refused.exit == .exited(1))
            #expect(refused.logs.contains("\(who) \(refusal)"), "\(refused.logs)")
        }
        #expect(systemctl.calls.isEmpty)
    }

    @Test func initAutoStartWithServicesGoesOnAsStart() async throws {
        let lavavisor = try CLI.launch(
            ["init", "--auto-download", "--auto-start", "--poll-interval", "0.2", "--systemctl", systemctl.url.path, "--user"]
                + setup.flags,
            in: setup.temp)
        try await lavavisor.waitForLog("every service restarted on 1.0.0")
        // --user: every call goes to the user's manager.
        #expect(systemctl.calls.first == ["--user", "daemon-reload"])
        #expect(systemctl.calls.allSatisfy { $0.first == "--user" })
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func statusShowsEachServicesStates() async throws {
        try systemctl.setState("active", of: "a.service")
        try systemctl.setState("failed", of: "b.service")
        try systemctl.fail("show", unit: "c.service", message: "Failed to connect to bus: No such file or directory")
        let text = try await CLI.run(["status"] + setup.flags + ["--systemctl", systemctl.url.path], in: setup.temp)
        #expect(text.exit == .exited(0), "\(text.logs)")
        let lines = text.output.split(separator: "\n").filter { $0.hasPrefix("service: ") }
        #expect(
            lines == [
                "service: a.service: active (running), loaded", "service: b.service: failed (running), loaded",
                "service: c.service: unknown ('\(systemctl.url.path) show --property=LoadState,ActiveState,SubState -- c.service' ended with exit status 1: Failed to connect to bus: No such file or directory)",
            ])
        let json = try await CLI.run(["status", "--json"] + setup.flags + ["--systemctl", systemctl.url.path], in: setup.temp)
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
        let services = object?["services"] as? [[String: Any]]
        #expect(services?.map { $0["name"] as? String } == ["a.service", "b.service", "c.service"])
        #expect(services?.first?["active"] as? String == "active")
        // Every key is there, null when unknown: a script reads "error" of a service that answered too.
        #expect(services?.allSatisfy { Set($0.keys) == ["name", "load", "active", "sub", "error"] } == true)
        #expect(services?.first?["error"] is NSNull)
    }
}
