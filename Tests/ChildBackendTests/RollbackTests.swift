import ChildBackend
import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A version that keeps failing right after the upgrade to it: Core's Supervisor and monitor with
/// the real child backend, real stand-in processes and the real store.
@Suite struct RollbackTests {
    let fixture: StoreFixture
    var store: Store { fixture.store }
    var logs: CapturedLogs { fixture.logs }

    init() throws { fixture = try StoreFixture() }

    func starts(_ version: String) -> Int { fixture.recorded.filter { $0.prefix(2) == ["start", version] }.count }

    /// Runs a supervisor on 1.0.0 with the chain at `target`/`minimum`; 1.1.0 is installed and exits with status 3 at once.
    func run(probation: Int = 3, crashLoopLimit: Int = 10) throws -> (
        ScriptedVersionSource, Task<Int32, any Error>, AsyncStream<Int32>.Continuation
    ) {
        try fixture.install("1.0.0")
        try fixture.install("1.1.0", .exit(3))
        try store.switchCurrent(to: v("1.0.0"))
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let restart = RestartPolicy(mode: .always, maxDelay: .milliseconds(100), resetAfter: .seconds(30), crashLoopLimit: crashLoopLimit)
        let settings = ProcessSettings(stopTimeout: .seconds(10), restart: restart, upgradeProbation: probation)
        let backend = ChildBackend(.init(arguments: ["rpcprovider", "p.yml"], store: store, settings: settings), logger: logs.logger())
        let monitor = Monitor(
            source: source, binaries: StandInBinarySource([]), store: store, autoDownload: true, logger: logs.logger(), role: .provider)
        let supervisor = Supervisor(monitor: monitor, backend: backend, pollInterval: .milliseconds(50), logger: logs.logger())
        let (signals, send) = AsyncStream.makeStream(of: Int32.self)
        return (source, Task { try await supervisor.run(signals: signals) }, send)
    }

    @Test func aVersionThatFailsOnProbationIsRolledBackAndMarkedBad() async throws {
        let (source, run, send) = try run()
        _ = try await fixture.waitForEvent(matching: ["start", "1.0.0"])
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        try await waitUntil("1.0.0 started again after the rollback, events: \(fixture.recorded)") { starts("1.0.0") == 2 }
        #expect(starts("1.1.0") == 3, "three ends on probation, then the rollback")
        #expect(store.currentVersion() == v("1.0.0"))
        let bad = try #require(try store.readState().bad.first)
        #expect(bad.version == v("1.1.0"))
        #expect(bad.target == v("1.1.0"))
        #expect(bad.rolledBackTo == v("1.0.0"))
        #expect(bad.reason.contains("ended 3 times"), "\(bad.reason)")
        #expect(logs.text.contains("rolled back to 1.0.0"), "\(logs.text)")

        // Ten more checks: the bad version is never tried again while the target stays 1.1.0.
        let reads = source.reads
        try await waitUntil("ten more checks") { source.reads > reads + 10 }
        #expect(starts("1.1.0") == 3)
        #expect(store.currentVersion() == v("1.0.0"))

        // A new target lifts the mark: 1.2.0 is taken.
        try fixture.install("1.2.0")
        source.set(.success(required(target: "1.2.0", min: "1.0.0")))
        _ = try await fixture.waitForEvent(matching: ["start", "1.2.0"])
        send.yield(SIGTERM)
        #expect(try await run.value == 0)
    }

    @Test func aFailedVersionIsNotRolledBackFromWhenThePreviousIsBelowTheMinimum() async throws {
        let (source, run, send) = try run()
        _ = try await fixture.waitForEvent(matching: ["start", "1.0.0"])
        source.set(.success(required(target: "1.1.0", min: "1.1.0")))
        // Past the probation and past the crash-loop limit: it keeps being restarted.
        try await waitUntil("1.1.0 restarted past the crash-loop limit, events: \(fixture.recorded.count)") { starts("1.1.0") >= 13 }
        #expect(starts("1.0.0") == 1)
        #expect(store.currentVersion() == v("1.1.0"))
        #expect(try store.readState().bad.isEmpty)
        #expect(logs.text.contains("cannot roll back: 1.0.0 is below the chain's minimum 1.1.0"), "\(logs.text)")
        #expect(logs.text.contains("there is no version to roll back to; restarting it in"))
        send.yield(SIGTERM)
        // The status of the last 1.1.0: its own exit, or the SIGTERM when one was running.
        #expect([3, 128 + SIGTERM].contains(try await run.value))
    }

    @Test func probationZeroNeverRollsBack() async throws {
        let (source, run, _) = try run(probation: 0, crashLoopLimit: 4)
        _ = try await fixture.waitForEvent(matching: ["start", "1.0.0"])
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        #expect(try await run.value == 3, "the crash loop ends lavavisor with the child's status")
        #expect(starts("1.0.0") == 1)
        #expect(starts("1.1.0") == 5)
        #expect(try store.readState().bad.isEmpty)
    }
}
