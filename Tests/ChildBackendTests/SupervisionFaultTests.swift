import ChildBackend
import Core
import Foundation
import Supervision
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The orders of events nobody planned: a refused second supervisor, a password nobody reads, a
/// stopped child, a version that cannot be started, a previous version that was failing too.
@Suite struct SupervisionFaultTests {
    let fixture: StoreFixture
    var store: Store { fixture.store }
    var logs: CapturedLogs { fixture.logs }

    init() throws { fixture = try StoreFixture() }

    func child(
        password: Secret? = nil, passwordTimeout: Duration = .seconds(30), stopTimeout: Duration = .seconds(10),
        restart: RestartPolicy = .never, probation: Int = ProcessSettings.defaultUpgradeProbation
    ) -> ChildBackend {
        var configuration = SupervisedChild.Configuration(
            arguments: ["rpcprovider", "p.yml"], store: store,
            settings: ProcessSettings(stopTimeout: stopTimeout, keyringPassword: password, restart: restart, upgradeProbation: probation))
        configuration.passwordTimeout = passwordTimeout
        return ChildBackend(configuration, logger: logs.logger())
    }

    /// Rolls every failed upgrade of `backend` back to the version before it (switching `current`
    /// back, as the monitor does), and keeps what it was told.
    func rollingBack(_ backend: ChildBackend) async -> FailedUpgrades {
        let failures = FailedUpgrades()
        let store = store
        await backend.supervised.report { event in
            guard case .upgradeFailed(let failure) = event else { return nil }
            failures.record(failure)
            try? store.switchCurrent(to: failure.previous)
            return failure.previous
        }
        return failures
    }

    /// Keeps the failed upgrades `backend` reports, answering none of them (no rollback).
    func noting(_ backend: ChildBackend) async -> FailedUpgrades {
        let failures = FailedUpgrades()
        await backend.supervised.report { event in
            if case .upgradeFailed(let failure) = event { failures.record(failure) }
            return nil
        }
        return failures
    }

    @Test func aRefusedSecondSupervisorLeavesTheFirstOnesRecord() async throws {
        try fixture.install("1.0.0")
        try store.switchCurrent(to: v("1.0.0"))
        let first = child()
        try await first.supervised.start()
        let started = try await fixture.waitForEvent("start", "1.0.0")
        #expect(store.runningChildren().map { "\($0.pid)" } == [started[2]])

        let second = child()
        await expectError(containing: "already supervises 'lavap rpcprovider p.yml'") { try await second.supervised.start() }
        await second.supervised.stop()  // what the CLI does with a backend whose start failed
        #expect(await second.supervised.waitForExit() == .exited(0))
        // The record is the first supervisor's: a lavavisor started after it is killed finds its lavap by it.
        #expect(store.runningChildren().map { "\($0.pid)" } == [started[2]], "\(logs.text)")

        await first.supervised.stop()
        #expect(await first.supervised.waitForExit() == .exited(0))
        #expect(store.runningChildren().isEmpty)
    }

