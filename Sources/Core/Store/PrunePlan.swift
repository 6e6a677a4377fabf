/// Which installed versions `prune` removes, and why it keeps each of the others: a pure function
/// of what is installed, what `current` links to, what running children use, and `--keep`.
///
/// Removed: the versions older than `current` beyond the `keep` newest of them. Kept whatever
/// else holds: `current`; a version a running child uses; a version newer than `current`
/// (installed ahead of an upgrade); the `keep` newest older than `current` (rollback targets).
/// Without a `current` version nothing is removed: nothing is known to be older.
public struct PrunePlan: Sendable, Equatable {
    /// The default `--keep`: one version older than `current`, the rollback target.
    public static let defaultKeep = 1

    /// Why a version stays.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// `current` links to it.
        case current
        /// Running children use it (their pids).
        case running(pids: [Int32])
        /// It is newer than `current`: installed ahead of an upgrade.
        case newerThanCurrent
        /// It is one of the `keep` newest older than `current`: a rollback target.
        case rollback(keep: Int)
        /// `current` links to no version, so none is known to be older.
        case noCurrent
        /// Its install lock is held: a lavavisor is installing it (found when removing, not planned).
        case locked

        public var description: String {
            switch self {
            case .current: "current"
            case .running(let pids): "used by running lavap (pid \(pids.map(String.init).joined(separator: ", ")))"
            case .newerThanCurrent: "newer than current (installed ahead)"
            case .rollback(let keep): "one of the \(keep) newest older than current, kept for a rollback (--keep \(keep))"
            case .noCurrent: "current links to no version, so none is known to be older"
            case .locked: "its install lock is held: a lavavisor is installing it"
            }
        }
    }

    /// A version that stays, and why.
    public struct Kept: Sendable, Equatable {
        /// The version.
        public var version: SemanticVersion
        /// Why it stays.
        public var reason: Reason

        /// A kept version.
        public init(_ version: SemanticVersion, _ reason: Reason) {
            self.version = version
            self.reason = reason
        }
    }

    /// The versions to remove, oldest first.
    public var remove: [SemanticVersion] = []
    /// The versions that stay, oldest first.
    public var kept: [Kept] = []

    /// The plan for `installed` versions; `running` maps a version to the pids of the children using it.
    public init(installed: [SemanticVersion], current: SemanticVersion?, running: [SemanticVersion: [Int32]], keep: Int) {
        let rollbackTargets = Set(installed.filter { current != nil && $0 < current! }.sorted(by: >).prefix(max(0, keep)))
        for version in installed.sorted() {
            let reason: Reason? =
                if let current {
                    if version == current {
                        .current
                    } else if let pids = running[version] {
                        .running(pids: pids.sorted())
                    } else if version > current {
                        .newerThanCurrent
                    } else if rollbackTargets.contains(version) {
                        .rollback(keep: keep)
                    } else {
                        nil
                    }
                } else {
                    .noCurrent
                }
            if let reason { kept.append(Kept(version, reason)) } else { remove.append(version) }
        }
    }

    /// The version each running child uses, with their pids; children whose version is not `X.Y.Z` are left out.
    public static func versions(of children: [ChildRecord]) -> [SemanticVersion: [Int32]] {
        var running: [SemanticVersion: [Int32]] = [:]
        for child in children {
            guard let version = try? SemanticVersion(parsing: child.version) else { continue }
            running[version, default: []].append(child.pid)
        }
        return running
    }
}
