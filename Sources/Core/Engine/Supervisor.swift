import Foundation
public import Logging

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

    /// Builds a supervisor.
    public init(monitor: Monitor, backend: any ProcessBackend, pollInterval: Duration, logger: Logger) {
        self.monitor = monitor
        self.backend = backend
        self.pollInterval = pollInterval
        self.logger = logger
    }

    private enum Event: Sendable {
        case installed
        case exited(ProcessExit)
        case signal(Int32)
        case idle
    }

    /// Runs until the managed processes end; returns the exit status lavavisor should end with.
    ///
    /// One task group holds every concurrent part, and `signals` is consumed by one task only.
    public func run(signals: AsyncStream<Int32>) async throws -> Int32 {
        let (monitor, backend, pollInterval, logger) = (self.monitor, self.backend, self.pollInterval, self.logger)
        return try await withThrowingTaskGroup(of: Event.self) { group in
            group.addTask {
                for await number in signals { return .signal(number) }
                return .idle
            }
            group.addTask {
                try await Self.waitUntilInstalled(monitor: monitor, pollInterval: pollInterval, logger: logger)
                return .installed
            }
            var started = false
            while let event = try await group.next() {
                switch event {
                case .installed:
                    try await backend.start()
                    started = true
                    group.addTask { .exited(await backend.waitForExit()) }
                    group.addTask {
                        await monitor.run(every: pollInterval) { version in
                            do { try await backend.restart() } catch {
                                logger.error("cannot restart lavap on \(version)", metadata: ["error": "\(error)"])
                            }
                        }
                        return .idle
                    }
                case .signal(let number):
                    group.cancelAll()
                    guard started else {
                        logger.info("received signal \(number) before lavap started; exiting")
                        return 128 + number
                    }
                    logger.info("received signal \(number); stopping lavap gracefully")
                    await backend.stop()
                case .exited(let exit):
                    group.cancelAll()
                    logger.info("lavap ended with \(exit); lavavisor exits with status \(exit.shellStatus)")
                    return exit.shellStatus
                case .idle:
                    continue
                }
            }
            return 0
        }
    }

    /// Checks once, then every poll until `current/lavap` exists; refuses a node on another chain.
    private static func waitUntilInstalled(monitor: Monitor, pollInterval: Duration, logger: Logger) async throws {
        while true {
            if case .wrongChain(let message) = await monitor.check() { throw OptionError("refusing to start: \(message)") }
            if monitor.store.isInstalledCurrent { return }
            logger.warning(
                "no lavap is installed yet; checking again in \(pollInterval)", metadata: ["store": "\(monitor.store.root.path)"])
            try await Task.sleep(for: pollInterval)
        }
    }
}

extension Store {
    /// Whether `current/lavap` is an executable file.
    public var isInstalledCurrent: Bool {
        FileManager.default.isExecutableFile(atPath: currentBinary.path)
    }
}
