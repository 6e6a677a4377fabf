public import Core
import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One `lavap` run as a direct child of lavavisor, kept running: the engine of the backends that
/// run processes themselves (`child` for `wrap`, `pod`).
///
/// The child runs the version `current` links to, by its own path (`upgrades/vX.Y.Z/lavap`), in
/// its own process group; output passes through untouched and the keyring password reaches it on a
/// stdin pipe at every start. Restart and stop are graceful: SIGTERM (or the SIGINT an operator
/// sent) to the group, then SIGKILL after the stop timeout. A child that ends by itself is started
/// again as the restart policy says (backoff, crash loop). A version that fails on probation right
/// after an upgrade to it is rolled back from when the supervisor answers `upgradeFailed` with a version to go back to.
public actor SupervisedChild {
    /// An upgrade whose new version is still on probation.
    private struct Probation {
        var from: SemanticVersion
        var to: SemanticVersion
        var since: ContinuousClock.Instant
        var ends = 0
    }

    /// Where the supervision is. Every method starts from a `switch` over it, and it is the only
    /// place that says whether a child runs, is being stopped, or will be started again.
    private enum State {
        /// `start()` has not started a child (yet, or it failed).
        case idle
        /// A child is being spawned; a stop asked for meanwhile (its signal) is carried out once it runs.
        case launching(stop: Int32?)
        /// The child runs.
        case running(ChildProcess)
        /// The child is being stopped for a switch; a stop asked for meanwhile ends the switch there.
        case switching(old: ChildProcess, stop: Int32?)
        /// The child ended by itself; it is started again when `pending` fires (nil while a rollback is decided).
        case waiting(pending: Task<Void, Never>?)
        /// A stop was asked for; this child is being stopped.
        case stopping(ChildProcess)
        /// Supervision is over, with how the child ended.
        case finished(ProcessExit)
    }

    /// Ends in a row, each soon after its start, that make a version "failing" at a switch.
    static let failingEnds = 2

    /// How the child is run.
    public nonisolated let configuration: Configuration
    private let logger: Logger
    private let records: ChildRecordFile

    private var state = State.idle
    /// The version of the child started last, running or not.
    private var version: SemanticVersion?
    private var startedAt = ContinuousClock.now
    /// How the child ended last (a switch's stop included).
    private var lastExit: ProcessExit?
    private var history = RestartHistory()
    private var probation: Probation?
    /// Who is told what happens, and answers failed upgrades and crash loops.
    private var events: BackendEvents?
    /// Set once a crash loop was answered with another version: a second one ends the run.
    private var fellBack = false
    /// Set when a failed upgrade could not be rolled back: restarting goes on, with backoff, past the crash-loop limit.
    private var noWayBack = false
    private var claim: FileLock?
    private var waiters: [CheckedContinuation<ProcessExit, Never>] = []

    /// A supervised child; nothing runs before `start()`.
    public init(_ configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.records = ChildRecordFile(store: configuration.store, arguments: configuration.arguments)
    }

    private var store: Store { configuration.store }
    private var commandLine: String { (["lavap"] + configuration.arguments).joined(separator: " ") }

    /// The version the running child was started on; nil when none runs.
    public var runningVersion: SemanticVersion? {
        if case .running = state { version } else { nil }
    }

    /// Sets who is told what happens (`BackendEvent`): the supervisor, which answers failed
    /// upgrades and crash loops with the version to run instead.
    public func report(to events: @escaping BackendEvents) { self.events = events }

    /// The backend contract (`ProcessBackend.run`): starts the child, carries out each command in a
    /// task of its own (a `kill` must not wait behind a graceful `stop`), and returns how the child
    /// ended for good.
    public func run(commands: AsyncStream<BackendCommand>, events: @escaping BackendEvents) async throws -> ProcessExit {
        self.events = events
        try await start()
        return await withTaskGroup(of: ProcessExit?.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { carried in
                    for await command in commands { carried.addTask { await self.carryOut(command) } }
                }
                return nil
            }
            group.addTask { await self.waitForExit() }
            var exit: ProcessExit?
            while exit == nil, let next = await group.next() { exit = next }
            group.cancelAll()
            return exit ?? .exited(0)
        }
    }

    private func carryOut(_ command: BackendCommand) async {
        switch command {
        case .restart:
            // A failed start after the switch ends the supervision (and says why); the exit tells.
            try? await restart()
        case .stop(let signal): await stop(with: signal)
        case .kill: await kill()
        case .forward(let number): await signal(number)
        }
    }

    /// Claims the command on this store (one lavavisor per command and directory), stops a `lavap`
    /// that a killed lavavisor left running for it, then starts the child.
    public func start() async throws {
        guard case .idle = state else { return }
        guard let lock = try await records.claim(logger: logger) else {
            let other = records.read().map { " (pid \($0.supervisor))" } ?? ""
            throw SupervisedChildError(
                "another lavavisor\(other) already supervises '\(commandLine)' on \(store.root.path); stop it first, or run this one with another --directory"
            )
        }
        claim = lock
        // What current links to now: stopping a leftover takes up to the stop timeout, and current
        // may be broken meanwhile (by hand, a prune); then this version is started all the same.
        let linked = store.currentVersion()
        // The record names the child a killed lavavisor left; the mark in the environment finds one
        // it had no time (or no disk space) to record.
        let recorded = [records.read()].compactMap { $0 }.filter(\.isRunning)
        let leftovers = recorded + records.markedProcesses().filter { marked in !recorded.contains { $0.pid == marked.pid } }
        for left in leftovers { await left.stopLeftover(within: configuration.stopTimeout, logger: logger) }
        do { try await launch(versionToRestart(orElse: linked, which: ", which current linked to when lavavisor started")) } catch {
            if case .launching = state { state = .idle }
            throw error
        }
    }

    /// Stops the child gracefully and starts the version `current` links to; a move to a newer
    /// version puts it on probation. While a child is being started or stopped, or after a stop,
    /// it does nothing: the next check sees what runs and restarts it again if it is behind.
    public func restart() async throws {
        // A version that kept ending by itself (twice or more in a row, each soon after its start,
        // and not up for the reset window since) says nothing good about the machine: the new one
        // is not blamed for failing too. One crash of a version that ran well is no such sign.
        let previousWasFailing: Bool
        switch state {
        case .running(let old):
            previousWasFailing =
                history.failures >= Self.failingEnds && ContinuousClock.now - startedAt < configuration.restart.resetAfter
            state = .switching(old: old, stop: nil)
            logger.info("stopping lavap for the switch", metadata: ["pid": "\(old.pid)"])
            lastExit = await terminate(old)
            _ = await events?(.ended(lastExit ?? .exited(0)))
            if case .switching(_, stop: .some) = state {
                finish(lastExit ?? .exited(0))
                return
            }
        case .idle, .waiting:
            if case .waiting(let pending) = state { pending?.cancel() }  // the switch starts the new version now
            previousWasFailing = history.failures >= Self.failingEnds
        case .launching, .switching, .stopping, .finished:
            logger.debug("not restarting lavap: it is being started or stopped")
            return
        }
        let previous = version
        // `current` may have been broken while the old child stopped: then the old version again.
        do { try await launch(versionToRestart()) } catch {
            try await recoverFromFailedStart(error, previous: previous)
        }
        guard case .running = state, let previous, let version, version > previous else { return }
        if previousWasFailing {
            probation = nil
            logger.info(
                "lavap \(version) is not on probation: \(previous) was ending by itself before the switch, so an end of \(version) is not taken as its fault"
            )
        } else {
            probation = Probation(from: previous, to: version, since: .now)
            history = RestartHistory()
            noWayBack = false
        }
    }

    /// After a switch whose version cannot be started (not a runnable file, refused by the kernel):
    /// rolled back, as from an upgrade that failed on probation, to the version that ran just before,
    /// when the supervisor answers `upgradeFailed` with it; otherwise lavavisor exits 127 with the error.
    private func recoverFromFailedStart(_ error: any Error, previous: SemanticVersion?) async throws {
        guard let previous, let failed = store.currentVersion(), failed != previous,
            let back = await events?(
                .upgradeFailed(FailedUpgrade(failed: failed, previous: previous, reason: "cannot be started: \(error)")))
        else {
            logger.error("cannot start lavap after the switch; lavavisor exits", metadata: ["error": "\(error)"])
            finish(.exited(127))
            throw error
        }
        logger.error("cannot start lavap \(failed) after the switch; starting \(back) again", metadata: ["error": "\(error)"])
        do { try await launch(back) } catch {
            logger.error("cannot start lavap \(back) either; lavavisor exits", metadata: ["error": "\(error)"])
            finish(.exited(127))
            throw error
        }
    }

    /// Stops the child gracefully with SIGTERM, then SIGKILL after the stop timeout.
    public func stop() async { await stop(with: SIGTERM) }

    /// Stops the child gracefully, asking with `signal`, then SIGKILL after the stop timeout.
    public func stop(with signal: Int32) async {
        switch state {
        case .running(let process):
            state = .stopping(process)
            finish(await terminate(process, with: signal))
        case .launching:
            state = .launching(stop: signal)
        case .switching(let old, _):
            state = .switching(old: old, stop: signal)
        case .idle, .waiting:
            if case .waiting(let pending) = state { pending?.cancel() }
            finish(lastExit ?? .exited(0))
        case .stopping, .finished:
            break
        }
    }

    /// Kills the child (and one being stopped) at once.
    public func kill() async {
        switch state {
        case .running(let process):
            state = .stopping(process)
            sigkill(process)
        case .stopping(let process):
            sigkill(process)
        case .switching(let old, _):
            state = .switching(old: old, stop: SIGKILL)
            sigkill(old)
        case .launching:
            state = .launching(stop: SIGKILL)
        case .idle, .waiting:
            await stop(with: SIGKILL)
        case .finished:
            break
        }
    }

    private func sigkill(_ process: ChildProcess) {
        logger.warning("killing lavap", metadata: ["pid": "\(process.pid)"])
        process.signal(SIGKILL)
    }

    /// Forwards `number` to the child's group as it is.
    public func signal(_ number: Int32) async {
        if case .running(let process) = state { process.signal(number) }
    }

    /// Waits until the child has ended for good (stopped, killed, not restarted, crash loop).
    public func waitForExit() async -> ProcessExit {
        if case .finished(let exit) = state { return exit }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Starts `version`, or the version `current` links to, by its own path, so that the version
    /// started is known even when another lavavisor switches `current` meanwhile; a stop asked for
    /// while it was spawned stops it at once.
    private func launch(_ version: SemanticVersion?) async throws {
        let stop: Int32? =
            switch state {
            case .launching(let stop), .switching(_, let stop): stop
            default: nil
            }
        state = .launching(stop: stop)
        let process = try await spawn(version)
        if case .launching(let stop?) = state {
            state = .stopping(process)
            finish(await terminate(process, with: stop))
            return
        }
        state = .running(process)
        Task {
            let exit = await process.wait()
            await self.childEnded(process, exit: exit)
        }
    }

    /// Spawns the child of `version` (nil: `current`'s), hands it the password and records it.
    private func spawn(_ version: SemanticVersion?) async throws -> ChildProcess {
        guard let version = version ?? store.currentVersion() else {
            throw StoreError("no lavap is linked at \(store.current.path); run 'lavavisor init' or pass --auto-download")
        }
        let binary = store.binary(for: version)
        // As root, a binary another user could have replaced is never run.
        try store.checkOwnership(ofBinary: binary)
        guard store.isInstalled(version) else {
            throw StoreError("cannot start lavap \(version): \(binary.path) is not an executable file; install \(version) again")
        }
        let password = configuration.password
        let process = try await ChildProcess.spawnWhenReady(
            executable: binary.path, arguments: configuration.arguments, environment: records.childEnvironment(),
            stdin: password == nil ? .inherit : .pipe, terminal: configuration.terminal)
        if let password, let input = process.standardInput {
            PasswordHandOff.start(password, to: input, within: configuration.passwordTimeout, logger: logger)
        }
        self.version = version
        startedAt = .now
        do {
            try records.write(
                ChildRecord(
                    pid: process.pid, startTime: ChildRecord.startTime(of: process.pid) ?? 0, version: version.description,
                    supervisor: getpid()))
        } catch {
            // A stale record must not name another process; the mark still finds this child.
            records.remove()
            logger.warning(
                "cannot record the child in the store; a lavavisor started after this one is killed finds it by its \(ChildRecordFile.markVariable) mark",
                metadata: ["error": "\(error)"])
        }
        logger.info("started lavap \(version)", metadata: ["pid": "\(process.pid)", "binary": "\(binary.path)"])
        _ = await events?(.started(version))
        return process
    }

    /// A child that ended: by itself, judged on probation after an upgrade, then restarted with
    /// backoff as the policy says, or the end of the run; killed while stopping, the end of the run.
    private func childEnded(_ process: ChildProcess, exit: ProcessExit) async {
        switch state {
        case .running(let running) where running === process:
            break
        case .stopping(let stopping) where stopping === process:
            finish(exit)  // killed; a graceful stop's wait ends with the same status
            return
        default:
            return  // replaced by a switch: the switch waited for it
        }
        lastExit = exit
        state = .waiting(pending: nil)
        _ = await events?(.ended(exit))
        let uptime = ContinuousClock.now - startedAt
        let metadata: Logger.Metadata = ["pid": "\(process.pid)", "status": "\(exit)"]
        if let failed = judgeProbation(exit: exit) {
            if let back = await events?(.upgradeFailed(failed)) {
                await rollBack(to: back)
                return
            }
            noWayBack = true
        }
        // A stop or a switch may have come while the rollback was decided.
        guard case .waiting(pending: nil) = state else { return }
        switch history.next(after: exit, uptime: uptime, policy: configuration.restart, jitter: Double.random(in: 0.9...1.1)) {
        case .stop:
            logger.warning("lavap ended by itself", metadata: metadata)
            finish(exit)
        case .crashLoop(let failures) where !noWayBack:
            let reason =
                "ended \(failures) times in a row, each within \(configuration.restart.resetAfter.brief) of its start, the last with \(exit)"
            if !fellBack, let version, let back = await events?(.crashLoop(version, reason: reason)) {
                fellBack = true
                await rollBack(to: back)
                return
            }
            logger.error("lavap is in a crash loop: it \(reason); lavavisor stops restarting it and exits non-zero", metadata: metadata)
            finish(exit.shellStatus == 0 ? .exited(1) : exit)
        case .crashLoop(let failures):
            let delay = configuration.restart.maxDelay
            logger.error(
                "lavap ended \(failures) times in a row, the last with \(exit), and there is no version to roll back to; restarting it in \(delay.brief)",
                metadata: metadata)
            scheduleRestart(after: delay)
        case .restart(let delay, let number):
            logger.warning(
                "lavap ended by itself with \(exit); restarting it \(delay == .zero ? "now" : "in \(delay.brief)")",
                metadata: metadata.merging(["restart": "\(number)"]) { $1 })
            scheduleRestart(after: delay)
        }
    }

    /// Counts an end of a version on probation; returns the failed upgrade once it has ended
    /// `--upgrade-probation` times, or is about to be a crash loop, within the reset window.
    private func judgeProbation(exit: ProcessExit) -> FailedUpgrade? {
        guard var watched = probation, version == watched.to else { return nil }
        let resetAfter = configuration.restart.resetAfter
        let since = ContinuousClock.now - watched.since
        guard since < resetAfter else {
            probation = nil  // it stayed up long enough: the upgrade has passed
            return nil
        }
        watched.ends += 1
        probation = watched
        let limit = configuration.upgradeProbation
        let crashLoop = history.failures + 1 > configuration.restart.crashLoopLimit
        guard limit > 0, watched.ends >= limit || crashLoop else { return nil }
        probation = nil
        return FailedUpgrade(
            failed: watched.to, previous: watched.from,
            reason: "ended \(watched.ends) time\(watched.ends == 1 ? "" : "s") within \(since.brief) of the upgrade, the last with \(exit)")
    }

    /// Starts the version rolled back to, with a fresh restart count, unless a stop or a switch came first.
    private func rollBack(to version: SemanticVersion) async {
        history = RestartHistory()
        guard case .waiting(pending: nil) = state else { return }
        do { try await launch(version) } catch {
            logger.error("cannot start lavap \(version) after the rollback; lavavisor exits", metadata: ["error": "\(error)"])
            finish(.exited(127))
        }
    }

    private func scheduleRestart(after delay: Duration) {
        Telemetry.restarting()
        state = .waiting(
            pending: Task {
                do { try await Task.sleep(for: delay) } catch { return }
                await self.restartAfterEnd()
            })
    }

    /// Starts the child again after it ended by itself, unless a stop or a switch came first.
    private func restartAfterEnd() async {
        guard case .waiting = state else { return }
        do { try await launch(versionToRestart()) } catch {
            logger.error("cannot start lavap again; lavavisor exits", metadata: ["error": "\(error)"])
            finish(.exited(127))
        }
    }

    /// The version a child is started on, at the start, after a switch or after an end by itself:
    /// the one `current` links to (another lavavisor on the store may have switched it), or, when
    /// `current` cannot be run (it dangles, links elsewhere, or is gone), the version that just ran
    /// (at the start: `fallback`, what `current` linked to a moment before), if it is still
    /// installed, logged as `which` says; nil leaves the choice, and the error, to `launch`.
    private func versionToRestart(orElse fallback: SemanticVersion? = nil, which: String = " again, which ran before") -> SemanticVersion? {
        if case .installed(let version) = store.currentLink() { return version }
        guard let last = version ?? fallback, store.isInstalled(last) else { return nil }
        logger.warning(
            "current cannot be run; starting \(last)\(which)",
            metadata: ["current": "\(store.currentProblem() ?? "\(store.current.path) is missing")"])
        return last
    }

    /// SIGTERM (or `signal`) to the group, wait up to the stop timeout, then SIGKILL.
    ///
    /// The grace period is kept even when the calling task is cancelled (lavavisor cancels its
    /// monitor on SIGTERM, maybe in the middle of a restart): the wait runs in a task of its own.
    private func terminate(_ process: ChildProcess, with signal: Int32 = SIGTERM) async -> ProcessExit {
        process.signal(signal)
        process.signal(SIGCONT)  // a stopped child acts on the signal only once continued
        let stopTimeout = configuration.stopTimeout
        let graceful = await Task.detached { await process.wait(timeout: stopTimeout) }.value
        if let exit = graceful { return exit }
        logger.warning("lavap did not stop within \(stopTimeout.brief); sending SIGKILL", metadata: ["pid": "\(process.pid)"])
        process.signal(SIGKILL)
        return await process.wait()
    }

    /// The end of the supervision: the record is removed and every waiter told how the child ended.
    private func finish(_ exit: ProcessExit) {
        // Only the holder of the claim owns the record: a lavavisor refused because another one
        // supervises the command leaves that one's record alone.
        if claim != nil { records.remove() }
        claim = nil
        if case .finished = state { return }
        state = .finished(exit)
        for waiter in waiters { waiter.resume(returning: exit) }
        waiters = []
    }
}
