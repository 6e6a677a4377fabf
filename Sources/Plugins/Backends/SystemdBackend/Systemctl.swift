public import Core
import Foundation

/// How lavavisor runs `systemctl`: which program, through `sudo -n` or not, for the system or the
/// user's manager; each call with a deadline, its output kept for the error message.
public struct Systemctl: Sendable {
    /// The program: a path, or a name looked up in `PATH`.
    public var program: String
    /// Whether to run it as `sudo -n PROGRAM …` (never prompting).
    public var sudo: Bool
    /// Whether to talk to the user's manager (`systemctl --user`).
    public var user: Bool
    /// How long one call may take.
    public var timeout: Duration

    /// A `systemctl` runner.
    public init(program: String = "systemctl", sudo: Bool = false, user: Bool = false, timeout: Duration = .seconds(90)) {
        self.program = program
        self.sudo = sudo
        self.user = user
        self.timeout = timeout
    }

    /// The command line of `systemctl arguments…`, as it is run. Callers put every unit name after
    /// `--`, so that a name from config.yml that starts with `-` is never taken for an option.
    public func commandLine(_ arguments: [String]) -> [String] {
        (sudo ? ["sudo", "-n"] : []) + [program] + (user ? ["--user"] : []) + arguments
    }

    /// Runs `systemctl arguments…`; returns how it ended and what it printed.
    public func run(_ arguments: [String]) async throws(SystemctlFailed) -> ProcessRunner.Outcome {
        let line = commandLine(arguments)
        guard let executable = Self.locate(line[0]) else {
            throw SystemctlFailed(
                command: line, output: "",
                problem: sudo
                    ? "cannot run: sudo is not installed or not in PATH; install it or leave out --sudo"
                    : "cannot run: \(line[0]) is not an executable file or not in PATH; install systemd or pass --systemctl PATH")
        }
        do {
            return try await ProcessRunner.run(executable, Array(line.dropFirst()), timeout: timeout)
        } catch {
            throw SystemctlFailed(command: line, output: "", problem: "cannot be started (\(error))")
        }
    }

    /// Runs `systemctl arguments…` and requires exit status 0; returns what it printed.
    @discardableResult
    public func require(_ arguments: [String]) async throws(SystemctlFailed) -> String {
        let outcome = try await run(arguments)
        guard let exit = outcome.exit else {
            throw SystemctlFailed(
                command: commandLine(arguments), output: outcome.output, problem: "did not finish within \(timeout.brief)")
        }
        guard exit == .exited(0) else {
            throw SystemctlFailed(command: commandLine(arguments), output: outcome.output, problem: "ended with \(exit)")
        }
        return outcome.output
    }

    /// The systemd version `systemctl --version` reports (its first line, `systemd 252 (…)`); nil when it cannot tell.
    public func systemdVersion() async -> Int? {
        guard let output = try? await require(["--version"]) else { return nil }
        let words = output.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2, words[0] == "systemd" else { return nil }
        return Int(words[1])
    }

    /// `program` as an executable path: as given when it has a slash, else the first match in `PATH`.
    static func locate(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        return path.split(separator: ":").lazy.map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// A `systemctl` call that failed; the message names the command and shows what it printed.
public struct SystemctlFailed: Error, Sendable, CustomStringConvertible {
    /// The command line run.
    public let command: [String]
    /// What it printed.
    public let output: String
    /// What went wrong.
    public let problem: String

    public var description: String {
        let printed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return "'\(command.joined(separator: " "))' \(problem)" + (printed.isEmpty ? "" : ": \(printed)")
    }
}

extension Systemctl {
    /// The states of `service` (`systemctl show -p LoadState,ActiveState,SubState -- SERVICE`); a failure is kept in `error`.
    public func state(of service: String) async -> ServiceState {
        var state = ServiceState(name: service)
        do {
            let output = try await require(["show", "--property=LoadState,ActiveState,SubState", "--", service])
            for line in output.split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                switch parts[0] {
                case "LoadState": state.load = parts[1]
                case "ActiveState": state.active = parts[1]
                case "SubState": state.sub = parts[1]
                default: break
                }
            }
        } catch {
            state.error = "\(error)"
        }
        return state
    }
}
