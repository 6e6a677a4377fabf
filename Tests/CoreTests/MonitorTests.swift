import Core
import Foundation
import TestSupport
import Testing

@Suite struct MonitorTests {
    let temp: TemporaryDirectory
    let store: Store
    let logs = CapturedLogs()

    init() throws {
        temp = try TemporaryDirectory()
        store = Store(directory: temp.url)
        try store.prepare()
    }

    /// A monitor; the proposals are read after every check unless `proposalsInterval` says otherwise.
    func monitor(
        _ source: ScriptedVersionSource, _ binaries: StandInBinarySource, autoDownload: Bool = true, prefetch: Bool = false,
        proposalsInterval: Duration = .zero, installBackoff: InstallBackoff = .standard
    ) -> Monitor {
        Monitor(
            source: source, binaries: binaries, store: store, autoDownload: autoDownload, logger: logs.logger(), role: .provider,
            prefetch: prefetch, proposalsInterval: proposalsInterval, installBackoff: installBackoff)
    }

    @Test func installsAndSwitchesToTheTarget() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        #expect(await monitor.check() == .unchanged(.keep(v("1.0.0"))))
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        #expect(await monitor.check() == .switchTo(v("1.1.0")))
        #expect(store.currentVersion() == v("1.1.0"))
        #expect(binaries.fetches == [v("1.0.0"), v("1.1.0")])
    }

    @Test func aFailedReadChangesNothing() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries)
        _ = await monitor.check()
        source.set(.failure(TestFailure("node is down")))
        #expect(await monitor.check() == .failed("node is down"))
        #expect(store.currentVersion() == v("1.0.0"))
        #expect(
            logs.text.contains(
                "ERR [Lavavisor] cannot read the required versions; nothing changes until the next check error=\"node is down\""))
    }

    /// With no backoff at all too: a download slower than the backoff (the plan is read again after
    /// it) must not bring back, in the same check, a version whose install failed in it.
    @Test(arguments: [InstallBackoff.standard, InstallBackoff(first: .zero, cap: .zero)])
    func aFailedInstallFallsBackToTheBestLowerVersion(backoff: InstallBackoff) async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.0.10"), v("1.0.11"), v("1.0.12")])
        binaries.breakFetch(of: v("1.0.12"))
        binaries.lie(about: v("1.0.11"), reporting: "1.0.9")
        let monitor = monitor(ScriptedVersionSource(required(target: "1.0.12", min: "1.0.0")), binaries, installBackoff: backoff)
        #expect(await monitor.check() == .switchTo(v("1.0.10")))
        #expect(binaries.fetches == [v("1.0.12"), v("1.0.11"), v("1.0.10")])
        #expect(store.installedVersions() == [v("1.0.10")])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.staging.path).isEmpty)
    }

    /// Found by the chaos soak (seed 7, 30 minutes): a version above the chain's target that passed
    /// its probation and later crashed at every start kept every new lavavisor in a crash loop,
    /// although the target was installed.
    @Test func aCrashLoopAboveTheTargetFallsBackToTheBestInstalledVersionAndMarksIt() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0"), v("1.2.0")])
        let source = ScriptedVersionSource(required(target: "1.2.0", min: "1.0.0"))
        let monitor = monitor(source, binaries)
        #expect(await monitor.check() == .switchTo(v("1.2.0")))
        for version in ["1.0.0", "1.1.0"] {
            try await store.install(v(version), logger: logs.logger()) { try StandIn.install(version: version, at: $0, events: nil) }
        }
        // At the target, a crash loop says nothing about the version: nothing changes.
        #expect(await monitor.fallBack(from: v("1.2.0"), reason: "ended 3 times") == nil)
        #expect(store.currentVersion() == v("1.2.0"))

        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        #expect(await monitor.fallBack(from: v("1.2.0"), reason: "ended 3 times") == v("1.1.0"))
        #expect(store.currentVersion() == v("1.1.0"))
        #expect(try store.readState().badVersions(whileTargetIs: v("1.1.0")) == [v("1.2.0")])
        #expect(logs.text.contains("lavap 1.2.0 (above the chain's target, in a crash loop) ended 3 times; rolled back to 1.1.0"))
        // The next check keeps what it fell back to.
        #expect(await monitor.check(child: v("1.1.0")) == .unchanged(.keep(v("1.1.0"))))
    }

    /// Found by the chaos soak (seed 2): a dangling `current` stayed dangling while the child ran,
    /// so its next crash, or the next lavavisor, had nothing to start.
    @Test func aCurrentThatCannotBeRunIsLinkedAgainToTheCompliantChildWithoutARestart() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let monitor = monitor(ScriptedVersionSource(required(target: "1.1.0", min: "1.0.0")), binaries)
        #expect(await monitor.check() == .switchTo(v("1.1.0")))
        try store.breakCurrent(linkingTo: "upgrades/v99.99.99")
        #expect(store.currentLink() == .dangling(v("99.99.99")))
        // No restart: the outcome names no version to restart onto.
        #expect(await monitor.check(child: v("1.1.0")) == .unchanged(.keep(v("1.1.0"))))
        #expect(store.currentLink() == .installed(v("1.1.0")))
        #expect(logs.text.contains("current linked to what cannot or must not run, and is linked again to 1.1.0, which runs"))
        #expect(binaries.fetches == [v("1.1.0")])
    }

    @Test func withoutAutoDownloadItWaitsForAnotherProcess() async throws {
        let binaries = StandInBinarySource([v("1.1.0")])
        let monitor = monitor(ScriptedVersionSource(required(target: "1.1.0", min: "1.0.0")), binaries, autoDownload: false)
        #expect(await monitor.check() == .wait(v("1.1.0")))
        #expect(binaries.fetches.isEmpty)
        // Another lavavisor installs it: the next check switches without fetching.
        try await store.install(v("1.1.0"), logger: logs.logger()) { try StandIn.install(version: "1.1.0", at: $0, events: nil) }
        #expect(await monitor.check() == .switchTo(v("1.1.0")))
        #expect(binaries.fetches.isEmpty)
    }

    /// Found by the chaos soak (seed 7, 30 minutes): the only downloader ran above the chain's
    /// target, so it never fetched the target that a wrapper without --auto-download (fallen back
    /// below it) waited for, forever.
    @Test func theDownloaderFetchesWhatAWaitingWrapperNeedsEvenWhenItsOwnLavapIsAboveTheTarget() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0"), v("1.2.0")])
        let source = ScriptedVersionSource(required(target: "1.2.0", min: "1.0.0"))
        let downloader = monitor(source, binaries)
        #expect(await downloader.check() == .switchTo(v("1.2.0")))
        try await store.install(v("1.0.0"), logger: logs.logger()) { try StandIn.install(version: "1.0.0", at: $0, events: nil) }
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        let waiter = monitor(source, binaries, autoDownload: false)
        // The waiter's lavap crash-looped on 1.2.0: it fell back to 1.0.0, marking 1.2.0.
        #expect(await waiter.fallBack(from: v("1.2.0"), reason: "ended 3 times") == v("1.0.0"))
        #expect(await waiter.check(child: v("1.0.0")) == .wait(v("1.1.0")))
        #expect(store.wantedVersions() == [v("1.1.0")])

        // Its own lavap (1.2.0) is above the target: its plan needs nothing, the wish is fetched.
        #expect(await downloader.check(child: v("1.2.0")) == .unchanged(.keep(v("1.2.0"))))
        #expect(binaries.fetches == [v("1.2.0"), v("1.1.0")])
        #expect(store.currentVersion() == v("1.0.0"))
        #expect(store.wantedVersions().isEmpty)
        #expect(logs.text.contains("a lavavisor without --auto-download on this store waits for 1.1.0; fetching it, current stays"))
        #expect(await waiter.check(child: v("1.0.0")) == .switchTo(v("1.1.0")))
        #expect(await downloader.check(child: v("1.2.0")) == .unchanged(.keep(v("1.2.0"))))
        #expect(binaries.fetches == [v("1.2.0"), v("1.1.0")])
    }

    /// `run/wanted/` is a file anyone with the store can write: only versions some role of the
    /// chain may run now are fetched, a wish no waiter renewed within the hour is old, and a name
    /// that is not a version's is ignored.
    @Test func onlyFreshWishesTheChainAllowsAreFetched() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0"), v("9.9.9")])
        let downloader = monitor(ScriptedVersionSource(required(target: "1.1.0", min: "1.0.0")), binaries)
        #expect(await downloader.check() == .switchTo(v("1.1.0")))
        try store.want(v("9.9.9"))
        try store.want(v("1.0.0"))
        let old = Date(timeIntervalSinceNow: -Store.wantFreshness - 60)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: store.wanted.appendingPathComponent("v1.0.0").path)
        try Data().write(to: store.wanted.appendingPathComponent("v1.0.0.tmp"))
        #expect(store.wantedVersions() == [v("9.9.9")])
        #expect(await downloader.check(child: v("1.1.0")) == .unchanged(.keep(v("1.1.0"))))
        #expect(binaries.fetches == [v("1.1.0")])
        #expect(logs.text.contains("a lavavisor here waits for 9.9.9, which no role of the chain runs now; not fetched"))
    }

    @Test func cannotComplyKeepsWhatRuns() async throws {
        let binaries = StandInBinarySource([v("1.0.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries)
        _ = await monitor.check()
        source.set(.success(required(target: "2.0.0", min: "2.0.0")))
        guard case .unchanged(.cannotComply) = await monitor.check() else {
            Issue.record("expected cannot comply")
            return
        }
        #expect(store.currentVersion() == v("1.0.0"))
        #expect(logs.text.contains("cannot comply with the chain's protocol version"))
    }

    @Test func doesNotRelinkWhenTheCurrentBinaryCannotTellItsVersion() async throws {
        try FileManager.default.createDirectory(at: store.folder(for: v("1.0.0")), withIntermediateDirectories: true)
        try temp.write("#!/bin/sh\nexit 1\n", to: ".lavavisor/upgrades/v1.0.0/lavap", executable: true)
        try store.switchCurrent(to: v("1.0.0"))
        let monitor = monitor(ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0")), StandInBinarySource([]))
        #expect(await monitor.check() == .unchanged(.upgrade(to: v("1.0.0"))))
        #expect(logs.text.contains("does not report it"))
    }
}

/// Binaries fetched while a proposal is still being voted on.
extension MonitorTests {
    @Test func aProposedTargetIsInstalledAheadAndTheSwitchThenNeedsNoDownload() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries, prefetch: true)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        source.propose([PendingVersion(proposal: "42", versions: required(target: "1.1.0", min: "1.0.0"))])
        #expect(await monitor.check() == .unchanged(.keep(v("1.0.0"))))
        #expect(store.isInstalled(v("1.1.0")))
        #expect(store.currentVersion() == v("1.0.0"), "installed ahead, not switched")
        #expect(logs.text.contains("a proposal in its voting period would raise the target to 1.1.0"))
        #expect(binaries.fetches == [v("1.0.0"), v("1.1.0")])

        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        #expect(await monitor.check() == .switchTo(v("1.1.0")))
        #expect(binaries.fetches == [v("1.0.0"), v("1.1.0")], "the switch fetched nothing")
    }

    @Test func withoutPrefetchOrBelowTheTargetNothingIsFetchedAhead() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0"), v("0.9.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        source.propose([PendingVersion(proposal: "42", versions: required(target: "1.1.0", min: "1.0.0"))])
        _ = await monitor(source, binaries, prefetch: false).check()
        #expect(!store.isInstalled(v("1.1.0")))
        source.propose([PendingVersion(proposal: "43", versions: required(target: "0.9.0", min: "0.9.0"))])
        _ = await monitor(source, binaries, prefetch: true).check()
        #expect(binaries.fetches == [v("1.0.0")])
    }

    /// Anyone with the deposit can open a proposal: twenty of them with versions that do not
    /// exist must not become twenty downloads per check.
    @Test func aFloodOfProposalsFetchesAtMostTwoVersionsPerWindow() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.5.0")] + (1...20).map { v("2.\($0).0") })
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries, prefetch: true)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        let soon = Date(timeIntervalSinceNow: 600)
        var flood = (1...20).map { PendingVersion(proposal: "\($0)", versions: required(target: "2.\($0).0", min: "1.0.0")) }
        flood.append(PendingVersion(proposal: "99", versions: required(target: "1.5.0", min: "1.0.0"), votingEnd: soon))
        flood.append(PendingVersion(proposal: "98", versions: required(target: "0.5.0", min: "0.5.0"), votingEnd: soon))
        source.propose(flood)
        _ = await monitor.check(child: v("1.0.0"))
        _ = await monitor.check(child: v("1.0.0"))
        let ahead = binaries.fetches.dropFirst()
        #expect(ahead.count == Monitor.prefetchLimit, "\(ahead)")
        #expect(ahead.first == v("1.5.0"), "the proposal whose voting ends first goes first")
        #expect(!ahead.contains(v("0.5.0")))
    }

    /// Voting periods last hours to days: the proposals are read every --proposals-interval, not
    /// on every check (every block), and at once when the target moves.
    @Test func theProposalsAreReadAtTheirOwnCadenceAndAtOnceWhenTheTargetMoves() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0"), v("1.2.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries, prefetch: true, proposalsInterval: .seconds(3600))
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        #expect(source.pendingReads == 1)
        for _ in 1...3 { _ = await monitor.check(child: v("1.0.0")) }
        #expect(source.reads >= 4)
        #expect(source.pendingReads == 1, "not on every check")
        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        source.propose([PendingVersion(proposal: "8", versions: required(target: "1.2.0", min: "1.0.0"))])
        #expect(await monitor.check(child: v("1.0.0")) == .switchTo(v("1.1.0")))
        #expect(source.pendingReads == 2, "the target moved: read at once")
        #expect(store.isInstalled(v("1.2.0")))
        _ = await monitor.check(child: v("1.1.0"))
        #expect(source.pendingReads == 2)
    }

    @Test func nothingAtOrBelowWhatRunsIsFetchedAhead() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0"), v("1.2.0")])
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = monitor(source, binaries, prefetch: true)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        source.propose([PendingVersion(proposal: "7", versions: required(target: "1.1.0", min: "1.0.0"))])
        _ = await monitor.check(child: v("1.2.0"))
        #expect(binaries.fetches == [v("1.0.0")])
    }

    @Test func aFailedFetchAheadChangesNothingAndWaits() async throws {
        let binaries = StandInBinarySource([v("1.0.0"), v("1.1.0")])
        binaries.breakFetch(of: v("1.1.0"))
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        source.propose([PendingVersion(proposal: "42", versions: required(target: "1.1.0", min: "1.0.0"))])
        let monitor = monitor(source, binaries, prefetch: true)
        #expect(await monitor.check() == .switchTo(v("1.0.0")))
        #expect(await monitor.check() == .unchanged(.keep(v("1.0.0"))))
        #expect(!store.isInstalled(v("1.1.0")))
        #expect(store.currentVersion() == v("1.0.0"))
        #expect(logs.text.contains("cannot fetch 1.1.0 ahead; trying again in 5 min"))
        #expect(binaries.fetches.filter { $0 == v("1.1.0") }.count == 1, "not again within 5 minutes")
    }
}

