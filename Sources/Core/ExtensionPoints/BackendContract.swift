/// What the supervisor asks of a running backend (`ProcessBackend.run`).
public enum BackendCommand: Sendable, Equatable {
    /// Stop gracefully and start again on what `current` links to now (after a switch, or when the
    /// processes run behind `current`). Always answered by an event: `started`, `startFailed`, or
    /// the end of `run`.
    case restart
    /// Stop gracefully, asking with this signal (SIGTERM, or the SIGINT an operator sent), then
    /// SIGKILL after the stop timeout; `run` then returns.
    case stop(Int32)
    /// End at once (a second Ctrl-C during a stop); `run` then returns.
    case kill
    /// Pass on a signal that is not a stop request (SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2).
    case forward(Int32)
}

/// What a backend tells the supervisor while it runs.
public enum BackendEvent: Sendable, Equatable {
    /// The processes run this version now.
    case started(SemanticVersion)
    /// The processes ended (by themselves, or stopped for a restart); nothing runs until the next
    /// `started`, or the end of `run`.
    case ended(ProcessExit)
    /// The processes could not be started on this version (nil: `current` links to none); what runs
    /// is not known. The supervisor asks for a `restart` at its next check.
    case startFailed(SemanticVersion?, reason: String)
    /// The version just upgraded to failed on probation. The supervisor answers with the version
    /// to run instead, after rolling back to it (marked bad, `current` switched), or nil: none.
    case upgradeFailed(FailedUpgrade)
    /// A version that no probation judged is in a crash loop. The supervisor answers with the
    /// version to run instead, or nil: none.
    case crashLoop(SemanticVersion, reason: String)
}

/// The supervisor's side of the events. `upgradeFailed` and `crashLoop` are answered with the
/// version to start instead (nil: none); every other event is answered nil.
public typealias BackendEvents = @Sendable (BackendEvent) async -> SemanticVersion?

/// What a backend can do. What it lacks is declared here, never faked: the supervisor and the
/// operator's log then say what is not done.
public struct BackendCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Its processes end when it is told to `stop` or `kill` them (direct children). Without it,
    /// they outlive lavavisor (services of another manager): `stop` and `kill` only end `run`.
    public static let stopsProcesses = BackendCapabilities(rawValue: 1 << 0)
    /// It passes signals on to its processes (`forward`).
    public static let forwardsSignals = BackendCapabilities(rawValue: 1 << 1)
    /// It sees its processes end: it reports `ended`, and `run` returns when they end for good.
    public static let watchesProcesses = BackendCapabilities(rawValue: 1 << 2)
    /// It judges an upgrade by how the new version runs and a crash loop by its count: it reports
    /// `upgradeFailed` and `crashLoop`, so that the supervisor rolls back.
    public static let judgesUpgrades = BackendCapabilities(rawValue: 1 << 3)
}
