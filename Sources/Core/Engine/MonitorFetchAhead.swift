import Foundation
import Logging

/// What a check fetches beside its own plan: the versions that proposals in their voting period
/// would require, and those another lavavisor on the store waits for.
extension Monitor {
    /// Fetches and installs, without switching `current`, one version that a lavavisor without
    /// `--auto-download` on this store waits for (`run/wanted/`), when some role of the chain's
    /// last reading may run it (between that role's minimum and target): this process's own plan
    /// may never need it (its lavap runs above the target, or follows the other role). A failed
    /// install waits out the same backoff as the plan's own.
    func fetchWanted() async {
        guard let versions = lastVersions else { return }
        let allowed = Role.allCases.map { $0.requirement(versions) }
        for version in store.wantedVersions() {
            guard allowed.contains(where: { $0.minimum <= version && version <= $0.target }) else {
                logger.debug(
                    "a lavavisor here waits for \(version), which no role of the chain runs now; not fetched",
                    metadata: ["versions": "\(versions)"])
                continue
            }
            guard installFailures.remaining(for: version, at: .now) == nil else { continue }
            logger.info("a lavavisor without --auto-download on this store waits for \(version); fetching it, current stays")
            do {
                try await store.install(version, logger: logger) { [binaries] staged in try await binaries.fetch(version, to: staged) }
                installFailures.entries.removeValue(forKey: version)
                store.forgetWant(version)
                logger.info("\(version) is installed for the lavavisor that waits for it")
            } catch is CancellationError {
                return
            } catch {
                let delay = installFailures.failed(version, at: .now, backoff: installBackoff)
                logger.error(
                    "cannot install \(version), which a lavavisor here waits for; next attempt in \(delay.brief) at \(Self.wallClock(in: delay))",
                    metadata: ["error": "\(error)"])
            }
            return  // one per check: a store full of wishes must not turn into a burst of downloads
        }
    }

    /// Whether the proposals are read after this check: the first time, every `proposalsInterval`,
    /// and at once when the role's target moved since the last read.
    func proposalsDue() -> Bool {
        guard let last = proposalsRead, let target = lastRequirement?.target, target == last.target else { return true }
        return ContinuousClock.now - last.at >= proposalsInterval
    }

    /// Fetches and installs, without switching `current`, the target that a proposal in its voting
    /// period would set for the role when it is above today's target and what runs. At most
    /// `prefetchLimit` versions are tried per `prefetchWindow`, those whose voting ends first; a
    /// failure is logged and that version tried again after 5 minutes; nothing else changes.
    func prefetchPending(child: SemanticVersion?) async {
        if let target = lastRequirement?.target { proposalsRead = (.now, target) }
        let pending: [PendingVersion]
        do { pending = try await source.pendingVersions() } catch {
            logger.debug("cannot read the proposals in their voting period", metadata: ["error": "\(error)"])
            return
        }
        guard let today = lastRequirement else { return }
        let raising = pending.map { (change: $0, target: role.requirement($0.versions).target) }.filter { $0.target > today.target }
        Telemetry.pendingProposals(raising.count)
        let running = child ?? today.target
        let now = ContinuousClock.now
        var seen: Set<SemanticVersion> = []
        let candidates = raising.filter { _, target in
            guard target > running, !store.isInstalled(target), seen.insert(target).inserted else { return false }
            return prefetchFailures[target].map { now - $0 >= .seconds(300) } ?? true
        }
        .sorted { ($0.change.votingEnd ?? .distantFuture) < ($1.change.votingEnd ?? .distantFuture) }
        for (change, target) in candidates {
            prefetchAttempts.removeAll { now - $0 >= Self.prefetchWindow }
            guard prefetchAttempts.count < Self.prefetchLimit else {
                logger.debug(
                    "not fetching \(target) ahead: \(Self.prefetchLimit) versions were tried within \(Self.prefetchWindow.brief)",
                    metadata: ["proposal": "\(change.proposal)", "pending": "\(candidates.count)"])
                return
            }
            prefetchAttempts.append(now)
            var metadata: Logger.Metadata = ["proposal": "\(change.proposal)"]
            if let end = change.votingEnd { metadata["voting-ends"] = "\(end.formatted(.iso8601))" }
            logger.info(
                "a proposal in its voting period would raise the target to \(target); fetching it ahead, current stays", metadata: metadata)
            do {
                try await store.install(target, logger: logger) { [binaries] staged in try await binaries.fetch(target, to: staged) }
                logger.info("\(target) is installed ahead: if the proposal passes, the upgrade needs no download", metadata: metadata)
            } catch {
                prefetchFailures[target] = .now
                logger.warning(
                    "cannot fetch \(target) ahead; trying again in 5 min", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
        }
    }
}