/// Checks driven by new blocks, with the poll as a safety net.
@Suite struct BlockDrivenTests {
    @Test func checksOnEveryNewBlockAtMostOncePerBlockAndReconnectsAfterALostFeed() async throws {
        let temp = try TemporaryDirectory()
        let store = Store(directory: temp.url)
        try store.prepare()
        let logs = CapturedLogs()
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = Monitor(
            source: source, binaries: StandInBinarySource([v("1.0.0")]), store: store, autoDownload: true, logger: logs.logger())
        let (first, second) = (source.prepareFeed(), source.prepareFeed())
        // An hour between polls: every check below comes from a block.
        let run = Task { await monitor.run(every: .seconds(3600), child: { nil }, then: { _ in }) }
        try await waitUntil("the feed opened") { source.feedsOpened == 1 }
        first.yield(10)
        try await waitUntil("a check on block 10 installing 1.0.0") { store.currentVersion() == v("1.0.0") }
        #expect(source.reads == 2, "one read to plan, one more after the install, before the switch")
        first.yield(10)  // the same block again: no check
        first.yield(11)
        try await waitUntil("a check on block 11") { source.reads == 3 }
        first.finish(throwing: TestFailure("the websocket was cut"))
        try await waitUntil("the feed opened again") { source.feedsOpened == 2 }
        second.yield(12)
        try await waitUntil("a check on block 12") { source.reads == 4 }
        #expect(logs.text.components(separatedBy: "cannot follow new blocks").count == 2, "logged once")
        #expect(logs.text.contains("the websocket was cut"))
        run.cancel()
        await run.value
    }

