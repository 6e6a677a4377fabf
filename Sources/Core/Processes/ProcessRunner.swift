import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a short command to its end with a deadline and captures its output (stdout and stderr together).
public enum ProcessRunner {
    /// What a finished command left.
    public struct Outcome: Sendable {
        /// How it ended; nil when it outlived the deadline and was killed.
        public var exit: ProcessExit?
        /// What it printed, its last `outputLimit` bytes.
        public var output: String
    }

    /// Runs `executable` with `arguments`; kills its process group when it outlives `timeout`.
    ///
    /// `environment` nil inherits lavavisor's; `onLine` gets each line of output as it arrives
    /// (the last `outputLimit` bytes are kept in the outcome either way).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Duration,
        outputLimit: Int = 64 * 1024, onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> Outcome {
        let child = try await ChildProcess.spawnWhenReady(
            executable: executable, arguments: arguments, environment: environment, stdin: .null, output: .pipe)
        let reader = child.output!
        let deadline = ContinuousClock.now + timeout
        async let bytes = readAll(reader, until: deadline, limit: outputLimit, onLine: onLine)
        let exit = await child.wait(timeout: timeout)
        if exit == nil {
            child.signal(SIGKILL)
            _ = await child.wait()
        }
        let output = String(decoding: await bytes, as: UTF8.self)
        return Outcome(exit: exit, output: output)
    }

    /// Reads `fd` to its end on a dedicated thread, giving up at `deadline`; closes `fd`.
    private static func readAll(
        _ fd: Int32, until deadline: ContinuousClock.Instant, limit: Int, onLine: (@Sendable (String) -> Void)?
    ) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            Thread.detach(stackSize: 128 * 1024) {
                var collected: [UInt8] = []
                var pending: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let ready = poll(&poller, 1, ContinuousClock.now.duration(to: deadline).pollMilliseconds)
                    if ready < 0 && errno == EINTR { continue }
                    guard ready > 0 else { break }
                    let count = read(fd, &buffer, buffer.count)
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    collected.append(contentsOf: buffer[0..<count])
                    if collected.count > limit { collected.removeFirst(collected.count - limit) }
                    if let onLine {
                        pending.append(contentsOf: buffer[0..<count])
                        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                            onLine(String(decoding: pending[..<newline], as: UTF8.self))
                            pending.removeSubrange(...newline)
                        }
                    }
                }
                if let onLine, !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
                close(fd)
                continuation.resume(returning: collected)
            }
        }
    }
}

/// Asks a `lavap` binary for its version.
public enum BinaryProbe {
    /// Runs `binary version` and parses the last non-empty line it prints; nil when it cannot tell.
    public static func version(of binary: String, timeout: Duration = .seconds(10)) async -> SemanticVersion? {
        try? await checkedVersion(of: binary, timeout: timeout)
    }

    /// Like `version(of:)`, but says why the version could not be read.
    public static func checkedVersion(of binary: String, timeout: Duration = .seconds(10)) async throws -> SemanticVersion {
        let outcome = try await ProcessRunner.run(binary, ["version"], timeout: timeout)
        guard let exit = outcome.exit else {
            throw ProbeError(binary: binary, problem: "'version' did not finish within \(timeout)")
        }
        guard exit == .exited(0) else {
            throw ProbeError(binary: binary, problem: "'version' ended with \(exit)")
        }
        let line = outcome.output.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }
        let text = line.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        do { return try SemanticVersion(parsing: text) } catch {
            throw ProbeError(binary: binary, problem: "'version' printed \(text.isEmpty ? "nothing" : "'\(text)'"), not X.Y.Z")
        }
    }
}

/// A binary that did not say its version.
public struct ProbeError: Error, Sendable, CustomStringConvertible {
    /// The binary asked.
    public let binary: String
    /// What went wrong.
    public let problem: String

    public var description: String { "\(binary) cannot tell its version: \(problem)" }
}
