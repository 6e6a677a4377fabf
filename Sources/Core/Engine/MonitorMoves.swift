import Logging

/// What may hold a move of a running lavap to another version: the operator's pre-switch hook
/// and `--upgrade-spread`.
extension Monitor {
    /// Runs the pre-switch hook, if any, before lavap moves to `version`; a failure holds the
    /// move until the next check, which runs the hook again.
    func preSwitchAllows(_ version: SemanticVersion, plan: Plan) async -> Bool {
        guard let hooks else { return true }
        let from = plan.running ?? plan.current
        guard await hooks.run(.preSwitch, from: from, to: version, reason: "\(plan.decision)", logger: logger) else {
            logger.warning("the pre-switch hook failed: lavap is not moved to \(version); the hook runs again at the next check")
            return false
        }
        return true
    }

    /// Whether the move of a running lavap to `version` waits out `--upgrade-spread`: only an
    /// upgrade of a lavap that meets the chain's minimum waits (the binary is already installed);
    /// one the minimum forces goes at once. The wait is drawn once per version and logged.
    func spreadHolds(_ version: SemanticVersion, plan: Plan) -> Bool {
        guard upgradeSpread > .zero, plan.childRunning, let running = plan.running, version > running,
            running >= plan.requirement.minimum
        else { return false }
        let now = ContinuousClock.now
        if spread?.version != version {
            let wait = drawSpread(upgradeSpread)
            spread = (version, now + wait)
            logger.info(
                "\(version) is installed; lavap \(running) meets the chain's minimum \(plan.requirement.minimum), so the switch waits \(wait.brief) (--upgrade-spread \(upgradeSpread.flagText)), until \(Self.wallClock(in: wait))",
                metadata: ["decision": "\(plan.decision)"])
        }
        guard let until = spread?.at, now < until else { return false }
        logger.debug("\(version) waits out its upgrade spread", metadata: ["remaining": "\((until - now).brief)"])
        return true
    }
}
