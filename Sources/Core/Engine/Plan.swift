/// What one check found and what it will do, computed in one place: the monitor carries it out and
/// `status` prints it, so the two can never disagree.
///
/// The plan compares the chain's versions for the role with what *this* process's child runs (or,
/// before a child runs, with what `current/lavap` reports), never with the link alone: another
/// lavavisor on the same directory may have switched `current` already, and a child older than
/// `current` is moved onto it.
public struct Plan: Sendable, Equatable {
    /// The step the plan takes.
    public enum Action: Sendable, Hashable, CustomStringConvertible {
        /// Nothing to do: what runs complies, or nothing that complies can be had (see the decision).
        case none
        /// The version source is on another chain than `--chain-id`; the message says both.
        case refuse(String)
        /// Fetch and install this version, switch `current` to it, restart.
        case fetch(SemanticVersion)
        /// This version is needed, but this process may not fetch it: wait for one that may.
        case wait(SemanticVersion)
        /// This version is installed: switch `current` to it, restart.
        case switchTo(SemanticVersion)
        /// `current` already links to this version but the child runs an older one: restart it.
        case restart(SemanticVersion)
        /// `current` cannot be run (it dangles, links outside the store, or is gone) or links to a
        /// version marked bad, while the child runs this installed version, which complies: link
        /// `current` to it again, no restart.
        case relink(SemanticVersion)

        /// The version the step moves to, if any.
        public var version: SemanticVersion? {
            switch self {
            case .fetch(let version), .wait(let version), .switchTo(let version), .restart(let version), .relink(let version):
                version
            case .none, .refuse: nil
            }
        }

        public var description: String {
            switch self {
            case .none: "nothing to do"
            case .refuse(let message): "refuse: \(message)"
            case .fetch(let version): "fetch \(version), switch current to it and restart lavap"
            case .wait(let version): "wait for a lavavisor with --auto-download to install \(version)"
            case .switchTo(let version): "switch current to the installed \(version) and restart lavap"
            case .restart(let version): "restart lavap on \(version), which current already links to"
            case .relink(let version): "link current again to \(version), which runs (current cannot be run, or is marked bad); no restart"
            }
        }
    }

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
    public private(set) var action: Action

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
        action = .none
        decide()
    }

    /// Whether the binary source must be asked: what runs is below the role's target.
    public var needsOffers: Bool {
        guard let running else { return true }
        return running < requirement.target
    }

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
            action = .refuse(chainMismatch)
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
                action = .relink(running)
            } else {
                action = .none
            }
            return
        }
        if !installed.contains(goal) {
            action = autoDownload ? .fetch(goal) : .wait(goal)
        } else if goal == current {
            action = childRunning ? .restart(goal) : .none
        } else {
            action = .switchTo(goal)
        }
    }
}
