public import Core
public import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A pseudo-terminal that a test opens itself, to run a program as an operator's shell would: as a
/// session leader whose controlling terminal is the pty, on its stdin, stdout and stderr.
///
/// A thread reads everything the program writes (the master side), so the program never blocks on
/// a full terminal; the test writes keystrokes to the master and inspects the slave's settings.
public final class PseudoTerminal: Sendable {
    /// The path of the slave side, e.g. `/dev/pts/3`.
    public let slavePath: String
    private let master: Int32
    private let wakeUp: (read: Int32, write: Int32)

    private struct State {
        var received: [UInt8] = []
        var readerStarted = false
        var readerDone = false
        var closeRequested = false
        var masterOpen = true
    }
    private let state = Mutex(State())

    /// Opens a new pseudo-terminal (`posix_openpt`, `grantpt`, `unlockpt`, `ptsname_r`).
    public init() throws {
        let master = LibC.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw SystemError("opening a pseudo-terminal") }
        var name = [CChar](repeating: 0, count: 128)
        guard LibC.grantpt(master) == 0, LibC.unlockpt(master) == 0, LibC.ptsname_r(master, &name, name.count) == 0 else {
            let error = SystemError("preparing the pseudo-terminal's slave")
            Glibc.close(master)
            throw error
        }
        var fds: [Int32] = [-1, -1]
        guard LibC.pipe2(&fds, O_CLOEXEC) == 0 else {
            let error = SystemError("creating a pipe")
            Glibc.close(master)
            throw error
        }
        self.master = master
        self.wakeUp = (fds[0], fds[1])
        self.slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { close() }

    /// Runs `executable` with `arguments` as the leader of a new session whose controlling terminal is
    /// this one, on fds 0, 1 and 2, with default signal dispositions and an empty signal mask.
    public func spawn(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Process {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // setsid() runs before the file actions: the session leader's first terminal opened without
        // O_NOCTTY becomes its controlling terminal, and its group the foreground group.
        let setsid: Int32 = 0x80  // POSIX_SPAWN_SETSID, hidden from Swift with the rest of _GNU_SOURCE
        posix_spawnattr_setflags(&attributes, Int16(setsid | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)

        let environment = environment ?? ProcessInfo.processInfo.environment
        let argv = ([executable] + arguments).map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            (envp + [nil]).withUnsafeBufferPointer { envBuffer in
                posix_spawn(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, envBuffer.baseAddress!)
            }
        }
        guard result == 0 else { throw SystemError("starting \(executable) on \(slavePath)", code: result) }
        // The slave is open now (posix_spawn returns after the exec), so the master reads no early EIO.
        startReader()
        return Process(pid: pid)
    }

    /// Types `bytes` on the terminal (writes them to the master).
    public func write(_ bytes: [UInt8]) {
        state.withLock { state in
            guard state.masterOpen else { return }
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                written += count
            }
        }
    }

    /// Types `text` on the terminal.
    public func write(_ text: String) { write(Array(text.utf8)) }

    /// Everything the terminal has shown so far (what the programs on it wrote, and the echo).
    public var output: String { String(decoding: state.withLock { $0.received }, as: UTF8.self) }

    /// Waits until the terminal has shown `text`.
    public func waitForOutput(_ text: String, timeout: Duration = patience) async throws {
        try await waitUntil("'\(text)' on the terminal; it shows:\n\(output)", timeout: timeout) { output.contains(text) }
    }

    /// Waits until every program has closed the terminal, then returns everything it showed.
    public func finalOutput(timeout: Duration = patience) async throws -> String {
        try await waitUntil("every program to close the terminal", timeout: timeout) { state.withLock { $0.readerDone } }
        return output
    }

    /// The slave's local mode flags (`c_lflag`: ECHO, ICANON, ISIG…).
    public func localFlags() throws -> tcflag_t {
        let slave = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else { throw SystemError("opening \(slavePath)") }
        defer { Glibc.close(slave) }
        var settings = termios()
        guard tcgetattr(slave, &settings) == 0 else { throw SystemError("reading the settings of \(slavePath)") }
        return settings.c_lflag
    }

