import Core
import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct PrunePlanTests {
    let installed = ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"].map(v)

    @Test func removesWhatIsOlderThanCurrentBeyondTheNewestKept() {
        let plan = PrunePlan(installed: installed, current: v("1.3.0"), running: [:], keep: 1)
        #expect(plan.remove == [v("1.0.0"), v("1.1.0")])
        #expect(
            plan.kept == [
                PrunePlan.Kept(v("1.2.0"), .rollback(keep: 1)), PrunePlan.Kept(v("1.3.0"), .current),
                PrunePlan.Kept(v("1.4.0"), .newerThanCurrent),
            ])
    }

    @Test(arguments: [(0, ["1.0.0", "1.1.0", "1.2.0"]), (2, ["1.0.0"]), (3, []), (10, [])])
    func keepCountsOnlyVersionsOlderThanCurrent(_ keep: Int, _ removed: [String]) {
        let plan = PrunePlan(installed: installed, current: v("1.3.0"), running: [:], keep: keep)
        #expect(plan.remove == removed.map(v))
        #expect(plan.kept.contains(PrunePlan.Kept(v("1.4.0"), .newerThanCurrent)))
    }

    @Test func aVersionARunningChildUsesStaysWhateverItsAge() {
        let plan = PrunePlan(installed: installed, current: v("1.3.0"), running: [v("1.0.0"): [42, 7]], keep: 0)
        #expect(plan.remove == [v("1.1.0"), v("1.2.0")])
        #expect(plan.kept.first == PrunePlan.Kept(v("1.0.0"), .running(pids: [7, 42])))
    }

    @Test func withoutCurrentNothingIsRemoved() {
        let plan = PrunePlan(installed: installed, current: nil, running: [:], keep: 0)
        #expect(plan.remove.isEmpty)
        #expect(plan.kept.map(\.reason) == Array(repeating: .noCurrent, count: installed.count))
    }

    @Test func runningChildrenAreReadByVersion() {
        let children = [
            ChildRecord(pid: 10, startTime: 1, version: "1.2.0", supervisor: 1),
            ChildRecord(pid: 11, startTime: 1, version: "1.2.0", supervisor: 2),
            ChildRecord(pid: 12, startTime: 1, version: "garbage", supervisor: 3),
        ]
        #expect(PrunePlan.versions(of: children) == [v("1.2.0"): [10, 11]])
    }
}

/// `Store.prune` on real files, with real running processes and real locks.
@Suite struct StorePruneTests {
    let fixture: StoreFixture
    var store: Store { fixture.store }

    init() throws {
        fixture = try StoreFixture()
        for version in ["1.0.0", "1.1.0", "1.2.0", "1.3.0"] { try fixture.install(version) }
        try fixture.store.switchCurrent(to: v("1.2.0"))
    }

    /// Every path under the store with its size, to show that nothing changed.
    func snapshot() -> [String: Int] {
        let paths = FileManager.default.enumerator(atPath: store.root.path)?.allObjects as? [String] ?? []
        return Dictionary(
            uniqueKeysWithValues: paths.map { path in
                (
                    path,
                    (try? FileManager.default.attributesOfItem(atPath: store.root.appendingPathComponent(path).path)[.size] as? Int) ?? -1
                )
            })
    }

    @Test func removesOnlyWhatIsOlderThanCurrentBeyondKeep() async throws {
        let size = Store.diskUsage(of: store.folder(for: v("1.0.0")))
        #expect(size > 0)
        let report = try await store.prune(keep: 1, logger: fixture.logs.logger())
        #expect(report.removed == [PruneReport.Removal(version: v("1.0.0"), size: size)])
        #expect(report.freed == size)
        #expect(report.kept.map(\.version) == [v("1.1.0"), v("1.2.0"), v("1.3.0")])
        #expect(store.installedVersions() == [v("1.1.0"), v("1.2.0"), v("1.3.0")])
        #expect(!FileManager.default.fileExists(atPath: store.folder(for: v("1.0.0")).path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.staging.path).isEmpty)
        #expect(store.currentVersion() == v("1.2.0"))
        #expect(fixture.logs.text.contains("removed 1.0.0"))
        // Again: nothing more goes.
        #expect(try await store.prune(keep: 1, logger: fixture.logs.logger()).removed.isEmpty)
    }

