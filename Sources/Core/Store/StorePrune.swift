public import Foundation
public import Logging

/// What one `prune` removed (or, with `--dry-run`, would remove) and what it kept.
public struct PruneReport: Sendable, Equatable {
    /// A removed version and the space it took.
    public struct Removal: Sendable, Equatable {
        /// The version.
        public var version: SemanticVersion
        /// The space its folder took, in bytes.
        public var size: Int64

        /// A removal.
        public init(version: SemanticVersion, size: Int64) {
            self.version = version
            self.size = size
        }
    }

    /// Whether nothing was changed (`--dry-run`).
    public var dryRun: Bool
    /// The removed versions, oldest first.
    public var removed: [Removal] = []
    /// The versions that stay, and why, oldest first.
    public var kept: [PrunePlan.Kept] = []

    /// The space freed, in bytes.
    public var freed: Int64 { removed.reduce(0) { $0 + $1.size } }

    /// An empty report.
    public init(dryRun: Bool) { self.dryRun = dryRun }
}

extension Store {
    /// The prefix of the `staging/` folder a version is renamed to before it is deleted:
    /// `removing-vX.Y.Z.<pid>.<random>`, never confused with an install's `vX.Y.Z.<pid>.<random>`.
    static let removalPrefix = "removing-"

    /// The install lock of one version: `locks/vX.Y.Z.lock`.
    public func lockFile(for version: SemanticVersion) -> URL {
        locks.appendingPathComponent("\(version.tag).lock")
    }

    /// Removes the installed versions that `PrunePlan` says go, each crash-safely (see
    /// `remove(_:keep:logger:)`), after clearing what killed installs and removals left in
    /// `staging/`. With `dryRun` nothing changes: the report says what would go.
    public func prune(keep: Int, dryRun: Bool = false, logger: Logger) async throws -> PruneReport {
        try requirePrepared()
        if !dryRun {
            try requireWritable()
            await clearStagingLeftovers(logger: logger)
        }
        let plan = currentPrunePlan(keep: keep)
        var report = PruneReport(dryRun: dryRun)
        report.kept = plan.kept
        for version in plan.remove {
            if dryRun {
                if FileLock.isHeld(lockFile(for: version).path) {
                    report.kept.append(PrunePlan.Kept(version, .locked))
                } else {
                    report.removed.append(PruneReport.Removal(version: version, size: Self.diskUsage(of: folder(for: version))))
                }
                continue
            }
            switch try await remove(version, keep: keep, logger: logger) {
            case .removed(let size): report.removed.append(PruneReport.Removal(version: version, size: size))
            case .kept(let reason): report.kept.append(PrunePlan.Kept(version, reason))
            case .gone: break
            }
        }
        report.kept.sort { $0.version < $1.version }
        return report
    }

    /// What became of one version `prune` meant to remove.
    enum RemovalOutcome {
        /// Removed; its folder took this many bytes.
        case removed(Int64)
        /// Kept after all: the store changed since the plan was made.
        case kept(PrunePlan.Reason)
        /// Already gone (another prune removed it).
        case gone
    }

    /// Removes one version under its install lock, taken without waiting (a held lock means an
    /// install is under way: the version stays). Under the lock the plan is made again, so a version
    /// that became `current` or started running meanwhile stays. The folder is renamed into
    /// `staging/` first, then deleted from there: `upgrades/` never shows a partly deleted version,
    /// and what a killed prune leaves in `staging/` is cleared by the next prune or init.
    func remove(_ version: SemanticVersion, keep: Int, logger: Logger) async throws -> RemovalOutcome {
        let lock: FileLock
        let switching: FileLock
        do {
            lock = try await FileLock.acquire(lockFile(for: version).path, timeout: .zero, logger: logger, purpose: "removing \(version)")
            // Under the lock of `current` too, until the folder is out of upgrades/: a switch to this
            // version waits and then finds it gone (and is refused), or happens first and the new plan keeps it.
            switching = try await FileLock.acquire(currentLock.path, timeout: .seconds(10), logger: logger, purpose: "switching current")
        } catch is LockTimeoutError {
            return .kept(.locked)
        }
        defer { withExtendedLifetime((lock, switching)) {} }
        let now = currentPrunePlan(keep: keep)
        guard now.remove.contains(version) else {
            return now.kept.first { $0.version == version }.map { .kept($0.reason) } ?? .gone
        }
        let source = folder(for: version)
        let size = Self.diskUsage(of: source)
        let removal = staging.appendingPathComponent("\(Self.removalPrefix)\(version.tag).\(Posix.uniqueSuffix())", isDirectory: true)
        do {
            try Posix.rename(source.path, removal.path)
            try Posix.fsync(path: upgrades.path)
            try Posix.fsync(path: staging.path)
        } catch {
            throw StoreError("cannot remove \(version): \(error); fix the permissions of \(root.path) and run prune again")
        }
        logger.debug("removed \(version)", metadata: ["path": "\(source.path)", "freed": "\(ByteCount.text(size))"])
        do { try FileManager.default.removeItem(at: removal) } catch {
            logger.warning(
                "\(version) is out of upgrades/ but its files are not all deleted; the next prune or init deletes them",
                metadata: ["path": "\(removal.path)", "error": "\(SystemError.reason(of: error))"])
        }
        return .removed(size)
    }

    /// The plan for the store as it is now. `current` counts only when it links to an installed
    /// version: a dangling or foreign link tells nothing about what is older, so nothing is removed.
    func currentPrunePlan(keep: Int) -> PrunePlan {
        let current: SemanticVersion? =
            switch currentLink() {
            case .installed(let version): version
            case .none, .dangling, .foreign: nil
            }
        return PrunePlan(installed: installedVersions(), current: current, running: runningVersions(), keep: keep)
    }

    /// Clears what killed installs and removals left in `staging/`: each leftover is deleted only
    /// while its version's lock is free (no lavavisor is installing or removing that version now).
    public func clearStagingLeftovers(logger: Logger) async {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []
        var versions = Set<SemanticVersion>()
        for name in names {
            let tag = name.hasPrefix(Self.removalPrefix) ? String(name.dropFirst(Self.removalPrefix.count)) : name
            let parts = tag.split(separator: ".", maxSplits: 3)
            guard parts.count == 4, let version = try? SemanticVersion(parsing: parts[0..<3].joined(separator: ".")) else { continue }
            versions.insert(version)
        }
        for version in versions.sorted() {
            guard
                let lock = try? await FileLock.acquire(
                    lockFile(for: version).path, timeout: .zero, logger: logger, purpose: "clearing the leftovers of \(version)")
            else { continue }
            removeStagingLeftovers(of: version, logger: logger)
            for name in names where name.hasPrefix("\(Self.removalPrefix)\(version.tag).") {
                logger.info("removing the leftovers of an interrupted removal", metadata: ["path": "\(staging.path)/\(name)"])
                try? FileManager.default.removeItem(at: staging.appendingPathComponent(name))
            }
            withExtendedLifetime(lock) {}
        }
    }
}