    @Test func eachChildCarriesTheMarkOfItsStoreAndCommand() async throws {
        try fixture.install("1.0.0")
        try store.switchCurrent(to: v("1.0.0"))
        let backend = child()
        try await backend.supervised.start()
        let started = try await fixture.waitForEvent("start", "1.0.0")
        let files = ChildRecordFile(store: store, arguments: ["rpcprovider", "p.yml"])
        #expect(files.markedProcesses().isEmpty, "this process's own child is not a leftover")
        let environment = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(started[2])/environ"))
        #expect(environment.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "LAVAVISOR_SUPERVISED=\(files.mark)" })
        #expect(ChildRecordFile(store: store, arguments: ["rpcconsumer", "p.yml"]).mark != files.mark)
        #expect(
            ChildRecordFile(store: Store(directory: fixture.temp.path("other")), arguments: ["rpcprovider", "p.yml"]).mark != files.mark)
        await backend.supervised.stop()
        _ = await backend.supervised.waitForExit()
    }

    @Test func aPasswordTheChildDoesNotReadNeverBlocksTheSupervisor() async throws {
        try fixture.install("1.0.0")  // serves without reading its stdin
        try store.switchCurrent(to: v("1.0.0"))
        // Sixteen times a pipe's buffer: the hand-off cannot finish before the child reads.
        let password = String(repeating: "p", count: 1 << 20)
        let backend = child(password: Secret(password), passwordTimeout: .milliseconds(400))
        let returned = Mutex(false)
        Task {
            try await backend.supervised.start()
            returned.withLock { $0 = true }
        }
        try await waitUntil("start() returned while the password waits in the pipe") { returned.withLock { $0 } }
        try await fixture.waitForEvent("start", "1.0.0")
        try await waitUntil("the hand-off gives up, logs: \(logs.text.suffix(2000))") {
            logs.text.contains("lavap did not read the keyring password from its stdin within 0.4 s")
        }
        await backend.supervised.stop()
        #expect(await backend.supervised.waitForExit() == .exited(0))
        #expect(!logs.text.contains("pppp"))
    }

    @Test func aStoppedChildIsContinuedSoItStopsGracefully() async throws {
        try fixture.install("1.0.0")
        try store.switchCurrent(to: v("1.0.0"))
        let backend = child(stopTimeout: .seconds(60))
        try await backend.supervised.start()
        let started = try await fixture.waitForEvent("start", "1.0.0")
        let pid = try #require(pid_t(started[2]))
        #expect(kill(-pid, SIGSTOP) == 0)
        try await waitUntil("the child stopped") { processState(pid) == "T" }
        await backend.supervised.stop()
        // Without SIGCONT the SIGTERM waits for the stop timeout, and SIGKILL ends it.
        #expect(await backend.supervised.waitForExit() == .exited(0))
        try await fixture.waitForEvent("sigterm", "1.0.0", started[2])
        #expect(!logs.text.contains("sending SIGKILL"))
    }

    @Test func aVersionThatCannotBeStartedIsRolledBackToWhatRanBefore() async throws {
        try fixture.install("1.0.0")
        try fixture.install("1.1.0")
        try store.switchCurrent(to: v("1.0.0"))
        let backend = child()
        let failures = await rollingBack(backend)
        try await backend.supervised.start()
        let first = try await fixture.waitForEvent("start", "1.0.0")
        try store.switchCurrent(to: v("1.1.0"))
        // Installed and verified, then damaged on disk: the kernel refuses to run it (ENOEXEC).
        try Data([0x00, 0x01, 0x02, 0x03]).write(to: store.binary(for: v("1.1.0")))
        try await backend.supervised.restart()
        try await waitUntil("1.0.0 started again") { fixture.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count == 2 }
        #expect(fixture.recorded.first { $0.prefix(3) == ["sigterm", "1.0.0", first[2]] } != nil)
        #expect(failures.seen.map { "\($0.failed) \($0.previous)" } == ["1.1.0 1.0.0"])
        #expect(failures.seen.first?.reason.contains("cannot be started") == true)
        #expect(await backend.supervised.runningVersion == v("1.0.0"))
        #expect(store.currentVersion() == v("1.0.0"))
        await backend.supervised.stop()
        #expect(await backend.supervised.waitForExit() == .exited(0))
    }

    /// Found by the chaos soak (seed 7): one crash of the old version just before the switch took the
    /// new one off probation, and the new one then crash-looped for good, never rolled back.
    @Test func oneCrashOfTheOldVersionDoesNotExemptTheNewOneFromProbation() async throws {
        try fixture.install("1.0.0")
        try fixture.install("1.1.0", .exit(66))
        try store.switchCurrent(to: v("1.0.0"))
        let backend = child(restart: RestartPolicy(mode: .always, maxDelay: .milliseconds(200)), probation: 2)
        let failures = await rollingBack(backend)
        try await backend.supervised.start()
        let first = try await fixture.waitForEvent("start", "1.0.0")
        #expect(kill(-(try #require(pid_t(first[2]))), SIGKILL) == 0)  // one crash; restarted at once
        try await waitUntil("1.0.0 started again") { fixture.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count == 2 }
        try store.switchCurrent(to: v("1.1.0"))
        try await backend.supervised.restart()
        try await waitUntil("1.1.0 rolled back to 1.0.0, logs: \(logs.text.suffix(2000))") {
            fixture.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count == 3
        }
        #expect(failures.seen.map { "\($0.failed) \($0.previous)" } == ["1.1.0 1.0.0"])
        #expect(!logs.text.contains("is not on probation"))
        // The stand-in records its start before the backend has noted the spawn: wait for that.
        try await waitUntil("1.0.0 is the running child again") { await backend.supervised.runningVersion == v("1.0.0") }
        await backend.supervised.stop()
        #expect(await backend.supervised.waitForExit() == .exited(0))
    }

    /// Found by the chaos soak (seed 3): `current` dangled when lavap crashed, and the restart
    /// followed it, failed, and lavavisor exited 127 with nothing running.
    @Test(arguments: ["upgrades/v0.0.1", "/elsewhere/upgrades/v1.0.0"])
    func aCrashedChildIsStartedAgainOnWhatRanWhenCurrentCannotBeRun(link: String) async throws {
        try fixture.install("1.0.0")
        try store.switchCurrent(to: v("1.0.0"))
        let backend = child(restart: RestartPolicy(mode: .always, maxDelay: .milliseconds(200)))
        try await backend.supervised.start()
        let first = try await fixture.waitForEvent("start", "1.0.0")
        try store.breakCurrent(linkingTo: link)
        #expect(kill(-(try #require(pid_t(first[2]))), SIGKILL) == 0)
        try await waitUntil("1.0.0 started again, logs: \(logs.text.suffix(2000))") {
            fixture.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count == 2
        }
        // The stand-in may record its start before the backend has noted the version it spawned.
        try await waitUntil("the backend to know 1.0.0 runs again") { await backend.supervised.runningVersion == v("1.0.0") }
        #expect(logs.text.contains("current cannot be run; starting 1.0.0 again, which ran before"))
        #expect(!logs.text.contains("lavavisor exits"))
        await backend.supervised.stop()
        #expect(await backend.supervised.waitForExit() == .exited(0))
    }

    /// Found by the chaos soak (seed 7, 30 minutes): a new lavavisor stopping the lavap a killed
    /// one left found `current` broken when it was done, and exited 1 with nothing running. It
    /// starts what `current` linked to when it began.
    @Test func aCurrentBrokenWhileALeftoverIsStoppedStillStartsWhatItLinkedTo() async throws {
        try fixture.install("1.0.0", .ignoreTerm)
        try store.switchCurrent(to: v("1.0.0"))
        // The lavap of a killed lavavisor, recorded for this command, slow to stop (it ignores SIGTERM).
        let left = try await ChildProcess.spawnWhenReady(
            executable: store.binary(for: v("1.0.0")).path, arguments: ["rpcprovider", "p.yml"], stdin: .null, terminal: .background)
        _ = try await fixture.waitForEvent("start", "1.0.0", "\(left.pid)")
        try FileManager.default.createDirectory(at: store.run, withIntermediateDirectories: true)
        try ChildRecordFile(store: store, arguments: ["rpcprovider", "p.yml"]).write(
            ChildRecord(pid: left.pid, startTime: try #require(ChildRecord.startTime(of: left.pid)), version: "1.0.0", supervisor: 1))
        let backend = child(stopTimeout: .seconds(1))
        let starting = Task { try await backend.supervised.start() }
        _ = try await fixture.waitForEvent("ignored-sigterm", "1.0.0", "\(left.pid)")
        try store.breakCurrent(linkingTo: "upgrades/v0.0.1")
        try await starting.value
        #expect(await left.wait() == .signaled(SIGKILL))
        try await waitUntil("1.0.0 started again") { fixture.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count == 2 }
        #expect(logs.text.contains("current cannot be run; starting 1.0.0, which current linked to when lavavisor started"))
        await backend.supervised.kill()
        #expect(await backend.supervised.waitForExit() == .signaled(SIGKILL))
    }

    /// A crash loop that no probation judged is offered to the crash-loop handler once; the version
    /// it answers runs, and a second crash loop ends the run as before.
    @Test func aCrashLoopIsAnsweredOnceWithAnotherVersion() async throws {
        try fixture.install("1.0.0", .exit(3))
        try fixture.install("1.1.0", .exit(66))
        try store.switchCurrent(to: v("1.1.0"))
        let backend = child(restart: RestartPolicy(mode: .always, maxDelay: .milliseconds(100), crashLoopLimit: 1))
        let asked = FailedUpgrades()
        let store = store
        await backend.supervised.report { event in
            guard case .crashLoop(let version, let reason) = event else { return nil }
            asked.record(FailedUpgrade(failed: version, previous: v("1.0.0"), reason: reason))
            try? store.switchCurrent(to: v("1.0.0"))
            return v("1.0.0")
        }
        try await backend.supervised.start()
        #expect(await backend.supervised.waitForExit() == .exited(3), "\(logs.text.suffix(2000))")
        #expect(asked.seen.map { "\($0.failed)" } == ["1.1.0"], "asked once, about 1.1.0")
        #expect(asked.seen.first?.reason.contains("the last with exit status 66") == true)
        #expect(fixture.recorded.contains { $0.prefix(2) == ["start", "1.0.0"] })
    }

    /// Found by the chaos soak (seed 7): `current` was broken while the old lavap stopped for a
    /// switch; the switch started nothing and lavavisor exited 127.
    @Test func aSwitchWhoseCurrentBrokeMeanwhileStartsWhatRanAgain() async throws {
        try fixture.install("1.0.0")
        try store.switchCurrent(to: v("1.0.0"))
        let backend = child()
        try await backend.supervised.start()
        let first = try await fixture.waitForEvent("start", "1.0.0")
        try store.breakCurrent(linkingTo: "/nowhere")
        try await backend.supervised.restart()
        try await waitUntil("1.0.0 started again, logs: \(logs.text.suffix(2000))") {
            fixture.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count == 2
        }
        #expect(fixture.recorded.first { $0.prefix(3) == ["sigterm", "1.0.0", first[2]] } != nil)
        #expect(await backend.supervised.runningVersion == v("1.0.0"))
        #expect(!logs.text.contains("lavavisor exits"))
        await backend.supervised.stop()
        #expect(await backend.supervised.waitForExit() == .exited(0))
    }

    @Test func anUpgradeFromAVersionThatWasFailingIsNotBlamedForFailingToo() async throws {
        try fixture.install("1.0.0", .exit(1))
        try fixture.install("1.1.0", .exit(1))
        try store.switchCurrent(to: v("1.0.0"))
        let backend = child(restart: RestartPolicy(mode: .always, maxDelay: .milliseconds(200)), probation: 1)
        let blamed = await noting(backend)
        try await backend.supervised.start()
        try await waitUntil("1.0.0 ended twice") { fixture.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count >= 3 }
        try store.switchCurrent(to: v("1.1.0"))
        try await backend.supervised.restart()
        try await waitUntil("1.1.0 ended twice, logs: \(logs.text.suffix(2000))") {
            fixture.recorded.filter { $0.prefix(2) == ["start", "1.1.0"] }.count >= 2
        }
        #expect(blamed.seen.isEmpty, "the machine, not 1.1.0, is failing: no mark, no rollback")
        #expect(logs.text.contains("lavap 1.1.0 is not on probation: 1.0.0 was ending by itself before the switch"))
        await backend.supervised.stop()
        _ = await backend.supervised.waitForExit()
    }

    @Test func anUpgradeFromAVersionThatFailedUntilItsLatestStartIsNotBlamedEither() async throws {
        // 1.0.0 ends by itself at its first two starts, then runs: the switch finds it running,
        // soon after two failures in a row (the test above finds it waiting for its next start).
        let folder = fixture.temp.path("1.0.0")
        let failing = try StandIn.install(
            version: "1.0.0", at: folder.appendingPathComponent("failing"), events: fixture.events, behaviour: .exit(1))
        let serving = try StandIn.install(version: "1.0.0", at: folder.appendingPathComponent("serving"), events: fixture.events)
        let starts = folder.appendingPathComponent("starts")
        try fixture.temp.write(
            """
            #!/bin/sh
            if [ "$1" = version ]; then exec '\(serving.path)' "$@"; fi
            echo x >> '\(starts.path)'
            if [ "$(wc -l < '\(starts.path)')" -le 2 ]; then exec '\(failing.path)' "$@"; fi
            exec '\(serving.path)' "$@"

            """, to: "upgrades-1.0.0-lavap", executable: true)
        try FileManager.default.createDirectory(
            at: store.binary(for: v("1.0.0")).deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: fixture.temp.path("upgrades-1.0.0-lavap"), to: store.binary(for: v("1.0.0")))
        try fixture.install("1.1.0", .exit(1))
        try store.switchCurrent(to: v("1.0.0"))
        let backend = child(restart: RestartPolicy(mode: .always, maxDelay: .milliseconds(200)), probation: 1)
        let blamed = await noting(backend)
        try await backend.supervised.start()
        try await waitUntil("1.0.0 runs at its third start") { fixture.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count >= 3 }
        try await waitUntil("1.0.0 is the running child") { await backend.supervised.runningVersion == v("1.0.0") }
        try store.switchCurrent(to: v("1.1.0"))
        try await backend.supervised.restart()
        try await waitUntil("1.1.0 ended twice, logs: \(logs.text.suffix(2000))") {
            fixture.recorded.filter { $0.prefix(2) == ["start", "1.1.0"] }.count >= 2
        }
        #expect(fixture.recorded.contains { $0.prefix(2) == ["sigterm", "1.0.0"] }, "the switch stopped a running 1.0.0")
        #expect(blamed.seen.isEmpty, "1.0.0 was failing until just before: no mark, no rollback")
        #expect(logs.text.contains("lavap 1.1.0 is not on probation: 1.0.0 was ending by itself before the switch"))
        await backend.supervised.stop()
        _ = await backend.supervised.waitForExit()
    }
}

/// The failed upgrades a rollback handler was told about.
final class FailedUpgrades: Sendable {
    private let list = Mutex<[FailedUpgrade]>([])
    func record(_ failure: FailedUpgrade) { list.withLock { $0.append(failure) } }
    var seen: [FailedUpgrade] { list.withLock { $0 } }
}

/// The state letter of a process (`R`, `S`, `T`, `Z`…) from `/proc/<pid>/stat`; nil when it is gone.
private func processState(_ pid: pid_t) -> String? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = text.lastIndex(of: ")") else {
        return nil
    }
    return text[text.index(after: end)...].split(separator: " ").first.map(String.init)
}
