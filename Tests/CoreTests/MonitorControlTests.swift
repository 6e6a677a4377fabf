import Foundation
import TestSupport
import Testing

@testable import Core

/// What `lavavisor ctl` changes in the checks: a pause holds moves (and says what it holds), a pin
/// replaces the target but never the minimum, and a pin that failed is released by the rollback.
@Suite struct MonitorControlTests {
    /// A prepared store in the test's folder, and the logs.
    let fixture: StoreFixture
    var store: Store { fixture.store }
    var logs: CapturedLogs { fixture.logs }

    init() throws { fixture = try StoreFixture() }

    func monitor(_ source: ScriptedVersionSource, _ binaries: StandInBinarySource) -> Monitor {
        Monitor(source: source, binaries: binaries, store: store, autoDownload: true, logger: logs.logger(), role: .provider)
    }

    @Test func aPauseHoldsTheUpgradeSaysWhatItWouldDoAndResumeLetsItGo() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        #expect(await monitor.control.pause() == nil)
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.upgrade(to: v("1.1.0"))))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.upgrade(to: v("1.1.0"))))
        #expect(binaries.fetches == [v("1.0.0")])
        #expect(store.currentVersion() == v("1.0.0"))
        // Logged at info once, then at debug: the same held move on every block would flood the log.
        #expect(logs.all.filter { $0.contains("INF [Lavavisor] paused: would fetch 1.1.0") }.count == 1, "\(logs.text)")
        #expect(await monitor.control.lastCheck?.summary == "paused: would fetch 1.1.0, switch current to it and restart lavap")
        #expect(await monitor.control.resume())
        #expect(await monitor.check(child: v("1.0.0")) == .switchTo(v("1.1.0")))
    }

    @Test func aPinReplacesTheTargetUntilTheMinimumRisesAboveIt() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.1.0", min: "1.0.0"))
        let monitor = monitor(source, binaries)
        #expect(await monitor.check() == .switchTo(v("1.1.0")))
        #expect(await monitor.control.pin(v("1.0.0")) == nil)
        // Not installed: fetched (auto-download), then current switched down to it.
        #expect(await monitor.check(child: v("1.1.0")) == .switchTo(v("1.0.0")))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.keep(v("1.0.0"))))
        // Another wrapper on the store moves current: a child on the pin stays where it is.
        try store.switchCurrent(to: v("1.1.0"))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.keep(v("1.0.0"))))
        // Behind its pin (it was restarted onto what current links to): moved back.
        try store.switchCurrent(to: v("1.0.0"))
        #expect(await monitor.check(child: v("1.1.0")) == .restart(v("1.0.0")))
        source.set(.success(required(target: "1.1.0", min: "1.1.0")))
        #expect(await monitor.check(child: v("1.0.0")) == .switchTo(v("1.1.0")))
        #expect(await monitor.control.pin == nil)
        #expect(logs.text.contains("the chain's minimum 1.1.0 rose above the pinned 1.0.0: the pin is released"))
    }

    @Test func aRollbackFromThePinnedVersionReleasesThePin() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let monitor = monitor(ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0")), binaries)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        _ = await monitor.control.pin(v("1.1.0"))
        #expect(await monitor.check(child: v("1.0.0")) == .switchTo(v("1.1.0")))
        let back = await monitor.rollBack(FailedUpgrade(failed: v("1.1.0"), previous: v("1.0.0"), reason: "ended 3 times in 2 s"))
        #expect(back == v("1.0.0"))
        #expect(await monitor.control.pin == nil)
        #expect(logs.text.contains("lavap was pinned to 1.1.0, which failed: the pin is released"))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.keep(v("1.0.0"))))
    }
}