    /// Turns local mode flags of the slave on (`stty tostop` is `setLocalFlags(TOSTOP)`).
    public func setLocalFlags(_ flags: tcflag_t) throws {
        let slave = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else { throw SystemError("opening \(slavePath)") }
        defer { Glibc.close(slave) }
        var settings = termios()
        guard tcgetattr(slave, &settings) == 0 else { throw SystemError("reading the settings of \(slavePath)") }
        settings.c_lflag |= flags
        guard tcsetattr(slave, TCSANOW, &settings) == 0 else { throw SystemError("changing the settings of \(slavePath)") }
    }

    /// The terminal's foreground process group (Linux answers TIOCGPGRP on the master for the slave).
    public var foregroundGroup: pid_t {
        state.withLock { $0.masterOpen ? tcgetpgrp(master) : -1 }
    }

    /// Closes the master (the terminal goes away) and stops the reader thread.
    public func close() {
        let closeNow = state.withLock { state in
            state.closeRequested = true
            guard state.readerStarted && !state.readerDone else { return true }
            // Under the lock: the reader cannot finish (and close this pipe) before the byte is written.
            _ = Glibc.write(wakeUp.write, [UInt8(1)], 1)
            return false
        }
        if closeNow { finish() }
    }

    /// Closes the master and the wake-up pipe once, after the reader (if any) is done with them.
    private func finish() {
        state.withLock { state in
            guard state.masterOpen else { return }
            state.masterOpen = false
            Glibc.close(master)
            Glibc.close(wakeUp.read)
            Glibc.close(wakeUp.write)
        }
    }

    private func startReader() {
        let start = state.withLock { state in
            defer { state.readerStarted = true }
            return !state.readerStarted
        }
        guard start else { return }
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeUp.read, events: Int16(POLLIN), revents: 0)]
            while true {
                let ready = poll(&fds, 2, -1)
                if ready < 0 && errno == EINTR { continue }
                guard ready > 0, fds[1].revents == 0 else { break }
                let count = read(master, &buffer, buffer.count)
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                guard count > 0 else { break }  // EIO: every program closed the slave
                state.withLock { $0.received.append(contentsOf: buffer[0..<count]) }
            }
            let closeNow = state.withLock { state in
                state.readerDone = true
                return state.closeRequested
            }
            if closeNow { finish() }
        }
        thread.name = "pseudo-terminal-reader"
        thread.stackSize = 128 * 1024
        thread.start()
    }

    /// A program running on the terminal; reaped by a thread of its own.
    public final class Process: Sendable {
        /// Its process id, which is also its session and process group id.
        public let pid: pid_t
        private let exit = Mutex<ProcessExit?>(nil)
        private let reaped = Mutex(false)

        init(pid: pid_t) {
            self.pid = pid
            let thread = Thread { [self] in
                let status = ChildProcess.waitAndReap(pid) { reaped.withLock { $0 = true } }
                exit.withLock { $0 = status }
            }
            thread.stackSize = 64 * 1024
            thread.start()
        }

        /// Sends `signal` to the program unless it has been reaped.
        public func signal(_ signal: Int32) {
            reaped.withLock { reaped in if !reaped { kill(pid, signal) } }
        }

        /// Waits for the program's end, at most `timeout`; kills it and throws when it outlives it.
        public func wait(timeout: Duration = patience) async throws -> ProcessExit {
            do {
                try await waitUntil("the program on the terminal (pid \(pid)) to exit", timeout: timeout) { exit.withLock { $0 != nil } }
            } catch {
                signal(SIGKILL)
                throw error
            }
            return exit.withLock { $0! }
        }
    }
}

/// The libc calls a pseudo-terminal needs, looked up at run time: Swift's Glibc module is built
/// without `_XOPEN_SOURCE`/`_GNU_SOURCE`, which hide their declarations.
private enum LibC {
    static let posix_openpt = function("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    static let grantpt = function("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    static let unlockpt = function("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    static let pipe2 = function("pipe2", as: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    static let ptsname_r = function("ptsname_r", as: (@convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32).self)

    private static func function<T>(_ name: String, as type: T.Type) -> T {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { fatalError("libc has no \(name)") }
        return unsafeBitCast(symbol, to: type)
    }
}
