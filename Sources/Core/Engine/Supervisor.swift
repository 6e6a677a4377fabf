import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The supervising engine (`wrap`, `pod`, `start`): makes sure a binary is installed, runs the
/// backend, checks the versions every poll and asks the backend for a restart when a check says
/// so, and reacts to what the backend reports (a failed upgrade is rolled back, a crash loop above
/// the target falls back), until the processes end or a signal asks lavavisor to stop.
public struct Supervisor: Sendable {
    /// The version checks.
    public let monitor: Monitor
    /// The processes.
    public let backend: any ProcessBackend
    /// What the backend reported: the version its processes run.
    public let status: BackendStatus
    /// The time between two checks.
    public let pollInterval: Duration
    /// The logger.
    public let logger: Logger
    /// Called after each restart onto a new version (`--auto-prune`), which checks what then runs.
    public let afterUpgrade: (@Sendable (SemanticVersion) async -> Void)?
    /// Called each time lavap has started: the command-line tool releases its start-up pages there
    /// (`Footprint`), which a process hosting other work must not do.
    public let afterStart: (@Sendable () -> Void)?
    /// The lavavisor command and what it supervises, as `lavavisor ctl` lists it (`wrap: lavap
    /// rpcprovider …`); nil: no control socket.
    public let controlCommand: String?

    /// Builds a supervisor.
    public init(
        monitor: Monitor, backend: any ProcessBackend, status: BackendStatus = BackendStatus(), pollInterval: Duration,
        logger: Logger, afterUpgrade: (@Sendable (SemanticVersion) async -> Void)? = nil, afterStart: (@Sendable () -> Void)? = nil,
        controlCommand: String? = nil
    ) {
        self.controlCommand = controlCommand
        self.monitor = monitor
        self.backend = backend
        self.status = status
        self.pollInterval = pollInterval
        self.logger = logger
        self.afterUpgrade = afterUpgrade
        self.afterStart = afterStart
    }

    private enum Event: Sendable {
        case installed
        case exited(ProcessExit)
        case failed(any Error)
        case signal(Int32)
    }

    /// The backend's run, its commands and the checks, once a binary is installed.
    private struct Session {
        let commands: AsyncStream<BackendCommand>.Continuation
        let backend: Task<Void, Never>
        let checks: Task<Void, Never>

        /// No check may restart anything any more, and the backend has stopped.
        func end() async {
            checks.cancel()
            await checks.value
            commands.yield(.stop(SIGTERM))
            await backend.value
            commands.finish()
        }
    }

    /// Runs until the managed processes end; returns the exit status lavavisor should end with.
    ///
    /// SIGTERM and SIGINT stop the processes gracefully; a second one during the grace period kills
    /// them at once; other signals are forwarded as they are (by a backend that can). When this
    /// returns, no version check runs any more and the backend's `run` has returned.
    public func run(signals: AsyncStream<Int32>) async throws -> Int32 {
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let forwarding = Task { for await number in signals { sink.yield(.signal(number)) } }
        let installing = Task {
            do {
                try await waitUntilInstalled()
                sink.yield(.installed)
            } catch let error as SupervisorError {
                sink.yield(.failed(error))
            } catch {}
        }
        defer {
            forwarding.cancel()
            installing.cancel()
        }
        // Made before anything else: `ctl status` answers while lavavisor waits for an install too.
        let controlServer = await startControl()
        var session: Session?
        let status: Result<Int32, any Error>
        do { status = .success(try await loop(events, sink: sink, session: &session)) } catch { status = .failure(error) }
        await session?.end()
        await controlServer?.stop()
        return try status.get()
    }

