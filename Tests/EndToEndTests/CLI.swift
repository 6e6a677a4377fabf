import Core
import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `lavavisor` executable as a real process, its output going to files in the test's folder.
struct CLI {
    /// The `lavavisor` built next to the test bundle.
    static let binary: URL = {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("lavavisor")
    }()

    /// A running lavavisor; one the test leaves running (a failed expectation half-way) is killed
    /// when the test lets go of it, so that no lavavisor outlives its test.
    final class Running: Sendable {
        let process: ChildProcess
        let stdout: URL
        let stderr: URL

        init(process: ChildProcess, stdout: URL, stderr: URL) {
            self.process = process
            self.stdout = stdout
            self.stderr = stderr
        }

        deinit { process.signal(SIGKILL) }

        var output: String { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" }
        var logs: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }

        /// Waits until the logs contain `text`.
        func waitForLog(_ text: String, timeout: Duration = patience) async throws {
            try await waitUntil("log line '\(text)' in:\n\(logs)", timeout: timeout) { logs.contains(text) }
        }

        /// Waits for the exit, at most `timeout`.
        func exit(timeout: Duration = patience) async throws -> ProcessExit {
            guard let exit = await process.wait(timeout: timeout) else {
                process.signal(SIGKILL)
                throw WaitTimeout(what: "lavavisor to exit; logs:\n\(logs)")
            }
            return exit
        }
    }

    /// What a finished run left.
    struct Finished {
        let exit: ProcessExit
        let output: String
        let logs: String
    }

    /// Starts `lavavisor arguments…` with stdin from `input` (or /dev/null); `setup` is shell code
    /// run before (e.g. `ulimit -f 100`); `prefix` runs lavavisor (e.g. `unshare -fp --mount-proc`).
    /// `environment` is added to the test's; with `journalStream`, `JOURNAL_STREAM` names the file
    /// stderr goes to, as systemd names the journal's socket.
    static func launch(
        _ arguments: [String], in temp: TemporaryDirectory, input: String? = nil, setup: String = "", prefix: [String] = [],
        environment extra: [String: String] = [:], journalStream: Bool = false
    ) throws -> Running {
        let name = UUID().uuidString
        let stdout = temp.path("cli-\(name).out")
        let stderr = temp.path("cli-\(name).err")
        let stdin = input.map { _ in temp.path("cli-\(name).in") }
        if let stdin, let input { try Data(input.utf8).write(to: stdin) }
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        if journalStream {
            // The shell's redirection truncates this file, keeping its inode.
            FileManager.default.createFile(atPath: stderr.path, contents: nil)
            var info = stat()
            guard stat(stderr.path, &info) == 0 else { throw TestFailure("cannot stat \(stderr.path)") }
            environment["JOURNAL_STREAM"] = "\(info.st_dev):\(info.st_ino)"
        }
        environment["TEST_LAVAVISOR_OUT"] = stdout.path
        environment["TEST_LAVAVISOR_ERR"] = stderr.path
        environment["TEST_LAVAVISOR_IN"] = stdin?.path ?? "/dev/null"
        // The shell only sets up limits and redirections, then becomes lavavisor (exec): no shell stays in between.
        let exec = #"exec "$@" < "$TEST_LAVAVISOR_IN" > "$TEST_LAVAVISOR_OUT" 2> "$TEST_LAVAVISOR_ERR""#
        let script = setup.isEmpty ? exec : setup + "; " + exec
        let process = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["-c", script, "sh"] + prefix + [binary.path] + arguments, environment: environment)
        return Running(process: process, stdout: stdout, stderr: stderr)
    }

    /// Starts `lavavisor arguments…` on `terminal`, as the leader of a new session whose controlling
    /// terminal it is (stdin, stdout and stderr), as from an operator's shell.
    static func launch(_ arguments: [String], on terminal: PseudoTerminal) throws -> PseudoTerminal.Process {
        try terminal.spawn(binary.path, arguments)
    }

    /// Runs `lavavisor arguments…` as the user nobody (uid 65534), who may read the test's folder but not write it.
    static func runAsNobody(in temp: TemporaryDirectory, _ arguments: [String]) async throws -> Finished {
        let name = UUID().uuidString
        let stdout = temp.path("nobody-\(name).out")
        let stderr = temp.path("nobody-\(name).err")
        var environment = ProcessInfo.processInfo.environment
        environment["TEST_LAVAVISOR_OUT"] = stdout.path
        environment["TEST_LAVAVISOR_ERR"] = stderr.path
        let script =
            #"exec setpriv --reuid=65534 --regid=65534 --clear-groups "$0" "$@" < /dev/null > "$TEST_LAVAVISOR_OUT" 2> "$TEST_LAVAVISOR_ERR""#
        let process = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["-c", script, CLI.binary.path] + arguments, environment: environment)
        guard let exit = await process.wait(timeout: patience) else {
            process.signal(SIGKILL)
            throw WaitTimeout(what: "lavavisor run as nobody to exit")
        }
        return Finished(
            exit: exit, output: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
            logs: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
    }

    /// Runs `lavavisor arguments…` to its end.
    static func run(_ arguments: [String], in temp: TemporaryDirectory, input: String? = nil) async throws -> Finished {
        let running = try launch(arguments, in: temp, input: input)
        let exit = try await running.exit()
        return Finished(exit: exit, output: running.output, logs: running.logs)
    }
}

