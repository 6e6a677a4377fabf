public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process that lavavisor spawned and reaps itself: its own process group, default signal
/// dispositions, and a dedicated thread that waits for it (never the cooperative pool).
///
/// Signals are sent only while the child is not yet reaped, so a recycled pid is never hit.
///
/// A child in its own group is in the background of lavavisor's terminal: reading it would stop the
/// child with SIGTTIN. So, as tini does, a child whose stdin is that terminal is made the terminal's
/// foreground group while it runs, and the foreground goes back to lavavisor's group once it is reaped.
public final class ChildProcess: Sendable {
    /// What a child's standard stream is connected to.
    public enum Stream: Sendable {
        /// The same file as lavavisor's.
        case inherit
        /// A pipe whose other end lavavisor keeps.
        case pipe
        /// `/dev/null`.
        case null
    }

    /// Who owns lavavisor's terminal while the child runs.
    public enum Terminal: Sendable {
        /// The child's group becomes the terminal's foreground group, so that it can read the terminal,
        /// when its stdin is `.inherit`, lavavisor's stdin is a terminal and lavavisor's group is in the
        /// foreground of it; otherwise the terminal is left alone. The foreground comes back when the child is reaped.
        case foreground
        /// The terminal is left alone: the child's group stays in the background.
        case background
    }

    /// The child's process id, which is also its process group id.
    public let pid: pid_t
    /// The write end of the child's stdin, when `stdin` was `.pipe`; the caller closes it.
    public let standardInput: Int32?
    /// The read end of the child's stdout and stderr together, when `output` was `.pipe`; the caller closes it.
    public let output: Int32?
    /// Whether the child's group was made the foreground group of lavavisor's terminal.
    public let holdsTerminal: Bool

    private struct State {
        var reaping = false
        var exit: ProcessExit?
        var waiters: [Int: CheckedContinuation<ProcessExit?, Never>] = [:]
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    private init(pid: pid_t, standardInput: Int32?, output: Int32?, holdsTerminal: Bool) {
        self.pid = pid
        self.standardInput = standardInput
        self.output = output
        self.holdsTerminal = holdsTerminal
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc does not import.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Spawns `executable` with `arguments` (argv[1...]) in a new process group.
    ///
    /// `output` applies to stdout and stderr together. `environment` nil inherits lavavisor's.
    /// `terminal` applies only when `stdin` is `.inherit`: see `Terminal.foreground`.
    public static func spawn(
        executable: String, arguments: [String], environment: [String: String]? = nil,
        stdin: Stream = .inherit, output: Stream = .inherit, terminal: Terminal = .foreground
    ) throws(SpawnError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        // Own process group; signals that lavavisor ignores or catches are reset to default in the child,
        // and its signal mask is empty whatever the spawning thread blocks.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in Signals.handled + [SIGPIPE, SIGXFSZ, SIGCHLD, SIGTTIN, SIGTTOU, SIGTSTP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)

        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []

        var stdinWriter: Int32?
        switch stdin {
        case .inherit: break
        case .null: posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case .pipe:
            guard let pipe = Posix.pipe() else { throw SpawnError(executable: executable, code: errno) }
            posix_spawn_file_actions_adddup2(&actions, pipe.read, 0)
            childEnds.append(pipe.read)
            parentEnds.append(pipe.write)
            stdinWriter = pipe.write
        }
        var outputReader: Int32?
        switch output {
        case .inherit: break
        case .null:
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .pipe:
            guard let pipe = Posix.pipe() else {
                for fd in parentEnds + childEnds { close(fd) }
                throw SpawnError(executable: executable, code: errno)
            }
            posix_spawn_file_actions_adddup2(&actions, pipe.write, 1)
            posix_spawn_file_actions_adddup2(&actions, pipe.write, 2)
            childEnds.append(pipe.write)
            parentEnds.append(pipe.read)
            outputReader = pipe.read
        }

        // The child gets 0, 1 and 2 only. Not every descriptor here is close-on-exec (swift-nio
        // accepts sockets without SOCK_CLOEXEC): a metrics client connected while lavap starts
        // would otherwise be held open by lavap for its whole life, past the server's close.
        _ = Self.closeFrom?(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } }
        defer { for pointer in envp ?? [] { free(pointer) } }

        let foreground = stdin == .inherit && terminal == .foreground && ForegroundTerminal.isOurs()
        var pid: pid_t = 0
        // Spawned and registered under one lock, so the orphan reaper never takes this child for an orphan.
        let result = OwnChildren.spawning { () -> (Int32, pid_t) in
            let result = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
                if let envp {
                    return (envp + [nil]).withUnsafeBufferPointer { envBuffer in
                        posix_spawn(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, envBuffer.baseAddress!)
                    }
                }
                return posix_spawn(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, environ)
            }
            return (result, result == 0 ? pid : 0)
        }
        for fd in childEnds { close(fd) }
        guard result == 0 else {
            for fd in parentEnds { close(fd) }
            throw SpawnError(executable: executable, code: result)
        }
        // Before the reaper starts, so that the child cannot be reaped (and its pid reused) in between.
        let holdsTerminal = foreground && ForegroundTerminal.give(to: pid)
        let child = ChildProcess(pid: pid, standardInput: stdinWriter, output: outputReader, holdsTerminal: holdsTerminal)
        child.startReaper()
        return child
    }

    /// Sends `signal` to the child's whole process group; false when the child is already gone.
    @discardableResult
    public func signal(_ signal: Int32) -> Bool {
        state.withLock { state in
            guard !state.reaping else { return false }
            return kill(-pid, signal) == 0 || kill(pid, signal) == 0
        }
    }