    private func loop(_ events: AsyncStream<Event>, sink: AsyncStream<Event>.Continuation, session: inout Session?) async throws -> Int32 {
        let capabilities = type(of: backend).capabilities
        var stopping = false
        for await event in events {
            switch event {
            case .installed:
                session = begin(sink: sink)
            case .failed(let error):
                throw error
            case .signal(let number) where number == SIGTERM || number == SIGINT:
                guard let running = session else {
                    logger.info("received signal \(number) before lavap started; exiting")
                    return 128 + number
                }
                running.checks.cancel()
                if stopping {
                    logger.warning("received signal \(number) again while stopping; killing lavap now")
                    running.commands.yield(.kill)
                } else {
                    stopping = true
                    // The backend is asked first and the log line written after: the signal does not wait for the log.
                    running.commands.yield(.stop(number))
                    if capabilities.contains(.stopsProcesses) {
                        logger.info("received signal \(number); stopping lavap gracefully (send it again to kill at once)")
                    }
                }
            case .signal(let number):
                guard let running = session else { continue }
                if capabilities.contains(.forwardsSignals) {
                    running.commands.yield(.forward(number))
                    logger.info("forwarded signal \(number) to lavap")
                } else {
                    logger.warning(
                        "signal \(number) is not forwarded: the \(type(of: backend).id) backend's processes are not lavavisor's children")
                }
            case .exited(let exit):
                logger.info("lavap ended with \(exit); lavavisor exits with status \(exit.shellStatus)")
                return exit.shellStatus
            }
        }
        return 0
    }

    /// Runs the backend and the checks: a check that wants a restart asks the backend for one (one
    /// at a time), and a backend's report gets the supervisor's reaction.
    private func begin(sink: AsyncStream<Event>.Continuation) -> Session {
        let backendType = type(of: backend)
        if !backendType.capabilities.contains(.judgesUpgrades) {
            logger.info(
                "the \(backendType.id) backend does not judge upgrades: a version that fails after an upgrade is not rolled back by lavavisor"
            )
        }
        let (commands, send) = AsyncStream.makeStream(of: BackendCommand.self)
        // The checks begin once the first start is answered: a check while the backend still
        // starts (stopping a killed lavavisor's leftover can take the stop timeout) would ask for a
        // restart of what is not running yet.
        let (firstStart, started) = AsyncStream.makeStream(of: Void.self)
        let react: BackendEvents = { event in
            switch event {
            case .started(let version):
                started.finish()
                afterStart?()
                // Told here, for every backend (a child, a pod, systemd's services): the one place
                // that hears each start and end.
                Telemetry.childStarted(version)
                Telemetry.crashLoop(false)
                monitor.health?.child(running: true, version: version)
                if await status.started(version) {
                    if let hooks = monitor.hooks {
                        let logger = monitor.logger
                        Task { await hooks.run(.postUpgrade, from: nil, to: version, reason: "lavap \(version) runs", logger: logger) }
                    }
                    await afterUpgrade?(version)
                }
            case .ended:
                Telemetry.childEnded()
                monitor.health?.child(running: false)
                await status.ended()
            case .startFailed:
                started.finish()
                await status.startFailed()
            case .upgradeFailed(let failed):
                return await monitor.rollBack(failed)
            case .crashLoop(let version, let reason):
                Telemetry.crashLoop(true)
                // Awaited (bounded by --hook-timeout): lavavisor may exit right after a crash loop.
                await monitor.hooks?.run(.onCrashLoop, from: version, to: nil, reason: reason, logger: monitor.logger)
                return await monitor.fallBack(from: version, reason: reason)
            }
            return nil
        }
        let running = Task {
            // However the run ends (a stop gets no `.ended`), nothing runs any more.
            defer {
                Telemetry.childEnded()
                monitor.health?.child(running: false)
            }
            do { sink.yield(.exited(try await backend.run(commands: commands, events: react))) } catch { sink.yield(.failed(error)) }
        }
        let checks = Task {
            for await _ in firstStart {}
            await monitor.control.attach(send)  // `ctl restart` and `ctl use` once lavap was started
            guard !Task.isCancelled else { return }
            await monitor.run(every: pollInterval, child: { await status.running }) { outcome in
                switch await status.restart(after: outcome) {
                case .ask: send.yield(.restart)
                case .no: break
                case .alreadyRunning(let version):
                    logger.info("lavap already runs \(version); not restarting it onto the same version")
                }
            }
        }
        return Session(commands: send, backend: running, checks: checks)
    }

