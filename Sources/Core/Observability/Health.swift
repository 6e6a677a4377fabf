import Synchronization

/// Whether lavavisor is doing its job, for Kubernetes' probes.
///
/// Ready (`/readyz`, and `/healthz`): the child runs, on a version that meets the chain's minimum
/// as far as the last check knows, and the last version check succeeded recently (within three
/// poll intervals) or one is running now (a long download, for at most `longestCheck`: a stalled
/// one ends at its idle timeout), so that a pod serving relays is not taken out of service while
/// it fetches a release. Live (`/livez`): lavavisor's checks go on, whatever they find: a node
/// that is down makes a pod not ready, never restarted while its lavap serves.
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
        var lastAttempt: ContinuousClock.Instant?
        var running: SemanticVersion?
        var minimum: SemanticVersion?
    }
    private let state = Mutex(State())

    /// A version check succeeded now.
    public func checkSucceeded(now: ContinuousClock.Instant = .now) { state.withLock { $0.lastCheck = now } }

    /// A version check (with what it installs or fetches ahead) started, or ended.
    public func checking(_ running: Bool, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.checkingSince = running ? now : nil
            if !running { state.lastAttempt = now }
        }
    }

    /// The chain's minimum for the supervised role, as the last check read it.
    public func required(minimum: SemanticVersion) { state.withLock { $0.minimum = minimum } }

    /// The least time without a check that makes lavavisor not alive: a restart stops a lavap
    /// that may serve, so a short `--poll-interval` on a loaded machine must not cause one.
    public static let shortestLivenessWindow: Duration = .seconds(60)

    /// nil when lavavisor's checks go on (one ended within three poll intervals, and at least
    /// `shortestLivenessWindow`, or one runs, for at most `longestCheck`), else the one-line reason.
    public func liveness(now: ContinuousClock.Instant = .now) -> String? {
        state.withLock { state in
            let window = max(state.pollInterval * 3, Self.shortestLivenessWindow)
            if let since = state.checkingSince { return Self.runningCheckProblem(since: since, now: now) }
            let last = state.lastAttempt ?? state.started
            let age = now - last
            return age <= window ? nil : "no version check has ended for \(age.brief) (more than \(window.brief))"
        }
    }

    /// The child started (on `version`, when known) or ended.
    public func child(running: Bool, version: SemanticVersion? = nil) {
        state.withLock { state in
            state.childRunning = running
            if running, let version { state.running = version }
        }
    }

    /// nil when ready, else the one-line reason.
    public func problem(now: ContinuousClock.Instant = .now) -> String? {
        state.withLock { state in
            guard state.childRunning else { return "lavap is not running" }
            if let running = state.running, let minimum = state.minimum, running < minimum {
                return "lavap \(running) is below the chain's minimum \(minimum)"
            }
            let window = state.pollInterval * 3
            if let since = state.checkingSince { return Self.runningCheckProblem(since: since, now: now) }
            guard let last = state.lastCheck else {
                return now - state.started < window ? nil : "no version check has succeeded yet (for \((now - state.started).brief))"
            }
            let age = now - last
            return age <= window ? nil : "the last successful version check was \(age.brief) ago (more than 3 poll intervals)"
        }
    }

    /// nil for a check running since `since` for at most `longestCheck`, else the one-line reason.
    private static func runningCheckProblem(since: ContinuousClock.Instant, now: ContinuousClock.Instant) -> String? {
        let running = now - since
        return running <= longestCheck ? nil : "a version check has been running for \(running.brief) (more than \(longestCheck.brief))"
    }
}
