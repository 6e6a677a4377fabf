import Foundation
import Logging

/// A version that failed on probation: it ended too often within the restart policy's reset
/// window right after an upgrade to it (`--upgrade-probation` exits, or a crash loop).
public struct FailedUpgrade: Sendable, Equatable, CustomStringConvertible {
    /// The version upgraded to, which failed.
    public var failed: SemanticVersion
    /// The version that ran before the upgrade.
    public var previous: SemanticVersion
    /// How it failed, for people: the exits and how soon.
    public var reason: String
    /// Whether `previous` did not run before: a crash loop above the chain's target falls back to it.
    public var fallback: Bool

    /// A failed upgrade.
    public init(failed: SemanticVersion, previous: SemanticVersion, reason: String, fallback: Bool = false) {
        self.failed = failed
        self.previous = previous
        self.reason = reason
        self.fallback = fallback
    }

    public var description: String {
        fallback
            ? "lavap \(failed) (above the chain's target, in a crash loop) \(reason)"
            : "lavap \(failed) (upgraded from \(previous)) \(reason)"
    }
}

extension Monitor {
    /// After a crash loop of `version` that no probation judged (it had run well, or lavavisor was
    /// started on it): when `version` is above the chain's target for the role, it is rolled back
    /// from (marked bad until the target changes, `current` switched) to the newest installed
    /// version in [minimum, target] that is not marked, which is returned. Nil otherwise: a crash
    /// loop at or below the target says nothing about the version (a config, the machine).
    public func fallBack(from version: SemanticVersion, reason: String) async -> SemanticVersion? {
        guard let requirement = try? await requirementNow(), version > requirement.target else { return nil }
        let bad = readState().badVersions(whileTargetIs: requirement.target)
        let candidates = store.installedVersions().filter { $0 >= requirement.minimum && $0 <= requirement.target && !bad.contains($0) }
        guard let back = candidates.max() else {
            logger.error(
                "lavap \(version), above the chain's target \(requirement.target), is in a crash loop, and no installed version in [\(requirement.minimum), \(requirement.target)] can replace it"
            )
            return nil
        }
        return await rollBack(FailedUpgrade(failed: version, previous: back, reason: reason, fallback: true), under: requirement)
    }

    /// The chain's requirement for the role now, or the last one read when the source fails now;
    /// throws the source's error when none was ever read.
    func requirementNow() async throws -> VersionRequirement {
        do { return role.requirement(try await source.read().versions) } catch {
            guard let last = lastRequirement else { throw error }
            return last
        }
    }

    /// Rolls back from a failed upgrade when the previous version still satisfies the chain's
    /// minimum for the role: marks the failed version bad in the store's state (until the chain's
    /// target changes), switches `current` back (unless another lavavisor moved it elsewhere), and
    /// returns the previous version. Returns nil, saying why, when it cannot.
    public func rollBack(_ failure: FailedUpgrade) async -> SemanticVersion? {
        let requirement: VersionRequirement
        do { requirement = try await requirementNow() } catch {
            logger.error(
                "\(failure); cannot roll back: the chain's minimum is unknown (\(error)); lavap keeps being restarted with backoff")
            return nil
        }
        return await rollBack(failure, under: requirement)
    }

    /// `rollBack(_:)` once the chain's requirement is known.
    private func rollBack(_ failure: FailedUpgrade, under requirement: VersionRequirement) async -> SemanticVersion? {
        guard failure.previous >= requirement.minimum else {
            logger.error(
                "\(failure); cannot roll back: \(failure.previous) is below the chain's minimum \(requirement.minimum); lavap \(failure.failed) keeps being restarted with backoff"
            )
            return nil
        }
        guard store.isInstalled(failure.previous) else {
            logger.error(
                "\(failure); cannot roll back: \(store.binary(for: failure.previous).path) is no longer installed; lavap \(failure.failed) keeps being restarted with backoff"
            )
            return nil
        }
        let mark = StoreState.BadVersion(
            version: failure.failed, target: requirement.target, rolledBackTo: failure.previous, reason: failure.reason, markedAt: Date())
        var recorded = "is marked bad in \(store.stateFile.path) and not tried again"
        do {
            try await store.updateState(logger: logger) { $0.marking(mark) }
        } catch {
            // Kept in memory, so this process does not upgrade to it again (and roll back again) on every check.
            heldMarks = heldMarks.filter { $0.version != mark.version } + [mark]
            recorded = "is marked bad in memory only (\(store.stateFile.path) could not be written) and not tried again by this lavavisor"
            logger.error(
                "cannot record \(failure.failed) as bad in \(store.stateFile.path); the mark is held in memory only: this lavavisor does not try \(failure.failed) again while the target is \(requirement.target), but another lavavisor on this store, or this one once restarted, may",
                metadata: ["error": "\(error)"])
        }
        if store.currentVersion() == failure.failed {
            do { try store.switchCurrent(to: failure.previous) } catch {
                logger.error("cannot switch current back to \(failure.previous)", metadata: ["error": "\(error)"])
            }
        }
        Telemetry.rolledBack()
        if let pin = await control.releasePin(only: failure.failed) {
            logger.warning("lavap was pinned to \(pin), which failed: the pin is released, so that lavap is not moved back onto it")
        }
        logger.error(
            "\(failure); rolled back to \(failure.previous), which meets the chain's minimum \(requirement.minimum); \(failure.failed) \(recorded) until the chain's target changes from \(requirement.target)"
        )
        if let hooks {  // told, not asked: the rollback does not wait for it
            let logger = logger
            Task { await hooks.run(.onRollback, from: failure.failed, to: failure.previous, reason: failure.reason, logger: logger) }
        }
        return failure.previous
    }
}