    /// With blocks coming faster than the poll interval, every check is a block's: the poll is
    /// the safety net for when they stop, not a second check per interval.
    @Test func thePollDoesNotFireWhileBlocksKeepComing() async throws {
        let temp = try TemporaryDirectory()
        let store = Store(directory: temp.url)
        try store.prepare()
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let monitor = Monitor(
            source: source, binaries: StandInBinarySource([v("1.0.0")]), store: store, autoDownload: true,
            logger: CapturedLogs().logger())
        let feed = source.prepareFeed()
        let interval = Duration.seconds(1)
        let run = Task { await monitor.run(every: interval, child: { nil }, then: { _ in }) }
        try await waitUntil("the feed opened") { source.feedsOpened == 1 }
        var previousBlock = ContinuousClock.now
        feed.yield(1)
        try await waitUntil("the first check") { store.currentVersion() == v("1.0.0") }
        // Blocks, each as soon as the previous one's check is done, for three poll intervals and
        // twenty blocks at least. While blocks come, a poll may fire only two intervals after the
        // last check, which came after the previous block (a loaded machine can hold this test back
        // that long between two blocks): one seen sooner fired while blocks kept coming.
        var (height, expected) = (Int64(1), source.reads)
        let end = ContinuousClock.now + interval * 3
        while ContinuousClock.now < end || height < 20 {
            height += 1
            expected += 1
            let block = ContinuousClock.now
            feed.yield(height)
            try await waitUntil("the check of block \(height)") { source.reads >= expected }
            if source.reads > expected {
                #expect(ContinuousClock.now - previousBlock >= interval * 2, "a poll fired between blocks")
                expected = source.reads
            }
            previousBlock = block
        }
        // The blocks stop: the poll takes over.
        try await waitUntil("a poll after the last block") { source.reads > expected }
        run.cancel()
        await run.value
    }
}