/// A quickstart-like setup in a test's folder: stand-in binaries, a versions file, a store.
struct Quickstart {
    let temp: TemporaryDirectory
    let events: URL
    let bin: URL
    let versions: URL
    let store: Store

    init(versions initial: String = "1.0.0", binaries: [String] = ["1.0.0", "1.1.0"], behaviour: StandIn.Behaviour = .serve) throws {
        temp = try TemporaryDirectory()
        events = temp.path("events")
        bin = temp.path("bin")
        versions = temp.path("versions.yml")
        store = Store(directory: temp.path("home"))
        for version in binaries {
            try StandIn.install(version: version, at: bin.appendingPathComponent("v\(version)/lavap"), events: events, behaviour: behaviour)
        }
        try require(initial)
    }

    /// Writes the versions file demanding `target` with `minimum` below it, for both roles.
    func require(target: String, minimum: String) throws {
        let text = [
            "provider_target: \"\(target)\"", "provider_min: \"\(minimum)\"", "consumer_target: \"\(target)\"",
            "consumer_min: \"\(minimum)\"",
        ]
        try temp.write(text.joined(separator: "\n") + "\n", to: "versions.yml")
    }

    /// Writes the versions file demanding `version` (target and minimum).
    func require(_ version: String) throws { try require(target: version, minimum: version) }

    /// The flags that select the file and local plugins on this setup.
    var flags: [String] {
        [
            "--directory", temp.path("home").path, "--version-source", "file", "--versions-file", versions.path,
            "--source", "local", "--binaries-dir", bin.path,
        ]
    }

    /// The flags of a wrap on this setup, checking every 0.2 s.
    func wrap(_ extra: [String] = [], command: String = "lavap rpcprovider provider.yml --from alice") -> [String] {
        ["wrap"] + flags + ["--auto-download", "--poll-interval", "0.2", "--cmd", command] + extra
    }

    /// The recorded stand-in events.
    var recorded: [[String]] { StandIn.events(events) }

    /// How many stand-ins of `version` have started.
    func starts(_ version: String) -> Int { recorded.filter { $0.prefix(2) == ["start", version] }.count }

    /// Waits for a stand-in event starting with `words`; returns it.
    @discardableResult
    func waitForEvent(_ words: String...) async throws -> [String] {
        var found: [String] = []
        try await waitUntil("event \(words) in \(recorded)") {
            found = recorded.first { Array($0.prefix(words.count)) == words } ?? []
            return !found.isEmpty
        }
        return found
    }
}