    /// Whether the child has ended.
    public var hasExited: Bool { state.withLock { $0.reaping } }

    /// Waits until the child ends and returns how it ended.
    public func wait() async -> ProcessExit {
        await waitForExit(cancellable: false)!  // only a cancellable wait ends without an exit
    }

    /// Waits for the end of the child, at most `timeout`; nil when it is still running then.
    public func wait(timeout: Duration) async -> ProcessExit? {
        await withTaskGroup(of: ProcessExit?.self) { group in
            group.addTask { await self.waitForExit(cancellable: true) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Waits for the end of the child; when `cancellable`, returns nil as soon as the task is cancelled.
    private func waitForExit(cancellable: Bool) async -> ProcessExit? {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ProcessExit?, Never>) in
                let done: ProcessExit?? = state.withLock { state in
                    if let exit = state.exit { return .some(exit) }
                    if cancellable && Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let done { continuation.resume(returning: done) }
            }
        } onCancel: {
            guard cancellable else { return }
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }

    /// Spawns like `spawn`, retrying for a moment while the executable is busy (ETXTBSY).
    ///
    /// A file just written can be briefly held open for writing by a child that another thread is
    /// forking; exec then fails with ETXTBSY until that child has exec'd in turn.
    public static func spawnWhenReady(
        executable: String, arguments: [String], environment: [String: String]? = nil,
        stdin: Stream = .inherit, output: Stream = .inherit, terminal: Terminal = .foreground
    ) async throws -> ChildProcess {
        var attempt = 0
        while true {
            do {
                return try spawn(
                    executable: executable, arguments: arguments, environment: environment, stdin: stdin, output: output,
                    terminal: terminal)
            } catch {
                guard error.code == ETXTBSY, attempt < 50 else { throw error }
            }
            attempt += 1
            try await Task.sleep(for: .milliseconds(10 * min(attempt, 10)))
        }
    }

    /// Blocks until the child `pid` ends, calls `beforeReaping`, then reaps it and returns how it ended.
    ///
    /// Waiting does not reap (`WNOWAIT`), so `beforeReaping` runs while the pid still names the dead
    /// child and cannot be reused: it can mark the child gone so that no signal is sent after the reap.
    /// When waiting fails (`ECHILD`: `pid` is not a child of this process), `beforeReaping` runs too and
    /// the result is `.unknown` with that error, never a made-up status. Call it on a dedicated thread.
    ///
    /// With `killingGroup`, whatever the child left in its process group is killed (SIGKILL) once
    /// it has ended and before it is reaped: its pid, the group's id, cannot be reused while it is
    /// a zombie, so no other process can be hit. A grandchild forked in the instant the group was
    /// signalled, or left behind by a child that exited, never outlives it.
    public static func waitAndReap(_ pid: pid_t, killingGroup: Bool = false, beforeReaping: () -> Void = {}) -> ProcessExit {
        var info = siginfo_t()
        var waited: Int32
        repeat { waited = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) } while waited != 0 && errno == EINTR
        let waitError = waited == 0 ? nil : errno
        if waitError == nil && killingGroup { kill(-pid, SIGKILL) }
        beforeReaping()
        if let waitError { return .unknown(errno: waitError) }
        var status: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(pid, &status, 0) } while reaped < 0 && errno == EINTR
        guard reaped == pid else { return .unknown(errno: errno) }
        return (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    }

    private func startReaper() {
        let (pid, holdsTerminal) = (self.pid, self.holdsTerminal)
        Thread.detach(name: "lavavisor-reaper-\(pid)", stackSize: 64 * 1024) { [self] in
            // Mark the child gone under the lock before the reap: no signal can race the reap.
            let exit = Self.waitAndReap(pid, killingGroup: true) { state.withLock { $0.reaping = true } }
            OwnChildren.reaped(pid)
            if holdsTerminal { ForegroundTerminal.takeBack(from: pid) }
            let waiters = state.withLock { state in
                state.exit = exit
                defer { state.waiters = [:] }
                return state.waiters.values
            }
            for waiter in waiters { waiter.resume(returning: exit) }
        }
    }
}

/// Hands lavavisor's terminal (its stdin) to a child's process group and takes it back, as tini does.
///
/// `tcsetpgrp` from a background group stops the caller with SIGTTOU unless the signal is ignored or
/// blocked: it is blocked in the calling thread only, around the call, so no other thread is affected.
private enum ForegroundTerminal {
    /// Whether stdin is a terminal whose foreground group is lavavisor's.
    static func isOurs() -> Bool {
        isatty(STDIN_FILENO) != 0 && tcgetpgrp(STDIN_FILENO) == getpgrp()
    }

    /// Makes `group` the foreground group, then continues it in case it already stopped on SIGTTIN.
    static func give(to group: pid_t) -> Bool {
        let done = withSIGTTOUBlocked { tcsetpgrp(STDIN_FILENO, group) == 0 }
        if done { kill(-group, SIGCONT) }
        return done
    }

    /// Gives the foreground back to lavavisor's group if the terminal still exists and `group` still holds it.
    static func takeBack(from group: pid_t) {
        guard tcgetpgrp(STDIN_FILENO) == group else { return }
        _ = withSIGTTOUBlocked { tcsetpgrp(STDIN_FILENO, getpgrp()) }
    }

    private static func withSIGTTOUBlocked<T>(_ body: () -> T) -> T {
        var block = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGTTOU)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &block, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return body()
    }
}

/// A process that could not be started.
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    /// The program lavavisor tried to start.
    public let executable: String
    /// The system's error number.
    public let code: Int32

    public var description: String {
        "cannot start \(executable): \(String(cString: strerror(code))); check that the file exists and is executable"
    }
}
