public import ArgumentParser
public import Core
public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process backend that runs `--cmd` as a plain child of lavavisor on the version `current`
/// links to and restarts it when lavavisor asks (an upgrade); when the child ends, so does
/// lavavisor. No restarts of its own, no probation, no keyring password: `child` does all that.
public actor ExecBackend: ProcessBackend {
    public static let id = "exec"
    public static let summary = "runs --cmd as a plain child, restarted on upgrades only; lavavisor ends when lavap does"
    /// It stops its child and passes signals on, and sees it end; it judges no upgrade.
    public static let capabilities: BackendCapabilities = [.stopsProcesses, .forwardsSignals, .watchesProcesses]

    /// The exec backend has no flags of its own: it runs `--cmd` with the shared process flags.
    public struct Options: PluginOptions {
        public typealias Owner = ExecBackend
        /// No flags.
        public init() {}
    }

    /// The store whose `current` the child runs.
    public let store: Store
    /// The words after `lavap`.
    public let arguments: [String]
    /// How long a child gets to end after SIGTERM before SIGKILL.
    public let stopTimeout: Duration
    private var child: ChildProcess?
    private var exit: ProcessExit?
    private var waiter: CheckedContinuation<ProcessExit, Never>?

    /// A backend running `lavap arguments…` on `store`'s `current`.
    public init(store: Store, arguments: [String], stopTimeout: Duration) {
        self.store = store
        self.arguments = arguments
        self.stopTimeout = stopTimeout
    }

    public static func make(options: Options, context: PluginContext, processes: ProcessSettings) throws -> ExecBackend {
        guard let command = processes.command else { throw OptionError("the exec backend runs --cmd; add --cmd 'lavap …'") }
        guard processes.keyringPassword == nil else {
            throw OptionError("the exec backend hands no keyring password to lavap; use --backend child")
        }
        return ExecBackend(store: context.store, arguments: command.arguments, stopTimeout: processes.stopTimeout)
    }

    public func run(commands: AsyncStream<BackendCommand>, events: @escaping BackendEvents) async throws -> ProcessExit {
        try await launch(events)
        // Each command in a task of its own: a kill must not wait behind a graceful stop.
        let carrying = Task {
            await withDiscardingTaskGroup { group in
                for await command in commands { group.addTask { await self.carryOut(command, events) } }
            }
        }
        let ended = await withCheckedContinuation { (continuation: CheckedContinuation<ProcessExit, Never>) in
            if let exit { continuation.resume(returning: exit) } else { waiter = continuation }
        }
        carrying.cancel()
        return ended
    }

    private func carryOut(_ command: BackendCommand, _ events: @escaping BackendEvents) async {
        switch command {
        case .restart:
            guard exit == nil, let old = child else { return }
            child = nil  // its end is the restart's, not the run's
            _ = await events(.ended(await terminate(old, with: SIGTERM)))
            do { try await launch(events) } catch {
                // Every restart is answered: here by the end of `run`.
                _ = await events(.startFailed(store.currentVersion(), reason: "\(error)"))
                finish(.exited(127))
            }
        case .stop(let signal):
            if let child { _ = await terminate(child, with: signal) } else { finish(.exited(0)) }
        case .kill:
            _ = child?.signal(SIGKILL)
        case .forward(let number):
            _ = child?.signal(number)
        }
    }

    /// Starts `lavap` on the version `current` links to, by that version's own path.
    private func launch(_ events: @escaping BackendEvents) async throws {
        guard let version = store.currentVersion() else {
            throw StoreError("no lavap is linked at \(store.current.path); run 'lavavisor init' or pass --auto-download")
        }
        let process = try await ChildProcess.spawnWhenReady(
            executable: store.binary(for: version).path, arguments: arguments, terminal: .background)
        child = process
        _ = await events(.started(version))
        Task {
            let exit = await process.wait()
            await self.ended(process, with: exit, events)
        }
    }

    /// The child ended by itself or was stopped: the run is over, unless a restart replaced it.
    private func ended(_ process: ChildProcess, with exit: ProcessExit, _ events: @escaping BackendEvents) async {
        guard child === process else { return }
        child = nil
        _ = await events(.ended(exit))
        finish(exit)
    }

    private func terminate(_ process: ChildProcess, with signal: Int32) async -> ProcessExit {
        _ = process.signal(signal)
        if let exit = await process.wait(timeout: stopTimeout) { return exit }
        _ = process.signal(SIGKILL)
        return await process.wait()
    }

    private func finish(_ exit: ProcessExit) {
        guard self.exit == nil else { return }
        self.exit = exit
        waiter?.resume(returning: exit)
        waiter = nil
    }
}
