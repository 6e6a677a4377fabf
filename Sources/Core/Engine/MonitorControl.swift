import Foundation
import Logging

/// What `lavavisor ctl` changes in the checks: a pause holds every move of lavap onto another
/// version (the checks go on and log what they would do); a pin makes lavap run that version
/// instead of the chain's target, as long as it meets the chain's minimum.
extension Monitor {
    /// Whether `ctl pause` holds the move of `plan`: logged as what it would do, once at info (again
    /// when it changes), and at warning on every check while lavap runs below the chain's minimum.
    func pauseHolds(_ plan: Plan) async -> Bool {
        guard await control.pausedSince != nil else { return false }
        let move = "paused: would \(plan.step)"
        let changed = await control.holding(move)
        if let running = plan.running, running < plan.requirement.minimum {
            logger.warning(
                "\(move), but lavap \(running) is below the chain's minimum \(plan.requirement.minimum) and loses relays; 'lavavisor ctl resume' lets it move",
                metadata: ["decision": "\(plan.decision)"])
        } else {
            logger.log(
                level: changed ? .info : .debug, "\(move); 'lavavisor ctl resume' lets it", metadata: ["decision": "\(plan.decision)"])
        }
        return true
    }

    /// The check's outcome while lavap is pinned (`ctl use`), nil when no pin applies: none is set,
    /// the chain is not the expected one, or the chain's minimum rose above the pin, which then is
    /// released (running below the minimum loses relays) and the check goes on as without it.
    func pinnedStep(_ plan: Plan) async -> CheckStep? {
        guard let pin = await control.pin, plan.chainMismatch == nil else { return nil }
        guard pin >= plan.requirement.minimum else {
            await control.releasePin(only: pin)
            logger.warning(
                "the chain's minimum \(plan.requirement.minimum) rose above the pinned \(pin): the pin is released, as lavap below the minimum loses relays; lavap follows the chain again"
            )
            return nil
        }
        let kept = CheckStep.unchanged(.keep(pin))
        // A child that runs the pin stays, whatever `current` links to (another wrapper on the store may move it).
        if plan.childRunning, plan.running == pin {
            if let version = plan.step.version, version != pin {
                logger.debug("pinned to \(pin): not moving to \(version) (\(plan.step))", metadata: ["decision": "\(plan.decision)"])
            }
            return kept
        }
        if !store.isInstalled(pin) {
            guard autoDownload else {
                logger.error(
                    "lavap is pinned to \(pin), which is not installed (any more) and this lavavisor may not fetch; install it with 'lavavisor install \(pin)' or release the pin ('lavavisor ctl use --release')"
                )
                return .failed("\(pin) is not installed")
            }
            logger.info("fetching \(pin), which lavap is pinned to", metadata: ["source": "\(type(of: binaries).id)"])
            do {
                try await store.install(pin, logger: logger) { [binaries] staged in try await binaries.fetch(pin, to: staged) }
            } catch {
                logger.error(
                    "cannot install \(pin), which lavap is pinned to; trying again at the next check", metadata: ["error": "\(error)"])
                return .failed("\(error)")
            }
        }
        // Before lavap runs (a backoff, a start that failed), `current` is what the next start runs.
        guard plan.childRunning || plan.current != pin else { return kept }
        guard await preSwitchAllows(pin, plan: plan) else { return kept }
        if plan.current == pin {
            logger.info(
                "restarting lavap on \(pin), which it is pinned to",
                metadata: ["running": "\(plan.running.map(\.description) ?? "nothing")"])
            return .restart(pin)
        }
        logger.info("lavap is pinned to \(pin) (lavavisor ctl use): moving it there", metadata: ["target": "\(plan.requirement.target)"])
        return switchCurrent(to: pin, plan: plan)
    }

    /// The monitor's side of `ctl status`: the chain's last requirement and a pending spread.
    func controlState() -> (requirement: VersionRequirement?, spread: (version: SemanticVersion, until: Date)?) {
        guard let spread, spread.at > .now else { return (lastRequirement, nil) }
        return (lastRequirement, (spread.version, Date(timeIntervalSinceNow: (spread.at - .now).seconds)))
    }

    /// Forgets a mark of `version` this process held in memory; returns whether there was one.
    func forgetHeldMark(of version: SemanticVersion) -> Bool {
        let had = heldMarks.contains { $0.version == version }
        heldMarks.removeAll { $0.version == version }
        return had
    }
}