    /// Checks once, then every poll until `current` links to an installed version; refuses a node on another chain.
    /// The wait is logged as a warning once, then at debug on each poll.
    /// Before lavap first runs, nothing is served: a check that failed (a node that was down for a
    /// moment) is tried again after 1 s, then twice as long each time, up to the poll interval and
    /// never more than 30 s apart, rather than a whole `--poll-interval` later (which may be an hour).
    private func waitUntilInstalled() async throws {
        var level = Logger.Level.warning
        var wait = min(Duration.seconds(1), pollInterval)
        let longest = min(pollInterval, .seconds(30))
        while true {
            if case .wrongChain(let message) = await monitor.check() { throw SupervisorError.refused(message) }
            if monitor.store.isInstalledCurrent { return }
            var metadata: Logger.Metadata = ["store": "\(monitor.store.root.path)"]
            if let problem = monitor.store.currentProblem() { metadata["current"] = "\(problem)" }
            logger.log(
                level: level, "no lavap is installed yet; checking again in \(wait.brief), then at most every \(longest.brief)",
                metadata: metadata)
            level = .debug
            try await Task.sleep(for: wait)
            wait = min(wait * 2, longest)
        }
    }
}

/// What the supervisor knows of its backend's processes, from the backend's events, and whether a
/// restart it asked for is still unanswered.
public actor BackendStatus {
    /// The version the processes run; nil when nothing runs, or what runs is not known.
    public private(set) var running: SemanticVersion?
    /// A restart was asked for and not answered yet: no second one is asked for meanwhile.
    private var restarting = false
    /// The version a check asked to restart onto, until the processes have started on it.
    private var upgrading: SemanticVersion?
    /// The last start failed: the next check asks for a restart whatever it found.
    private var failedStart = false
    /// The starts and the failed starts so far: `ctl restart` waits for the next one.
    public private(set) var starts = 0
    /// The failed starts so far.
    public private(set) var failedStarts = 0

    /// Nothing known yet.
    public init() {}

    /// The processes run `version`; returns whether this start is the upgrade a check asked for.
    func started(_ version: SemanticVersion) -> Bool {
        running = version
        restarting = false
        failedStart = false
        starts += 1
        defer { upgrading = nil }
        return upgrading != nil
    }

    /// The processes ended (a restart or a backoff may start them again).
    func ended() { running = nil }

    /// A start failed; what runs is not known.
    func startFailed() {
        running = nil
        restarting = false
        upgrading = nil
        failedStart = true
        failedStarts += 1
    }

    /// What a check's outcome asks of the processes.
    enum RestartAnswer {
        /// A restart, now.
        case ask
        /// Nothing.
        case no
        /// Nothing: the processes already run the version the outcome names (a check that read
        /// what ran before the last restart was answered): another restart would be another outage.
        case alreadyRunning(SemanticVersion)
    }

    /// Whether a check's `outcome` asks for a restart now: it names a version to restart onto that
    /// does not run already, or the last start failed (unless the node is on another chain); never
    /// while one is unanswered.
    func restart(after outcome: CheckStep) -> RestartAnswer {
        guard !restarting else { return .no }
        switch outcome {
        case .switchTo(let version), .restart(let version):
            if running == version { return .alreadyRunning(version) }
            upgrading = version
        case .wrongChain: return .no
        default:
            guard failedStart else { return .no }
            upgrading = nil
        }
        restarting = true
        return .ask
    }
}

/// Why supervision could not go on.
public enum SupervisorError: Error, Sendable, CustomStringConvertible {
    /// The version source is on another chain than `--chain-id`.
    case refused(String)

    public var description: String {
        switch self {
        case .refused(let message): "refusing to start: \(message)"
        }
    }
}

extension Store {
    /// Whether `current` links to an installed version of this store, the only thing a child is
    /// started on (a link to a binary elsewhere is not).
    public var isInstalledCurrent: Bool {
        if case .installed = currentLink() { true } else { false }
    }
}
