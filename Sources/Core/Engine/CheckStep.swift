/// The step of one check: what a `Plan` will do, and what `Monitor.check` did. One vocabulary for
/// the plan, the check, the supervisor, `status`, `ctl` and the metrics.
public enum CheckStep: Sendable, Hashable, CustomStringConvertible {
    /// Nothing changes; the decision says why (what runs complies, nothing that complies can be
    /// had, or a move waits: paused, pinned, spread out, held by the pre-switch hook).
    case unchanged(UpgradeDecision)
    /// The version source is on another chain than `--chain-id`; the message says both.
    case wrongChain(String)
    /// Fetch and install this version, switch `current` to it, restart. A plan's step only: the
    /// check that fetches goes on to `switchTo`.
    case fetch(SemanticVersion)
    /// This version is needed, but this process may not fetch it: wait for one that may.
    case wait(SemanticVersion)
    /// Switch `current` to this installed version and restart lavap on it.
    case switchTo(SemanticVersion)
    /// `current` already links to this version but the child runs an older one: restart it.
    case restart(SemanticVersion)
    /// `current` cannot be run (it dangles, links outside the store, or is gone) or links to a
    /// version marked bad, while the child runs this installed version, which complies: link
    /// `current` to it again, no restart.
    case relink(SemanticVersion)
    /// The check failed (a read, an install, a switch); the message says why. A check's only.
    case failed(String)

    /// The version the step moves to, if any.
    public var version: SemanticVersion? {
        switch self {
        case .fetch(let version), .wait(let version), .switchTo(let version), .restart(let version), .relink(let version):
            version
        case .unchanged, .wrongChain, .failed: nil
        }
    }

    /// The version lavap must be restarted on after the check: a switch, or a child behind `current`.
    public var restartVersion: SemanticVersion? {
        switch self {
        case .switchTo(let version), .restart(let version): version
        default: nil
        }
    }

    /// Whether the check read the chain's versions from the right chain (it did not fail, nor refuse).
    public var readTheChain: Bool {
        switch self {
        case .failed, .wrongChain: false
        default: true
        }
    }

    public var description: String {
        switch self {
        case .unchanged(let decision): "\(decision)"
        case .wrongChain(let message): "refuse: \(message)"
        case .fetch(let version): "fetch \(version), switch current to it and restart lavap"
        case .wait(let version): "wait for a lavavisor with --auto-download to install \(version)"
        case .switchTo(let version): "switch current to the installed \(version) and restart lavap"
        case .restart(let version): "restart lavap on \(version), which current already links to"
        case .relink(let version): "link current again to \(version), which runs (current cannot be run, or is marked bad); no restart"
        case .failed(let reason): "the check failed: \(reason)"
        }
    }
}
