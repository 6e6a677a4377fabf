import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Every signal disposition of lavavisor is set here: the handled signals as an async stream, the
/// harmful ones ignored, SIGCHLD as a pipe for the orphan reaper.
///
/// Turns POSIX signals into an async stream, without ever losing one that arrives during start-up.
///
/// How it works: `install()`, the first statement of the program, gives each handled signal a real
/// C handler. The handler is async-signal-safe: it only writes the signal number, as one byte, to a
/// non-blocking, close-on-exec self-pipe (a full pipe drops the byte rather than block). A dedicated
/// thread reads that pipe and keeps the numbers in a buffer until someone consumes them; `stream()`
/// yields them in order of arrival, first those received since `install()`, then every new one.
///
/// So from `install()` on, a handled signal never kills lavavisor and is never lost, whenever it
/// comes. Before it, the default action applies: call `install()` before anything else.
/// A command that turns out to stop nothing gracefully calls `restoreDefaults()`: what came
/// meanwhile then takes its default action, as it would have without `install()`.
/// Children get default dispositions and an empty signal mask back at spawn (see `ChildProcess`).
public enum Signals {
    /// The signals `install()` handles by default: the ones that ask lavavisor to stop or reload.
    public static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
    /// How many unconsumed signals are kept; beyond it the oldest are dropped.
    public static let bufferLimit = 1024

    /// Ignores the signals whose default action would kill lavavisor for a recoverable error:
    /// SIGPIPE (a child that closes its stdin) and SIGXFSZ (a file size limit: writes fail with
    /// EFBIG instead). Children get default dispositions back at spawn.
    /// SIGTTOU is ignored too: lavavisor keeps logging to a terminal whose foreground it handed to
    /// its child, and with `stty tostop` such a write would stop it.
    public static func ignoreHarmful() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        signal(SIGTTOU, SIG_IGN)
    }

    /// Handles `signals` from now on: each one is kept for `stream()` instead of taking its default action.
    ///
    /// Idempotent; tests pass only the signals they use so the test runner keeps its own dispositions.
    public static func install(_ signals: [Int32] = handled) {
        hub.install(signals)
    }

    /// Gives the installed signals their default action back; those received and not consumed are
    /// raised again (to the process), so they take it now: for the handled ones, lavavisor ends.
    ///
    /// For commands with nothing to stop gracefully, so that Ctrl-C or SIGTERM ends them at once.
    public static func restoreDefaults() {
        hub.restoreDefaults()
    }

    /// The handled signals in order of arrival: every one received since `install()` and not yet
    /// consumed, then each new one; numbers outside `only` are consumed and dropped.
    ///
    /// One consumer at a time: each signal goes to one iteration only. A signal is removed from the
    /// buffer only when the stream yields it, so one that arrives after a consumer stopped waits for
    /// the next `stream()`. Iteration ends when the consuming task is cancelled.
    public static func stream(only: Set<Int32>? = nil) -> AsyncStream<Int32> {
        AsyncStream {
            while let number = await hub.next() {
                if only?.contains(number) ?? true { return number }
            }
            return nil
        }
    }

    /// The read end of a pipe that gets a byte at each SIGCHLD (children that stopped excepted),
    /// for the orphan reaper; the handler is installed at the first use.
    static let childExits: Int32 = {
        guard let (readEnd, writeEnd) = Posix.pipe() else { fatalError("\(SystemError("creating the SIGCHLD pipe"))") }
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        childPipeWriteEnd = writeEnd
        var action = sigaction()
        action.__sigaction_handler.sa_handler = recordChildSignal
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART | SA_NOCLDSTOP
        sigaction(SIGCHLD, &action, nil)
        return readEnd
    }()

    private static let hub = Hub()
}

/// The write end of the SIGCHLD pipe, set once before its handler is installed.
nonisolated(unsafe) private var childPipeWriteEnd: Int32 = -1

/// The SIGCHLD handler: async-signal-safe (`write` only, `errno` preserved).
private let recordChildSignal: @convention(c) (Int32) -> Void = { _ in
    let saved = errno
    var byte: UInt8 = 0
    _ = write(childPipeWriteEnd, &byte, 1)
    errno = saved
}

/// The write end of the self-pipe, read by the C handler. Set once, before any handler is installed,
/// so the handler only ever loads an initialized global.
nonisolated(unsafe) private var selfPipeWriteEnd: Int32 = -1

/// The signal handler: async-signal-safe (`write` only, `errno` preserved), capturing nothing.
private let recordSignal: @convention(c) (Int32) -> Void = { number in
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(selfPipeWriteEnd, &byte, 1)
    errno = saved
}

/// The self-pipe, its reader thread, and the buffer of signals not yet consumed.
private final class Hub: Sendable {
    private struct State {
        var started = false
        var installed: Set<Int32> = []
        var pending: [Int32] = []
        var waiters: [(id: Int, continuation: CheckedContinuation<Int32?, Never>)] = []
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    func install(_ signals: [Int32]) {
        state.withLock { state in
            if !state.started {
                startReader()
                state.started = true
            }
            for number in signals where !state.installed.contains(number) {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = recordSignal
                sigemptyset(&action.sa_mask)
                action.sa_flags = SA_RESTART
                sigaction(number, &action, nil)
                state.installed.insert(number)
            }
        }
    }

    func restoreDefaults() {
        let pending = state.withLock { state in
            for number in state.installed { signal(number, SIG_DFL) }
            state.installed = []
            defer { state.pending = [] }
            return state.pending
        }
        for number in pending { kill(getpid(), number) }
    }

    /// The oldest unconsumed signal, waiting for one if none; nil when the task is cancelled.
    func next() async -> Int32? {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
                let ready: Int32?? = state.withLock { state in
                    if !state.pending.isEmpty { return .some(state.pending.removeFirst()) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
            }
            waiter?.continuation.resume(returning: nil)
        }
    }

    /// Hands `number` to the oldest waiter, or keeps it; raises it again if its default action is back.
    private func deliver(_ number: Int32) {
        let waiter: CheckedContinuation<Int32?, Never>?? = state.withLock { state in
            guard state.installed.contains(number) else { return .none }
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.pending.append(number)
            if state.pending.count > Signals.bufferLimit { state.pending.removeFirst() }
            return .some(nil)
        }
        guard let waiter else {
            kill(getpid(), number)  // caught just before `restoreDefaults()`: it takes its default action now
            return
        }
        waiter?.resume(returning: number)
    }

    /// Creates the self-pipe and the thread that empties it. The pipe lives as long as the process.
    private func startReader() {
        guard let (readEnd, writeEnd) = Posix.pipe() else { fatalError("\(SystemError("creating the signal pipe"))") }
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        selfPipeWriteEnd = writeEnd
        Thread.detach(name: "lavavisor-signals", stackSize: 64 * 1024) { [self] in
            // Threads inherit their creator's mask, and the cooperative pool's threads block signals:
            // this one takes the handled signals, so a process-directed one always finds a thread.
            var handled = sigset_t()
            sigemptyset(&handled)
            for number in Signals.handled { sigaddset(&handled, number) }
            pthread_sigmask(SIG_UNBLOCK, &handled, nil)
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                for byte in buffer[0..<count] { deliver(Int32(byte)) }
            }
        }
    }
}
