import Core
import Foundation
import TestSupport
import Testing

/// The backoff of failed installs: capped exponential, per version.
@Suite struct InstallBackoffTests {
    let temp: TemporaryDirectory
    let store: Store
    let logs = CapturedLogs()

    init() throws {
        temp = try TemporaryDirectory()
        store = Store(directory: temp.url)
        try store.prepare()
    }

    @Test func aFailedInstallIsFetchedAgainOnceItsBackoffHasPassedEachTimeTwiceAsLate() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        binaries.breakFetch(of: v("1.1.0"))
        try await store.install(v("1.0.0"), logger: logs.logger()) { try StandIn.install(version: "1.0.0", at: $0, events: nil) }
        try store.switchCurrent(to: v("1.0.0"))
        let monitor = Monitor(
            source: ScriptedVersionSource(required(target: "1.1.0", min: "1.0.0")), binaries: binaries, store: store, autoDownload: true,
            logger: logs.logger(), role: .provider, installBackoff: InstallBackoff(first: .milliseconds(50), cap: .milliseconds(100)))
        _ = await monitor.check(child: v("1.0.0"))
        #expect(logs.text.contains("cannot install 1.1.0; trying lower versions; next attempt in 0.05 s"), "\(logs.text)")
        try await waitUntil("1.1.0 fetched again after its backoff") {
            _ = await monitor.check(child: v("1.0.0"))
            return binaries.fetches.count == 2
        }
        #expect(logs.text.contains("trying lower versions; next attempt in 0.1 s"), "doubled: \(logs.text)")
        try await waitUntil("1.1.0 fetched a third time") {
            _ = await monitor.check(child: v("1.0.0"))
            return binaries.fetches.count == 3
        }
        #expect(logs.all.filter { $0.contains("trying lower versions; next attempt in 0.1 s") }.count == 2, "capped: \(logs.text)")
    }

    @Test func theInstallBackoffDoublesUpToItsCap() {
        let backoff = InstallBackoff(first: .seconds(15), cap: .seconds(600))
        #expect((1...8).map { backoff.delay(afterFailures: $0) } == [15, 30, 60, 120, 240, 480, 600, 600].map { .seconds($0) })
        #expect(backoff.delay(afterFailures: 1000) == .seconds(600))
        #expect(InstallBackoff.standard == backoff)
    }

}
