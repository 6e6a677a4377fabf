public import ArgumentParser
public import Core
public import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The `child` process backend (`wrap`): runs the `--cmd` line as a direct child, on the version the
/// store's `current` links to, in its own process group; output passes through untouched.
///
/// Restart and stop are graceful: SIGTERM to the child's group, then SIGKILL after the stop timeout.
/// A child that ends by itself is started again as the restart policy says (backoff, crash loop).
public actor ChildBackend: ProcessBackend {
    public static let id = "child"
    public static let summary = "runs lavap as a direct child (wrap): own process group, SIGTERM then SIGKILL on stop"

    /// The child backend has no flags of its own: it runs `--cmd` with the shared process flags.
    public struct Options: PluginOptions {
        public typealias Owner = ChildBackend
        /// No flags.
        public init() {}
    }

    /// The arguments after `lavap`.
    public nonisolated let arguments: [String]
    /// The store whose `current` version is run.
    public nonisolated let store: Store
    private let stopTimeout: Duration
    private let password: Secret?
    private let restartPolicy: RestartPolicy
    private let logger: Logger

    private var child: ChildProcess?
    private var childVersion: SemanticVersion?
    private var terminating: ChildProcess?
    private var stopping = false
    private var stopSignal = SIGTERM
    private var restarting = false
    private var lastExit: ProcessExit?
    private var finalExit: ProcessExit?
    private var startedAt = ContinuousClock.now
    private var history = RestartHistory()
    private var pendingRestart: Task<Void, Never>?
    private let records: ChildRecordFile
    private var claim: FileLock?
    private var waiters: [CheckedContinuation<ProcessExit, Never>] = []

    /// A backend running the store's `current` version with `arguments`; a child that ends by itself
    /// is started again as `restart` says.
    public init(
        arguments: [String], store: Store, stopTimeout: Duration, password: Secret?, restart: RestartPolicy = .never, logger: Logger
    ) {
        self.arguments = arguments
        self.store = store
        self.stopTimeout = stopTimeout
        self.password = password
        self.restartPolicy = restart
        self.logger = logger
        self.records = ChildRecordFile(store: store, arguments: arguments)
    }

    public static func make(options: Options, context: PluginContext, processes: ProcessSettings) throws -> ChildBackend {
        guard let command = processes.command else {
            throw OptionError("this command needs --cmd 'lavap …': the lavap command line to supervise")
        }
        return ChildBackend(
            arguments: command.arguments, store: context.store, stopTimeout: processes.stopTimeout, password: processes.keyringPassword,
            restart: processes.restart, logger: context.logger)
    }

    public var runningVersion: SemanticVersion? { child == nil ? nil : childVersion }

    /// Claims the command on this store (one lavavisor per command and directory), stops a `lavap`
    /// that a killed lavavisor left running for it, then starts the child.
    public func start() async throws {
        guard let lock = try await records.claim(logger: logger) else {
            let other = records.read().map { " (pid \($0.supervisor))" } ?? ""
            throw ChildBackendError(
                "another lavavisor\(other) already supervises 'lavap \(arguments.joined(separator: " "))' on \(store.root.path); stop it first, or run this one with another --directory"
            )
        }
        claim = lock
        if let left = records.read(), left.isRunning { await stopLeftover(left) }
        try await launch()
    }

    /// Stops the child a killed lavavisor left running (it is not ours to wait for): SIGTERM to its
    /// group, then SIGKILL after the stop timeout.
    private func stopLeftover(_ left: ChildRecord) async {
        logger.warning(
            "a lavap left running by a lavavisor that was killed is stopped before the new one starts",
            metadata: ["pid": "\(left.pid)", "version": "\(left.version)", "killed-lavavisor": "\(left.supervisor)"])
        Glibc.kill(-left.pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now + stopTimeout
        while left.isRunning && clock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        guard left.isRunning else { return }
        logger.warning("the left lavap did not stop within \(stopTimeout.brief); sending SIGKILL", metadata: ["pid": "\(left.pid)"])
        Glibc.kill(-left.pid, SIGKILL)
        let gone = clock.now + .seconds(5)
        while left.isRunning && clock.now < gone { try? await Task.sleep(for: .milliseconds(50)) }
    }

    public func restart() async throws {
        // A backend whose processes have ended (or are being stopped) starts nothing again.
        guard !stopping, finalExit == nil else { return }
        pendingRestart?.cancel()  // the switch starts the new version now
        pendingRestart = nil
        restarting = true
        defer { restarting = false }
        if let old = child {
            child = nil
            logger.info("stopping lavap for the switch", metadata: ["pid": "\(old.pid)"])
            lastExit = await terminate(old)
        }
        guard !stopping, finalExit == nil else {
            finish(lastExit ?? .exited(0))
            return
        }
        do { try await launch() } catch {
            logger.error("cannot start lavap after the switch; lavavisor exits", metadata: ["error": "\(error)"])
            finish(.exited(127))
            throw error
        }
        // A stop that came while the new child was being spawned found nothing to stop: do it now.
        if stopping, let started = child {
            child = nil
            finish(await terminate(started, with: stopSignal))
        }
    }

    public func stop(with signal: Int32) async {
        stopping = true
        pendingRestart?.cancel()
        stopSignal = signal
        if let running = child {
            child = nil
            finish(await terminate(running, with: signal))
        } else if !restarting {
            finish(lastExit ?? .exited(0))
        }
    }

    public func kill() async {
        stopping = true
        pendingRestart?.cancel()
        for process in [child, terminating].compactMap({ $0 }) {
            logger.warning("killing lavap", metadata: ["pid": "\(process.pid)"])
            process.signal(SIGKILL)
        }
    }

    public func signal(_ number: Int32) async {
        child?.signal(number)
    }

    public func waitForExit() async -> ProcessExit {
        if let finalExit { return finalExit }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Starts the version `current` links to, by its own path (`upgrades/vX.Y.Z/lavap`), so that
    /// the version started is known even when another lavavisor switches `current` meanwhile.
    private func launch() async throws {
        guard let version = store.currentVersion() else {
            throw StoreError("no lavap is linked at \(store.current.path); run 'lavavisor init' or pass --auto-download")
        }
        let binary = store.binary(for: version)
        let process = try await ChildProcess.spawnWhenReady(
            executable: binary.path, arguments: arguments, stdin: password == nil ? .inherit : .pipe)
        if let input = process.standardInput {
            handOver(password, to: input)
        }
        child = process
        childVersion = version
        startedAt = .now
        do {
            try records.write(
                ChildRecord(
                    pid: process.pid, startTime: ChildRecord.startTime(of: process.pid) ?? 0, version: version.description,
                    supervisor: getpid()))
        } catch {
            logger.warning(
                "cannot record the child in the store; a lavavisor started after this one is killed will not find it",
                metadata: ["error": "\(error)"])
        }
        logger.info("started lavap \(version)", metadata: ["pid": "\(process.pid)", "binary": "\(binary.path)"])
        Task {
            let exit = await process.wait()
            self.childEnded(process, exit: exit)
        }
    }

    /// Writes the password and a newline to the child's stdin, then closes it; the bytes go nowhere else.
    private nonisolated func handOver(_ password: Secret?, to input: Int32) {
        defer { close(input) }
        guard let password else { return }
        let bytes = password.bytes + [UInt8(ascii: "\n")]
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            written += count
        }
    }

    /// A child that ended by itself: restarted with backoff as the policy says, or the end of the run.
    private func childEnded(_ process: ChildProcess, exit: ProcessExit) {
        guard process === child else { return }  // replaced by a restart, or being stopped
        child = nil
        lastExit = exit
        guard !stopping else {
            finish(exit)
            return
        }
        let metadata: Logger.Metadata = ["pid": "\(process.pid)", "status": "\(exit)"]
        switch history.next(
            after: exit, uptime: ContinuousClock.now - startedAt, policy: restartPolicy, jitter: Double.random(in: 0.9...1.1))
        {
        case .stop:
            logger.warning("lavap ended by itself", metadata: metadata)
            finish(exit)
        case .crashLoop(let failures):
            logger.error(
                "lavap is in a crash loop: it ended \(failures) times in a row, each within \(restartPolicy.resetAfter.brief) of its start, the last with \(exit); lavavisor stops restarting it and exits non-zero",
                metadata: metadata)
            finish(exit.shellStatus == 0 ? .exited(1) : exit)
        case .restart(let delay, let number):
            logger.warning(
                "lavap ended by itself with \(exit); restarting it \(delay == .zero ? "now" : "in \(delay.brief)")",
                metadata: metadata.merging(["restart": "\(number)"]) { $1 })
            pendingRestart = Task {
                do { try await Task.sleep(for: delay) } catch { return }
                await self.restartAfterEnd()
            }
        }
    }

    /// Starts the child again after it ended by itself, unless lavavisor is stopping or a switch did.
    private func restartAfterEnd() async {
        pendingRestart = nil
        guard !stopping, finalExit == nil, child == nil else { return }
        do { try await launch() } catch {
            logger.error("cannot start lavap again; lavavisor exits", metadata: ["error": "\(error)"])
            finish(.exited(127))
        }
    }

    /// SIGTERM to the group, wait up to the stop timeout, then SIGKILL.
    ///
    /// The grace period is kept even when the calling task is cancelled (lavavisor cancels its
    /// monitor on SIGTERM, maybe in the middle of a restart): the wait runs in a task of its own.
    private func terminate(_ process: ChildProcess, with signal: Int32 = SIGTERM) async -> ProcessExit {
        terminating = process
        defer { terminating = nil }
        process.signal(signal)
        let stopTimeout = self.stopTimeout
        let graceful = await Task.detached { await process.wait(timeout: stopTimeout) }.value
        if let exit = graceful { return exit }
        logger.warning("lavap did not stop within \(stopTimeout); sending SIGKILL", metadata: ["pid": "\(process.pid)"])
        process.signal(SIGKILL)
        return await process.wait()
    }

    private func finish(_ exit: ProcessExit) {
        records.remove()
        claim = nil
        guard finalExit == nil else { return }
        finalExit = exit
        for waiter in waiters { waiter.resume(returning: exit) }
        waiters = []
    }
}

/// The child backend cannot run this command.
public struct ChildBackendError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    init(_ description: String) { self.description = description }
}
