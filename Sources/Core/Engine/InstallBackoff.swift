/// How long the monitor leaves a version alone after its install failed: `first` after the first
/// failure, twice as long after each further one in a row, at most `cap`. A corrupt asset, a 404
/// or a full disk must not turn every check into another download.
public struct InstallBackoff: Sendable, Equatable {
    /// The wait after the first failure.
    public var first: Duration
    /// The longest wait.
    public var cap: Duration

    /// 15 s (the default poll interval), doubling up to 10 minutes.
    public static let standard = InstallBackoff(first: .seconds(15), cap: .seconds(600))

    /// A backoff from `first` up to `cap`.
    public init(first: Duration, cap: Duration) {
        self.first = first
        self.cap = cap
    }

    /// The wait after `failures` failures in a row (1 or more).
    public func delay(afterFailures failures: Int) -> Duration {
        var delay = first
        for _ in 1..<max(failures, 1) {
            guard delay < cap else { break }
            delay = delay * 2
        }
        return min(delay, cap)
    }
}

/// The failed installs one monitor remembers, per version; all are forgotten when the chain's
/// target changes, one when its version is installed.
struct InstallFailures: Sendable {
    struct Entry: Sendable {
        var failures: Int
        var nextAttempt: ContinuousClock.Instant
    }

    /// The target the entries were recorded under.
    var target: SemanticVersion?
    var entries: [SemanticVersion: Entry] = [:]

    /// Forgets every entry when `target` is not the one they were recorded under.
    mutating func follow(target: SemanticVersion) {
        guard target != self.target else { return }
        self.target = target
        entries = [:]
    }

    /// How long `version` is still left alone at `now`; nil when it may be fetched.
    func remaining(for version: SemanticVersion, at now: ContinuousClock.Instant) -> Duration? {
        guard let entry = entries[version], entry.nextAttempt > now else { return nil }
        return entry.nextAttempt - now
    }

    /// Records a failure of `version` at `now`; returns the wait before the next attempt.
    mutating func failed(_ version: SemanticVersion, at now: ContinuousClock.Instant, backoff: InstallBackoff) -> Duration {
        let failures = (entries[version]?.failures ?? 0) + 1
        let delay = backoff.delay(afterFailures: failures)
        entries[version] = Entry(failures: failures, nextAttempt: now + delay)
        return delay
    }
}
