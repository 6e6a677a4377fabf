import Synchronization

/// Whether lavavisor is doing its job, for `/healthz` (Kubernetes' liveness and readiness probes):
/// the child runs and the last version check succeeded recently (within three poll intervals).
public final class Health: Sendable {
    /// The process's health.
    public static let shared = Health()

    private struct State {
        var childRunning = false
        var lastCheck: ContinuousClock.Instant?
        var pollInterval: Duration = Monitor.defaultPollInterval
        var started = ContinuousClock.now
    }
    private let state = Mutex(State())

    /// The poll interval the checks run at.
    public func polling(every interval: Duration) { state.withLock { $0.pollInterval = interval } }

    /// A version check succeeded now.
    public func checkSucceeded() { state.withLock { $0.lastCheck = .now } }

    /// The child started or ended.
    public func child(running: Bool) { state.withLock { $0.childRunning = running } }

    /// nil when healthy, else the one-line reason.
    public func problem(now: ContinuousClock.Instant = .now) -> String? {
        state.withLock { state in
            guard state.childRunning else { return "lavap is not running" }
            let window = state.pollInterval * 3
            guard let last = state.lastCheck else {
                return now - state.started < window ? nil : "no version check has succeeded yet (for \((now - state.started).brief))"
            }
            let age = now - last
            return age <= window ? nil : "the last successful version check was \(age.brief) ago (more than 3 poll intervals)"
        }
    }
}
