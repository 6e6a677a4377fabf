/// What one check found and what it will do, computed in one place: the monitor carries it out and
/// `status` prints it, so the two can never disagree.
///
/// The plan compares the chain's versions for the role with what *this* process's child runs (or,
/// before a child runs, with what `current/lavap` reports), never with the link alone: another
/// lavavisor on the same directory may have switched `current` already, and a child older than
/// `current` is moved onto it.
public struct Plan: Sendable, Equatable {
    /// What the version source answered.
    public var reading: VersionReading
    /// The role of the supervised command, which picks the pair of versions to follow.
    public var role: Role
    /// The target and minimum of that role.
    public var requirement: VersionRequirement
    /// The version that runs: the child's, or what `current/lavap` reports when no child runs.
    public var running: SemanticVersion?
    /// Whether `running` is the version of a child this process started.
    public var childRunning: Bool
    /// The version `current` links to.
    public var current: SemanticVersion?
    /// The installed versions.
    public var installed: [SemanticVersion]
    /// What the binary source offers; nil when it was not asked (nothing to fetch).
    public var offered: [SemanticVersion]?
    /// Why the binary source could not list its versions, when it could not.
    public var offerError: String?
    /// Whether this process may fetch missing versions (`--auto-download`).
    public var autoDownload: Bool
    /// The versions that failed after an upgrade while the chain asked for this target: not chosen
    /// while what runs meets the chain's minimum.
    public var bad: Set<SemanticVersion>
    /// The marks behind `bad`.
    public var marks: [StoreState.BadVersion]
    /// When nothing else meets the chain's minimum and the plan takes a version marked bad anyway:
    /// the sentence that says so, naming the mark.
    public private(set) var markOverride: String?
    /// The source's chain id differs from `--chain-id`: the message says both.
    public var chainMismatch: String?
    /// The version decision.
    public private(set) var decision: UpgradeDecision
    /// The step to take.
    public private(set) var step: CheckStep

    /// Computes the plan from what was found.
    public init(
        reading: VersionReading, role: Role, running: SemanticVersion?, childRunning: Bool, current: SemanticVersion?,
        installed: [SemanticVersion], offered: [SemanticVersion]?, offerError: String? = nil, autoDownload: Bool,
        expectedChainID: String? = nil, state: StoreState = StoreState()
    ) {
        self.reading = reading
        self.role = role
        self.requirement = role.requirement(reading.versions)
        self.running = running
        self.childRunning = childRunning
        self.current = current
        self.installed = installed
        self.offered = offered
        self.offerError = offerError
        self.autoDownload = autoDownload
        let target = requirement.target
        self.bad = state.badVersions(whileTargetIs: target)
        self.marks = state.bad.filter { $0.target == target }
        if let expectedChainID, let actual = reading.chainID, actual != expectedChainID {
            chainMismatch =
                "the node at \(reading.location) is on chain '\(actual)' but --chain-id is '\(expectedChainID)'; "
                + "point the version source at a \(expectedChainID) node or fix --chain-id"
        }
        decision = .keep(running ?? requirement.target)
        step = .unchanged(decision)
        decide()
    }

    /// Whether the binary source must be asked: what runs is below the role's target.
    public var needsOffers: Bool { running.map { $0 < requirement.target } ?? true }

    /// The same plan without `version` among the offers (its install failed): the next lower one.
    public func excluding(_ version: SemanticVersion) -> Plan {
        var plan = self
        plan.offered = (offered ?? []).filter { $0 != version }
        plan.installed = installed.filter { $0 != version }
        plan.decide()
        return plan
    }

    /// Why a marked `version` is taken: the mark, and that nothing else meets the minimum.
    private func overrideNote(for version: SemanticVersion) -> String {
        let mark = marks.last { $0.version == version }
        let why = mark.map { " (\($0.reason); rolled back to \($0.rolledBackTo))" } ?? ""
        let below = running.map { "lavap \($0) is below the chain's minimum \(requirement.minimum)" } ?? "no lavap runs"
        return
            "\(version) is marked bad\(why) while the target is \(requirement.target), but \(below) and no other version in "
            + "[\(requirement.minimum), \(requirement.target)] can be had: trying \(version) despite the mark"
    }

    /// The one place where the decision and the step are made.
    private mutating func decide() {
        let candidates = Set(installed).union(offered ?? [])
        decision = UpgradeDecision.decide(running: running, required: requirement, available: candidates.subtracting(bad))
        markOverride = nil
        // A mark must not keep lavap below the chain's minimum for good: when nothing else meets it
        // (what runs is below it, or nothing runs), a marked version is tried after all.
        if case .cannotComply = decision, !bad.isEmpty {
            let despite = UpgradeDecision.decide(running: running, required: requirement, available: candidates)
            if let version = despite.destination, bad.contains(version) {
                decision = despite
                markOverride = overrideNote(for: version)
            }
        }
        if let chainMismatch {
            step = .wrongChain(chainMismatch)
            return
        }
        var goal = decision.destination
        // Never run older than current: a child older than the installed current moves onto it.
        if childRunning, let running, let current, current > running, installed.contains(current), !bad.contains(current),
            goal.map({ $0 < current }) ?? true
        {
            goal = current
        }
        guard let goal else {
            // A restart after a crash, and the next lavavisor, start what current links to: a current
            // that cannot be run, or links to a version marked bad (a rollback that could not switch
            // it back on a full disk), is put back onto what runs, and complies.
            if childRunning, let running, installed.contains(running), running != current,
                current.map({ !installed.contains($0) || bad.contains($0) }) ?? true
            {
                step = .relink(running)
            } else {
                step = .unchanged(decision)
            }
            return
        }
        if !installed.contains(goal) {
            step = autoDownload ? .fetch(goal) : .wait(goal)
        } else if goal == current {
            step = childRunning ? .restart(goal) : .unchanged(decision)
        } else {
            step = .switchTo(goal)
        }
    }
}
