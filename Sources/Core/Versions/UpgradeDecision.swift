/// What the monitor should do, given what runs, what the chain demands and what can be had.
public enum UpgradeDecision: Sendable, Hashable, CustomStringConvertible {
    /// The running version complies; nothing to do.
    case keep(SemanticVersion)
    /// Move to the chain's target version.
    case upgrade(to: SemanticVersion)
    /// The target cannot be had; move to the best version that can, within [minimum, target].
    case fallback(to: SemanticVersion, target: SemanticVersion)
    /// No version that complies can be had; the reason says why and what to do.
    case cannotComply(reason: String)

    /// The version to install and switch to, if any.
    public var destination: SemanticVersion? {
        switch self {
        case .upgrade(let version), .fallback(let version, _): version
        case .keep, .cannotComply: nil
        }
    }

    public var description: String {
        switch self {
        case .keep(let version): "keep \(version)"
        case .upgrade(let version): "upgrade to \(version)"
        case .fallback(let version, let target): "fall back to \(version) (target \(target) unavailable)"
        case .cannotComply(let reason): "cannot comply: \(reason)"
        }
    }

    /// Decides, as a pure function, and never downgrades.
    ///
    /// - `running`: the version the managed binary reports, or nil when unknown (no binary yet, or
    ///   one too old to have `lavap version`).
    /// - `required`: the target and minimum of the role (see `Role.requirement`).
    /// - `available`: every version that is installed or can be acquired.
    public static func decide(
        running: SemanticVersion?, required: VersionRequirement, available: some Collection<SemanticVersion>
    ) -> UpgradeDecision {
        let target = required.target
        let floor = required.minimum
        if let running, running >= target { return .keep(running) }
        if available.contains(target) { return .upgrade(to: target) }
        // The best version that is still in protocol and better than what runs.
        let candidates = available.filter { version in
            version >= floor && version < target && running.map { version > $0 } ?? true
        }
        if let best = candidates.max() { return .fallback(to: best, target: target) }
        if let running, running >= floor { return .keep(running) }
        let have = available.isEmpty ? "none" : available.sorted().map(\.description).joined(separator: ", ")
        let what = running.map { "running \($0) is below the minimum \(floor)" } ?? "no version is running"
        return .cannotComply(
            reason:
                "\(what), and no version in [\(floor), \(target)] can be had (available: \(have)); "
                + "make one available to the binary source or check the version source")
    }
}
