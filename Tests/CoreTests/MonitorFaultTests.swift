import Core
import Foundation
import TestSupport
import Testing

/// The monitor when installs fail, marks cannot be written, the chain moves during a download, or
/// this wrapper may only wait (issue 24).
@Suite struct MonitorFaultTests {
    let temp: TemporaryDirectory
    let store: Store
    let logs = CapturedLogs()

    init() throws {
        temp = try TemporaryDirectory()
        store = Store(directory: temp.url)
        try store.prepare()
    }

    func monitor(_ source: ScriptedVersionSource, _ binaries: StandInBinarySource, autoDownload: Bool = true) -> Monitor {
        Monitor(source: source, binaries: binaries, store: store, autoDownload: autoDownload, logger: logs.logger(), role: .provider)
    }

    /// Puts a stand-in for each version in `upgrades/` (no download) and links `current` to `current`.
    func installed(_ versions: [String], current: String) async throws {
        for version in versions {
            try await store.install(v(version), logger: logs.logger()) { try StandIn.install(version: version, at: $0, events: nil) }
        }
        try store.switchCurrent(to: v(current))
    }

    @Test func aFailedInstallIsNotFetchedAgainBeforeItsBackoffAndANewTargetForgetsIt() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0"), v("1.2.0")])
        binaries.breakFetch(of: v("1.1.0"))
        binaries.breakFetch(of: v("1.2.0"))
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.keep(v("1.0.0"))))
        #expect(logs.text.contains("cannot install 1.1.0; trying lower versions; next attempt in 15 s at "), "\(logs.text)")
        for _ in 1...5 { #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.keep(v("1.0.0")))) }
        #expect(binaries.fetches == [v("1.0.0"), v("1.1.0")], "fetched again before its backoff")
        #expect(store.currentVersion() == v("1.0.0"))

        // A new target: 1.2.0 fails too, and 1.1.0's backoff is forgotten, so it is tried again at once.
        source.set(.success(required(target: "1.2.0", min: "1.0.0")))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.keep(v("1.0.0"))))
        #expect(binaries.fetches == [v("1.0.0"), v("1.1.0"), v("1.2.0"), v("1.1.0")])
    }

    @Test func aTargetRevertedDuringTheDownloadIsNotSwitchedToAndStaysInstalled() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        let download = binaries.hold(v("1.1.0"))
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        async let outcome = monitor.check(child: v("1.0.0"))
        try await waitUntil("the download of 1.1.0 under way") { download.arrivals == 1 }
        source.set(.success(required(target: "1.0.0", min: "1.0.0")))
        download.open()
        #expect(await outcome == .unchanged(.keep(v("1.0.0"))))
        #expect(store.currentVersion() == v("1.0.0"))
        #expect(store.isInstalled(v("1.1.0")), "the fetched binary stays installed")
        #expect(logs.text.contains("the chain's versions changed while 1.1.0 was fetched"), "\(logs.text)")
        #expect(!logs.text.contains("switched current to 1.1.0"))
    }

    @Test func aTargetStillWantedAfterTheDownloadIsSwitchedToAfterReadingTheSourceAgain() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        let reads = source.reads
        #expect(await monitor.check(child: v("1.0.0")) == .switchTo(v("1.1.0")))
        #expect(source.reads == reads + 2, "read once to plan, once more before the switch")
    }

    @Test func aWaitingWrapperLogsTheWaitOnceAtInfoThenAtDebug() async throws {
        let source = ScriptedVersionSource(required(target: "1.1.0", min: "1.0.0"))
        let monitor = monitor(source, StandInBinarySource([v("1.1.0"), v("1.2.0")]), autoDownload: false)
        for _ in 1...3 { #expect(await monitor.check() == .wait(v("1.1.0"))) }
        let waits = logs.all.filter { $0.contains("1.1.0 is needed; waiting for a lavavisor with --auto-download") }
        #expect(waits.map { String($0.prefix(3)) } == ["INF", "DBG", "DBG"], "\(logs.text)")
        source.set(.success(required(target: "1.2.0", min: "1.0.0")))
        #expect(await monitor.check() == .wait(v("1.2.0")))
        #expect(logs.all.last { $0.contains("is needed; waiting") }?.hasPrefix("INF [Lavavisor] 1.2.0 is needed") == true, "\(logs.text)")
    }

    /// A mark that cannot be written (here: a damaged `state.json`) is held in memory: the version
    /// is not switched to again, and the log never claims that the mark was recorded.
    @Test func aMarkThatCannotBeWrittenIsHeldInMemoryAndSaidSo() async throws {
        try await installed(["1.0.0", "1.1.0"], current: "1.1.0")
        try temp.write("{ not json", to: ".lavavisor/state.json")
        let source = ScriptedVersionSource(required(target: "1.1.0", min: "1.0.0"))
        let monitor = monitor(source, StandInBinarySource([]))
        let back = await monitor.rollBack(FailedUpgrade(failed: v("1.1.0"), previous: v("1.0.0"), reason: "ended 3 times"))
        #expect(back == v("1.0.0"))
        #expect(store.currentVersion() == v("1.0.0"))
        #expect(logs.text.contains("held in memory only"), "\(logs.text)")
        #expect(logs.text.contains("cannot read \(store.stateFile.path)"), "names the write error: \(logs.text)")
        #expect(logs.text.contains("1.1.0 is marked bad in memory only"), "\(logs.text)")
        #expect(
            !logs.text.contains("is marked bad and not tried") && !logs.text.contains("is marked bad in \(store.stateFile.path)"),
            "claims a mark it did not write: \(logs.text)")
        for _ in 1...3 { #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.keep(v("1.0.0")))) }
        #expect(store.currentVersion() == v("1.0.0"))
        // A new target lifts the mark held in memory as it lifts a written one.
        source.set(.success(required(target: "1.2.0", min: "1.0.0")))
        #expect(await monitor.check(child: v("1.0.0")) == .switchTo(v("1.1.0")))
    }

    /// When the chain's minimum rises to a marked version and nothing else meets it, the marked
    /// version is tried: a mark must not leave lavap below the minimum for good.
    @Test func belowTheMinimumAMarkedVersionIsTriedAndTheLogNamesTheMark() async throws {
        try await installed(["1.0.0", "1.1.0"], current: "1.0.0")
        try await store.updateState(logger: logs.logger()) {
            $0.marking(
                StoreState.BadVersion(
                    version: v("1.1.0"), target: v("1.1.0"), rolledBackTo: v("1.0.0"), reason: "ended 3 times within 2 s", markedAt: .now))
        }
        let source = ScriptedVersionSource(required(target: "1.1.0", min: "1.0.0"))
        let monitor = monitor(source, StandInBinarySource([]))
        #expect(await monitor.check(child: v("1.0.0")) == .unchanged(.keep(v("1.0.0"))), "above the minimum the mark holds")
        source.set(.success(required(target: "1.1.0", min: "1.1.0")))
        #expect(await monitor.check(child: v("1.0.0")) == .switchTo(v("1.1.0")))
        let line = try #require(logs.all.first { $0.contains("despite") }, "\(logs.text)")
        #expect(line.contains("1.1.0 is marked bad"), "\(line)")
        #expect(line.contains("ended 3 times within 2 s"), "\(line)")
        #expect(line.contains("minimum 1.1.0"), "\(line)")
    }
}