    /// Found by the chaos soak (seed 7): a lavap whose record was missing (not written yet, or a
    /// full disk) had its version removed under it.
    @Test func aVersionWhoseBinaryAProcessExecutesStaysWithoutAnyRecord() async throws {
        // A real executable in place of lavap: /proc/PID/exe names the binary (a script's names its shell).
        let binary = store.binary(for: v("1.0.0"))
        try FileManager.default.removeItem(at: binary)
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: binary.path)
        let process = try ChildProcess.spawn(executable: binary.path, arguments: ["60"], stdin: .null, output: .null)
        try await waitUntil("the process runs its binary") { store.runningVersions()[v("1.0.0")] == [process.pid] }
        #expect(store.runningChildren().isEmpty, "no record names it")
        let report = try await store.prune(keep: 0, logger: fixture.logs.logger())
        #expect(report.removed.map(\.version) == [v("1.1.0")])
        #expect(report.kept.first == PrunePlan.Kept(v("1.0.0"), .running(pids: [process.pid])))
        #expect(store.isInstalled(v("1.0.0")))
        process.signal(SIGKILL)
        _ = await process.wait()
        #expect(try await store.prune(keep: 0, logger: fixture.logs.logger()).removed.map(\.version) == [v("1.0.0")])
    }

    @Test func aVersionARealRunningChildUsesStays() async throws {
        let child = try RecordedChild(store: store, version: "1.0.0")
        let report = try await store.prune(keep: 0, logger: fixture.logs.logger())
        #expect(report.removed.map(\.version) == [v("1.1.0")])
        #expect(report.kept.first == PrunePlan.Kept(v("1.0.0"), .running(pids: [child.process.pid])))
        #expect(store.isInstalled(v("1.0.0")))
        #expect(child.isRunning)

        // Once it has ended, its version goes like any other.
        child.process.signal(SIGKILL)
        _ = await child.process.wait()
        #expect(try await store.prune(keep: 0, logger: fixture.logs.logger()).removed.map(\.version) == [v("1.0.0")])
    }

    @Test func aVersionWhoseInstallLockIsHeldStays() async throws {
        let lock = try await FileLock.acquire(
            store.lockFile(for: v("1.0.0")).path, timeout: .seconds(1), logger: fixture.logs.logger(), purpose: "the test")
        let dry = try await store.prune(keep: 1, dryRun: true, logger: fixture.logs.logger())
        #expect(dry.removed.isEmpty)
        #expect(dry.kept.first == PrunePlan.Kept(v("1.0.0"), .locked))
        let report = try await store.prune(keep: 1, logger: fixture.logs.logger())
        #expect(report.removed.isEmpty)
        #expect(report.kept.first == PrunePlan.Kept(v("1.0.0"), .locked))
        #expect(store.isInstalled(v("1.0.0")))
        withExtendedLifetime(lock) {}
    }

    @Test func aSwitchUnderWayHoldsOffTheRemovalOfTheVersionItSwitchesTo() async throws {
        // The test is the switcher: it holds the lock of `current`, as a switch does while it checks and links.
        let switching = try FileLock.acquireBriefly(store.currentLock.path, purpose: "the test's switch")
        let logs = fixture.logs
        let store = store
        let prune = Task { try await store.prune(keep: 0, logger: logs.logger()) }
        try await waitUntil("the prune waits for the switch, logs: \(logs.text)") {
            logs.text.contains("waiting for another lavavisor to finish switching current")
        }
        // The switch links 1.0.0, which the prune had planned to remove, and releases the lock.
        #expect(symlink("upgrades/v1.0.0", store.root.appendingPathComponent(".current.test").path) == 0)
        #expect(rename(store.root.appendingPathComponent(".current.test").path, store.current.path) == 0)
        withExtendedLifetime(switching) {}
        _ = consume switching
        let report = try await prune.value
        #expect(report.removed.isEmpty, "\(report)")
        #expect(store.currentLink() == .installed(v("1.0.0")))
        #expect(store.installedVersions() == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"].map(v))
    }

    @Test func switchesAndPrunesRacingNeverLeaveCurrentDangling() async throws {
        let store = store
        let logs = fixture.logs
        for round in 0..<20 {
            for version in ["1.0.0", "1.1.0"] where !store.isInstalled(v(version)) { try fixture.install(version) }
            try store.switchCurrent(to: v("1.2.0"))
            async let pruned = store.prune(keep: 0, logger: logs.logger())
            let switched = Task.detached { (try? store.switchCurrent(to: v(round.isMultiple(of: 2) ? "1.0.0" : "1.1.0"))) != nil }
            _ = try await pruned
            _ = await switched.value
            guard case .installed = store.currentLink() else {
                Issue.record("round \(round): current is \(store.currentLink())")
                return
            }
        }
    }

    @Test func aDanglingCurrentRemovesNothing() async throws {
        #expect(unlink(store.current.path) == 0)
        #expect(symlink("upgrades/v9.9.9", store.current.path) == 0)
        #expect(store.currentLink() == .dangling(v("9.9.9")))
        let report = try await store.prune(keep: 0, logger: fixture.logs.logger())
        #expect(report.removed.isEmpty)
        #expect(report.kept.map(\.reason) == Array(repeating: .noCurrent, count: 4))
        #expect(store.installedVersions().count == 4)
    }

    @Test func aDryRunChangesNothing() async throws {
        let before = snapshot()
        let report = try await store.prune(keep: 0, dryRun: true, logger: fixture.logs.logger())
        #expect(report.dryRun)
        #expect(report.removed.map(\.version) == [v("1.0.0"), v("1.1.0")])
        #expect(report.freed == Store.diskUsage(of: store.folder(for: v("1.0.0"))) + Store.diskUsage(of: store.folder(for: v("1.1.0"))))
        #expect(snapshot() == before)
        #expect(!FileManager.default.fileExists(atPath: store.lockFile(for: v("1.0.0")).path), "a dry run creates no lock file")
    }

    @Test func theLeftoversOfAKilledRemovalAreInvisibleAndClearedNextTime() async throws {
        // As a prune killed between the rename and the delete leaves it.
        let leftover = store.staging.appendingPathComponent("removing-v0.9.0.99999.1", isDirectory: true)
        try StandIn.install(version: "0.9.0", at: leftover.appendingPathComponent("lavap"), events: nil)
        #expect(store.installedVersions() == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"].map(v))
        #expect(!store.installedVersionDetails().contains { $0.version == v("0.9.0") })
        _ = try await store.prune(keep: 3, logger: fixture.logs.logger())
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(fixture.logs.text.contains("removing the leftovers of an interrupted removal"))
    }

    @Test func leftoversAreClearedOnlyWhileTheirVersionsLockIsFree() async throws {
        let installing = store.staging.appendingPathComponent("v1.4.0.99999.2", isDirectory: true)
        let killed = store.staging.appendingPathComponent("v1.5.0.99999.3", isDirectory: true)
        for folder in [installing, killed] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let lock = try await FileLock.acquire(
            store.lockFile(for: v("1.4.0")).path, timeout: .seconds(1), logger: fixture.logs.logger(), purpose: "the test")
        await store.clearStagingLeftovers(logger: fixture.logs.logger())
        #expect(FileManager.default.fileExists(atPath: installing.path), "an install in progress keeps its staging folder")
        #expect(!FileManager.default.fileExists(atPath: killed.path))
        withExtendedLifetime(lock) {}
    }

    @Test func concurrentPrunesRemoveEachVersionOnce() async throws {
        let reports = try await withThrowingTaskGroup(of: PruneReport.self) { group in
            for _ in 0..<4 { group.addTask { try await store.prune(keep: 0, logger: fixture.logs.logger()) } }
            return try await group.reduce(into: [PruneReport]()) { $0.append($1) }
        }
        #expect(reports.flatMap(\.removed).map(\.version).sorted() == [v("1.0.0"), v("1.1.0")])
        #expect(store.installedVersions() == [v("1.2.0"), v("1.3.0")])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.staging.path).isEmpty)
    }

    @Test func versionDetailsTellSizeAndInstallTime() async throws {
        let before = Date().addingTimeInterval(-1)
        try await store.install(v("2.0.0"), logger: fixture.logs.logger()) { try StandIn.install(version: "2.0.0", at: $0, events: nil) }
        let details = try #require(store.installedVersionDetails().last)
        #expect(details.version == v("2.0.0"))
        #expect(details.size == Store.diskUsage(of: store.folder(for: v("2.0.0"))))
        #expect(details.size >= Int64(StandIn.script(version: "2.0.0", events: nil).utf8.count))
        let installedAt = try #require(details.installedAt)
        #expect(installedAt >= before && installedAt <= Date().addingTimeInterval(1))
    }

    @Test func refusesAStoreThatWasNeverPrepared() async throws {
        let temp = try TemporaryDirectory()
        let missing = Store(directory: temp.url)
        await expectError(containing: "there is no lavavisor store at \(missing.root.path)") {
            _ = try await missing.prune(keep: 1, logger: fixture.logs.logger())
        }
        #expect(!FileManager.default.fileExists(atPath: missing.root.path))
    }

    @Test func sizesAreWrittenForPeople() {
        #expect(ByteCount.text(812) == "812 B")
        #expect(ByteCount.text(4_096) == "4.1 kB")
        #expect(ByteCount.text(73_240_000) == "73.2 MB")
        #expect(ByteCount.text(2_000_000_000) == "2.0 GB")
    }
}

