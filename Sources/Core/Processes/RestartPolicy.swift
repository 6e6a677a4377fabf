/// When a supervised process that ended by itself is started again, how long lavavisor waits
/// first, and when restarting has become a crash loop.
///
/// The first restart comes at once; each further one waits twice as long as the one before (1 s,
/// 2 s, 4 s …) up to `maxDelay`, with ±10 % jitter. A process that stayed up for `resetAfter`
/// starts the count again. More than `crashLoopLimit` failures in a row, each inside that window,
/// is a crash loop: the backend stops and lavavisor exits non-zero, so that a container platform or
/// systemd takes over.
public struct RestartPolicy: Sendable, Hashable {
    /// Which ends call for a restart.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Every end that lavavisor did not ask for.
        case always
        /// Every end but a clean exit (status 0).
        case onFailure = "on-failure"
        /// None: the end of the process ends lavavisor, with its status.
        case never
    }

    /// The default longest wait between two restarts (`--restart-max-delay`).
    public static let defaultMaxDelay: Duration = .seconds(30)
    /// The default time a process must stay up for the count to start again (`--restart-reset-after`).
    public static let defaultResetAfter: Duration = .seconds(60)
    /// The default number of failures in a row that is still not a crash loop (`--crash-loop-limit`).
    public static let defaultCrashLoopLimit = 10
    /// The wait before the second restart in a row; it doubles for each further one.
    public static let firstBackoff: Duration = .seconds(1)
    /// No restart at all.
    public static let never = RestartPolicy(mode: .never)

    /// Which ends call for a restart.
    public var mode: Mode
    /// The longest wait between two restarts.
    public var maxDelay: Duration
    /// How long a process must stay up for the count of failures to start again.
    public var resetAfter: Duration
    /// How many failures in a row are still restarted.
    public var crashLoopLimit: Int

    /// A policy; the defaults restart always, up to 30 s apart, reset after 60 s, 10 failures allowed.
    public init(
        mode: Mode = .always, maxDelay: Duration = defaultMaxDelay, resetAfter: Duration = defaultResetAfter,
        crashLoopLimit: Int = defaultCrashLoopLimit
    ) {
        self.mode = mode
        self.maxDelay = maxDelay
        self.resetAfter = resetAfter
        self.crashLoopLimit = max(1, crashLoopLimit)
    }

    /// Whether this end calls for a restart.
    public func wantsRestart(after exit: ProcessExit) -> Bool {
        switch mode {
        case .always: true
        case .onFailure: exit != .exited(0)
        case .never: false
        }
    }

    /// The wait before the `number`th restart in a row (from 1), before jitter: 0, 1 s, 2 s, 4 s … `maxDelay`.
    public func delay(beforeRestart number: Int) -> Duration {
        guard number > 1 else { return .zero }
        var delay = Self.firstBackoff
        for _ in 2..<min(number, 40) where delay < maxDelay { delay *= 2 }
        return min(delay, maxDelay)
    }
}

/// The failures of one supervised process in a row: what to do after each end.
public struct RestartHistory: Sendable, Equatable {
    /// What to do after an end.
    public enum Step: Sendable, Equatable {
        /// Start it again after this wait; this is restart number `number` in a row.
        case restart(after: Duration, number: Int)
        /// Do not: the policy does not restart this end.
        case stop
        /// Do not: this many failures in a row, each inside the reset window.
        case crashLoop(failures: Int)
    }

    /// Failures in a row since the count last started again.
    public private(set) var failures = 0

    /// An empty history.
    public init() {}

    /// Records an end after `uptime` and says what to do; `jitter` (0.9 to 1.1) scales the wait.
    public mutating func next(after exit: ProcessExit, uptime: Duration, policy: RestartPolicy, jitter: Double = 1) -> Step {
        guard policy.wantsRestart(after: exit) else { return .stop }
        if uptime >= policy.resetAfter { failures = 0 }
        failures += 1
        guard failures <= policy.crashLoopLimit else { return .crashLoop(failures: failures) }
        let delay = policy.delay(beforeRestart: failures)
        return .restart(after: min(policy.maxDelay, delay * jitter), number: failures)
    }
}
