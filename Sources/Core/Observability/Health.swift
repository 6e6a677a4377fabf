import Synchronization

/// Whether lavavisor is doing its job, for `/healthz` (Kubernetes' liveness and readiness probes):
/// the child runs, and the last version check succeeded recently (within three poll intervals) or
/// one is running now (a long download, for at most `longestCheck`: a stalled one ends at its idle
/// timeout), so that a pod serving relays is not taken out of service while it fetches a release.
///
/// One is made by the supervising command and handed to the monitor (checks), the backend (the
/// child, through `PluginContext.health`) and the metrics server (the probe).
public final class Health: Sendable {
    /// How long a running check keeps lavavisor healthy without a successful one.
    public static let longestCheck: Duration = .seconds(3600)

    /// A health whose checks are expected every `pollInterval`.
    public init(pollInterval: Duration = Monitor.defaultPollInterval) {
        state.withLock { $0.pollInterval = pollInterval }
    }

    private struct State {
        var childRunning = false
        var lastCheck: ContinuousClock.Instant?
        var pollInterval: Duration = Monitor.defaultPollInterval
        var started = ContinuousClock.now
        var checkingSince: ContinuousClock.Instant?
    }
    private let state = Mutex(State())

    /// A version check succeeded now.
    public func checkSucceeded(now: ContinuousClock.Instant = .now) { state.withLock { $0.lastCheck = now } }

    /// A version check (with what it installs or fetches ahead) started, or ended.
    public func checking(_ running: Bool, now: ContinuousClock.Instant = .now) {
        state.withLock { $0.checkingSince = running ? now : nil }
    }

    /// The child started or ended.
    public func child(running: Bool) { state.withLock { $0.childRunning = running } }

    /// nil when healthy, else the one-line reason.
    public func problem(now: ContinuousClock.Instant = .now) -> String? {
        state.withLock { state in
            guard state.childRunning else { return "lavap is not running" }
            let window = state.pollInterval * 3
            if let since = state.checkingSince {
                let running = now - since
                if running <= Self.longestCheck { return nil }
                return "a version check has been running for \(running.brief) (more than \(Self.longestCheck.brief))"
            }
            guard let last = state.lastCheck else {
                return now - state.started < window ? nil : "no version check has succeeded yet (for \((now - state.started).brief))"
            }
            let age = now - last
            return age <= window ? nil : "the last successful version check was \(age.brief) ago (more than 3 poll intervals)"
        }
    }
}
