public import Core
public import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The `child` process backend (`wrap`): runs the `--cmd` line as a direct child, on the store's
/// `current/lavap`, in its own process group; output passes through untouched.
///
/// Restart and stop are graceful: SIGTERM to the child's group, then SIGKILL after the stop timeout.
/// A child that ends by itself ends the run (restart policies come with full supervision).
public actor ChildBackend: ProcessBackend {
    public static let id = "child"
    public static let summary = "runs lavap as a direct child (wrap): own process group, SIGTERM then SIGKILL on stop"

    /// The arguments after `lavap`.
    public nonisolated let arguments: [String]
    /// The binary to run: `<dir>/.lavavisor/current/lavap`.
    public nonisolated let binary: URL
    private let stopTimeout: Duration
    private let password: Secret?
    private let logger: Logger

    private var child: ChildProcess?
    private var stopping = false
    private var restarting = false
    private var lastExit: ProcessExit?
    private var finalExit: ProcessExit?
    private var waiters: [CheckedContinuation<ProcessExit, Never>] = []

    /// A backend running `binary` with `arguments`.
    public init(arguments: [String], binary: URL, stopTimeout: Duration, password: Secret?, logger: Logger) {
        self.arguments = arguments
        self.binary = binary
        self.stopTimeout = stopTimeout
        self.password = password
        self.logger = logger
    }

    public static func make(context: PluginContext) throws -> ChildBackend {
        guard let line = context.options.command, !line.isEmpty else {
            throw OptionError("this command needs --cmd 'lavap …': the lavap command line to supervise")
        }
        return ChildBackend(
            arguments: try commandArguments(line), binary: context.store.currentBinary,
            stopTimeout: context.options.stopTimeout, password: context.options.keyringPassword, logger: context.logger)
    }

    /// Splits `line` like a POSIX shell and returns the words after its leading `lavap`.
    public static func commandArguments(_ line: String) throws -> [String] {
        let words = try ShellWords.split(line)
        guard let first = words.first, first.split(separator: "/").last == "lavap" else {
            throw OptionError(
                "--cmd must start with lavap (it is replaced by the managed binary); got \(words.first.map { "'\($0)'" } ?? "an empty command")"
            )
        }
        return Array(words.dropFirst())
    }

    public func start() async throws {
        try await launch()
    }

    public func restart() async throws {
        guard !stopping else { return }
        restarting = true
        defer { restarting = false }
        if let old = child {
            child = nil
            logger.info("stopping lavap for the switch", metadata: ["pid": "\(old.pid)"])
            lastExit = await terminate(old)
        }
        guard !stopping else {
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
            finish(await terminate(started))
        }
    }

    public func stop() async {
        stopping = true
        if let running = child {
            finish(await terminate(running))
        } else if !restarting {
            finish(lastExit ?? .exited(0))
        }
    }

    public func waitForExit() async -> ProcessExit {
        if let finalExit { return finalExit }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func launch() async throws {
        let process = try await ChildProcess.spawnWhenReady(
            executable: binary.path, arguments: arguments, stdin: password == nil ? .inherit : .pipe)
        if let input = process.standardInput {
            handOver(password, to: input)
        }
        child = process
        logger.info("started lavap", metadata: ["pid": "\(process.pid)", "binary": "\(binary.path)"])
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

    private func childEnded(_ process: ChildProcess, exit: ProcessExit) {
        guard process === child else { return }  // replaced by a restart, or being stopped
        child = nil
        if !stopping { logger.warning("lavap ended by itself", metadata: ["pid": "\(process.pid)", "status": "\(exit)"]) }
        finish(exit)
    }

    /// SIGTERM to the group, wait up to the stop timeout, then SIGKILL.
    ///
    /// The grace period is kept even when the calling task is cancelled (lavavisor cancels its
    /// monitor on SIGTERM, maybe in the middle of a restart): the wait runs in a task of its own.
    private func terminate(_ process: ChildProcess) async -> ProcessExit {
        process.signal(SIGTERM)
        let stopTimeout = self.stopTimeout
        let graceful = await Task.detached { await process.wait(timeout: stopTimeout) }.value
        if let exit = graceful { return exit }
        logger.warning("lavap did not stop within \(stopTimeout); sending SIGKILL", metadata: ["pid": "\(process.pid)"])
        process.signal(SIGKILL)
        return await process.wait()
    }

    private func finish(_ exit: ProcessExit) {
        guard finalExit == nil else { return }
        finalExit = exit
        for waiter in waiters { waiter.resume(returning: exit) }
        waiters = []
    }
}
