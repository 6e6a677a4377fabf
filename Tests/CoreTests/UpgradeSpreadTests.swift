import Core
import Foundation
import Synchronization
import TestSupport
import Testing

/// `--upgrade-spread`: an upgrade the chain's minimum does not force waits a drawn time, the
/// binary fetched at once; one the minimum forces goes at the first check.
extension MonitorTests {
    /// A monitor whose spread draws `wait` (recording each draw).
    func spreading(
        _ source: ScriptedVersionSource, _ binaries: StandInBinarySource, spread: Duration, wait: Duration, draws: Draws
    )
        -> Monitor
    {
        Monitor(
            source: source, binaries: binaries, store: store, autoDownload: true, logger: logs.logger(), role: .provider,
            upgradeSpread: spread,
            drawSpread: { bound in
                draws.list.withLock { $0.append(bound) }
                return wait
            })
    }

    @Test func aTargetRaiseWaitsItsDrawnTimeWithTheBinaryFetched() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let draws = Draws()
        let monitor = spreading(source, binaries, spread: .seconds(3600), wait: .milliseconds(300), draws: draws)
        #expect(await monitor.check() == .switchTo(v("1.0.0")), "no child runs yet: nothing to spread")
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        let started = ContinuousClock.now
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.upgrade(to: v("1.1.0"))))
        #expect(store.isInstalled(v("1.1.0")), "fetched at once")
        #expect(store.currentVersion() == v("1.0.0"), "not switched during the spread")
        #expect(logs.text.contains("so the switch waits 0.3 s (--upgrade-spread 1h)"), "\(logs.text)")
        var outcome = await monitor.check(child: v("1.0.0"))
        while outcome == .unchanged(.upgrade(to: v("1.1.0"))) {
            try await Task.sleep(for: .milliseconds(20))
            outcome = await monitor.check(child: v("1.0.0"))
        }
        #expect(outcome == .switchTo(v("1.1.0")))
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(draws.list.withLock { $0 } == [.seconds(3600)], "drawn once for 1.1.0, within the flag's bound")
        #expect(binaries.fetches == [v("1.0.0"), v("1.1.0")])
    }

    @Test func aMinimumAboveWhatRunsGoesAtOnce() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let draws = Draws()
        let monitor = spreading(source, binaries, spread: .seconds(3600), wait: .seconds(3000), draws: draws)
        _ = await monitor.check()
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.upgrade(to: v("1.1.0"))))
        source.set(.success(required(target: "1.1.0", min: "1.1.0")))
        #expect(await monitor.check(child: v("1.0.0")) == .switchTo(v("1.1.0")), "lavap 1.0.0 no longer meets the minimum")
    }

    @Test func anotherWrappersSwitchWaitsThisWrappersSpreadToo() async throws {
        // On a shared store another lavavisor switched current: this one's lavap is behind.
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.1.0", min: "1.0.0"))
        let draws = Draws()
        let monitor = spreading(source, binaries, spread: .seconds(60), wait: .seconds(50), draws: draws)
        try await store.install(v("1.1.0"), logger: logs.logger()) { staged in try await binaries.fetch(v("1.1.0"), to: staged) }
        try await store.install(v("1.0.0"), logger: logs.logger()) { staged in try await binaries.fetch(v("1.0.0"), to: staged) }
        try store.switchCurrent(to: v("1.1.0"))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.upgrade(to: v("1.1.0"))))
        #expect(draws.list.withLock { $0.count } == 1)
    }
}

/// The bounds a monitor drew its spreads within.
final class Draws: Sendable {
    let list = Mutex<[Duration]>([])
}