@Suite struct AutoPruneTests {
    let fixture: StoreFixture

    init() throws {
        fixture = try StoreFixture()
        for version in ["1.0.0", "1.1.0", "1.2.0"] { try fixture.install(version) }
        try fixture.store.switchCurrent(to: v("1.2.0"))
    }

    @Test func prunesOnlyIfTheUpgradedVersionStillRunsAfterTheWait() async throws {
        let running = Mutex<SemanticVersion?>(v("1.1.0"))
        let pruner = AutoPrune(
            store: fixture.store, keep: 0, wait: .milliseconds(50), running: { running.withLock { $0 } }, logger: fixture.logs.logger())
        // Rolled back during the wait: nothing goes.
        pruner.upgraded(to: v("1.2.0"))
        await pruner.settle()
        #expect(fixture.logs.text.contains("not pruning: lavap runs 1.1.0 now, not 1.2.0 as after the upgrade"))
        #expect(fixture.store.installedVersions() == ["1.0.0", "1.1.0", "1.2.0"].map(v))

        running.withLock { $0 = v("1.2.0") }
        pruner.upgraded(to: v("1.2.0"))
        await pruner.settle()
        #expect(fixture.store.installedVersions() == [v("1.2.0")])
        #expect(fixture.logs.text.contains("auto-prune removed 1.0.0"))
        #expect(fixture.logs.text.contains("auto-prune removed 1.1.0"))
        #expect(fixture.logs.text.contains("auto-prune after 1.2.0 stayed up: freed"))
    }

    @Test func aLaterUpgradeReplacesThePendingPrune() async throws {
        let pruner = AutoPrune(
            store: fixture.store, keep: 1, wait: .seconds(1), running: { v("1.2.0") }, logger: fixture.logs.logger())
        pruner.upgraded(to: v("1.1.0"))
        pruner.upgraded(to: v("1.2.0"))
        await pruner.settle()
        #expect(!fixture.logs.text.contains("not pruning"), "the first prune was cancelled: \(fixture.logs.text)")
        #expect(fixture.logs.text.components(separatedBy: "auto-prune after").count == 2)
        #expect(fixture.store.installedVersions() == [v("1.1.0"), v("1.2.0")])
    }
}
