import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the keyring password without echo from a terminal (`--enter-keyring-password`); without
/// a terminal it fails at once, naming `--keyring-password-file`.
///
/// The read runs on a dedicated thread, raced against SIGINT and SIGTERM from `Signals`: on such a
/// signal the prompt gives up at once with `PromptInterrupted`. A terminal's settings (echo) are
/// restored on every path out: a password, end of input, an error, a signal.
public enum PasswordPrompt {
    /// Reads one line from the terminal `input` (stdin by default); a prompt is logged first.
    ///
    /// Throws `PromptInterrupted` on SIGINT or SIGTERM, and `PasswordPromptError` without a terminal
    /// or when no password comes.
    public static func read(logger: Logger, input: Int32 = 0) async throws -> Secret {
        var saved = termios()
        guard isatty(input) != 0, tcgetattr(input, &saved) == 0 else { throw PasswordPromptError.noTerminal }
        // No core file from now on: the password and its temporary copies come into memory.
        CoreDumps.forbid()
        // Echo goes off before the prompt shows, so no keystroke typed after it is ever echoed.
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(input, TCSANOW, &silent)
        logger.info("Please enter the keyring password:")
        defer {
            tcsetattr(input, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }

        let line = try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask { .line(try await readLine(from: input)) }
            group.addTask {
                for await number in Signals.stream(only: [SIGINT, SIGTERM]) { return .signal(number) }
                return .cancelled
            }
            var line: [UInt8]?
            var interruption: Int32?
            var failure: (any Error)?
            // The first outcome cancels the other task; a signal that came meanwhile still wins.
            while let result = await group.nextResult() {
                group.cancelAll()
                switch result {
                case .success(.line(let read)): line = read
                case .success(.signal(let number)): interruption = interruption ?? number
                case .success(.cancelled): break
                case .failure(let error): if !(error is CancellationError) { failure = failure ?? error }
                }
            }
            if let interruption { throw PromptInterrupted(signal: interruption) }
            if let failure { throw failure }
            try Task.checkCancellation()
            return line
        }
        guard var line, !line.isEmpty else { throw PasswordPromptError.empty }
        defer { Secret.zero(&line) }
        return Secret(copying: line.prefix(line.last == UInt8(ascii: "\r") ? line.count - 1 : line.count))
    }

    private enum Outcome: Sendable {
        case line([UInt8]?)
        case signal(Int32)
        case cancelled
    }

    /// Reads up to a newline (not included) on a dedicated thread; nil at end of input with nothing read.
    ///
    /// Reads byte by byte, so nothing after the line is taken from `input`. Cancelling the task stops
    /// the thread and throws `CancellationError`.
    private static func readLine(from input: Int32) async throws -> [UInt8]? {
        let wakeUp = try WakeUpPipe()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                Thread.detach(name: "lavavisor-password", stackSize: 64 * 1024) {
                    defer { wakeUp.close() }
                    do {
                        // Room for any typed password up front: no reallocation leaves a copy in freed memory.
                        var line: [UInt8] = []
                        line.reserveCapacity(64 * 1024)
                        var byte: UInt8 = 0
                        while true {
                            try wakeUp.waitUntilReadable(input)
                            let count = Glibc.read(input, &byte, 1)
                            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                            guard count >= 0 else { throw SystemError("reading the keyring password") }
                            if count == 0 || byte == UInt8(ascii: "\n") { break }
                            line.append(byte)
                        }
                        continuation.resume(returning: line.isEmpty && byte != UInt8(ascii: "\n") ? nil : line)
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            wakeUp.wake()
        }
    }
}

/// The password prompt was interrupted by a signal; lavavisor exits with 128 + the signal, as shells do.
public struct PromptInterrupted: Error, Sendable, CustomStringConvertible {
    /// The signal that interrupted it (SIGINT or SIGTERM).
    public let signal: Int32

    /// The status lavavisor should exit with: 128 + the signal.
    public var exitStatus: Int32 { 128 + signal }

    public var description: String {
        "the keyring password prompt was interrupted by signal \(signal); nothing was started"
    }
}

/// The prompt cannot give a password; the message says what to do.
public enum PasswordPromptError: Error, Sendable, CustomStringConvertible {
    /// Standard input is not a terminal.
    case noTerminal
    /// Nothing was typed before Enter or the end of input.
    case empty

    public var description: String {
        switch self {
        case .noTerminal:
            "--enter-keyring-password asks on a terminal, and standard input is not one; in containers and services, put the password in a file only you can read (chmod 600) and pass --keyring-password-file PATH"
        case .empty: "--enter-keyring-password got no password: type it at the prompt"
        }
    }
}
