import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The `wrap` engine: make sure a binary is installed, start the backend, then check the versions
/// every poll and restart on a switch, until the processes end or a signal asks lavavisor to stop.
public struct Supervisor: Sendable {
    /// The version checks.
    public let monitor: Monitor
    /// The processes.
    public let backend: any ProcessBackend
    /// The time between two checks.
    public let pollInterval: Duration
    /// The logger.
    public let logger: Logger
    /// Called after each restart onto a new version (`--auto-prune`), which checks what then runs.
    public let afterUpgrade: (@Sendable (SemanticVersion) async -> Void)?
    /// Called once lavap has started and after each restart: the command-line tool releases its
    /// start-up pages there (`Footprint`), which a process hosting other work must not do.
    public let afterStart: (@Sendable () -> Void)?

    /// Builds a supervisor.
    public init(
        monitor: Monitor, backend: any ProcessBackend, pollInterval: Duration, logger: Logger,
        afterUpgrade: (@Sendable (SemanticVersion) async -> Void)? = nil, afterStart: (@Sendable () -> Void)? = nil
    ) {
        self.monitor = monitor
        self.backend = backend
        self.pollInterval = pollInterval
        self.logger = logger
        self.afterUpgrade = afterUpgrade
        self.afterStart = afterStart
    }

    private enum Event: Sendable {
        case installed
        case refused(SupervisorError)
        case exited(ProcessExit)
        case signal(Int32)
    }

    /// Runs until the managed processes end; returns the exit status lavavisor should end with.
    ///
    /// SIGTERM and SIGINT stop the processes gracefully; a second one during the grace period kills
    /// them at once; other signals are forwarded as they are. When this returns, no version check
    /// runs any more and no process is left running.
    public func run(signals: AsyncStream<Int32>) async throws -> Int32 {
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        var checks: Task<Void, Never>?
        // No check may restart anything once the supervisor is done, and nothing may be left running.
        func finish() async {
            checks?.cancel()
            await checks?.value
            await backend.stop()
        }
        do {
            let status = try await loop(events, sink: sink, signals: signals, checks: &checks)
            await finish()
            return status
        } catch {
            await finish()
            throw error
        }
    }

    private func loop(
        _ events: AsyncStream<Event>, sink: AsyncStream<Event>.Continuation, signals: AsyncStream<Int32>,
        checks: inout Task<Void, Never>?
    ) async throws -> Int32 {
        let (monitor, backend, pollInterval, logger) = (self.monitor, self.backend, self.pollInterval, self.logger)
        let (afterUpgrade, afterStart) = (self.afterUpgrade, self.afterStart)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            defer { group.cancelAll() }
            group.addTask {
                for await number in signals { sink.yield(.signal(number)) }
            }
            group.addTask {
                do {
                    try await Self.waitUntilInstalled(monitor: monitor, pollInterval: pollInterval, logger: logger)
                    sink.yield(.installed)
                } catch let error as SupervisorError {
                    sink.yield(.refused(error))
                } catch {}
            }
            var started = false
            var stopping = false
            for await event in events {
                switch event {
                case .installed:
                    guard !stopping else { continue }
                    await backend.onFailedUpgrade { failed in await monitor.rollBack(failed) }
                    await backend.onCrashLoop { version, reason in await monitor.fallBack(from: version, reason: reason) }
                    try await backend.start()
                    started = true
                    afterStart?()
                    group.addTask { sink.yield(.exited(await backend.waitForExit())) }
                    checks = Task {
                        await monitor.run(every: pollInterval, child: { await backend.runningVersion }) { version in
                            do {
                                try await backend.restart()
                                afterStart?()
                                await afterUpgrade?(version)
                            } catch {
                                logger.error("cannot restart lavap on \(version)", metadata: ["error": "\(error)"])
                            }
                        }
                    }
                case .refused(let error):
                    throw error
                case .signal(let number) where number == SIGTERM || number == SIGINT:
                    guard started else {
                        logger.info("received signal \(number) before lavap started; exiting")
                        return 128 + number
                    }
                    checks?.cancel()
                    if stopping {
                        logger.warning("received signal \(number) again while stopping; killing lavap now")
                        await backend.kill()
                    } else {
                        stopping = true
                        // The child is asked first and the log line written after: the signal does not wait for the log.
                        group.addTask { await backend.stop(with: number) }
                        logger.info("received signal \(number); stopping lavap gracefully (send it again to kill at once)")
                    }
                case .signal(let number):
                    guard started else { continue }
                    await backend.signal(number)
                    logger.info("forwarded signal \(number) to lavap")
                case .exited(let exit):
                    logger.info("lavap ended with \(exit); lavavisor exits with status \(exit.shellStatus)")
                    return exit.shellStatus
                }
            }
            return 0
        }
    }

    /// Checks once, then every poll until `current/lavap` exists; refuses a node on another chain.
    /// The wait is logged as a warning once, then at debug on each poll.
    private static func waitUntilInstalled(monitor: Monitor, pollInterval: Duration, logger: Logger) async throws {
        var level = Logger.Level.warning
        while true {
            if case .wrongChain(let message) = await monitor.check() { throw SupervisorError.refused(message) }
            if monitor.store.isInstalledCurrent { return }
            logger.log(
                level: level, "no lavap is installed yet; checking again every \(pollInterval.brief)",
                metadata: ["store": "\(monitor.store.root.path)"])
            level = .debug
            try await Task.sleep(for: pollInterval)
        }
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
    /// Whether `current/lavap` is an executable file.
    public var isInstalledCurrent: Bool {
        FileManager.default.isExecutableFile(atPath: currentBinary.path)
    }
}
