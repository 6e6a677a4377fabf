import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor ctl COMMAND`: talk to a running wrap, pod or start over its control socket.
    struct Ctl: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ctl",
            abstract: "Control a running wrap, pod or start: restart, pause, resume, use X.Y.Z, unmark X.Y.Z, status.",
            discussion:
                "Talks to the lavavisor running on --directory over its control socket (.lavavisor/run/control-<pid>.sock, owner-only); with several running there, choose one with --pid. A pause and a pin live in that lavavisor's memory: they end with it. Example: lavavisor ctl pause",
            subcommands: [Restart.self, Pause.self, Resume.self, Use.self, Unmark.self, Status.self]
        )

        /// Also here, so that they may come before the command (`ctl --pid 4242 status`); each command reads them.
        @OptionGroup var target: ControlTargetFlags
    }
}

/// The flags of every `ctl` command: which lavavisor, and how to print its answer.
struct ControlTargetFlags: ParsableArguments {
    @OptionGroup var common: CommonFlags

    @Option(help: "The pid of the lavavisor to control, when several run on --directory.")
    var pid: Int32?

    @Flag(help: "Print the wrapper's answer as one JSON object.") var json = false
}

/// A `ctl` command: one request to one running lavavisor; prints its answer, exit status 1 when refused.
protocol ControlCommand: RuntimeCommand {
    var target: ControlTargetFlags { get }
    /// The request to send.
    var request: ControlRequest { get }
}

extension ControlCommand {
    var runtime: Runtime { Runtime(target.common) }

    func run(in runtime: Runtime) async throws -> Int32 {
        let socket = try await runtime.controlledLavavisor(pid: target.pid)
        // A move (`restart`, `use`) waits for lavap to stop and start; the wrapper bounds its own wait.
        let timeout: Duration = [.restart, .use].contains(request.command) ? ControlLimits.moveWait * 2 + .seconds(30) : .seconds(30)
        let answer = try await ControlClient.ask(request, at: socket.path, timeout: timeout)
        if target.json {
            FileHandle.standardOutput.write(answer.line())
        } else if answer.ok {
            print(answer.message ?? "done")
        } else {
            FileHandle.standardError.write(Data("lavavisor \(socket.pid) refused: \(answer.error ?? "no reason given")\n".utf8))
        }
        return answer.ok ? 0 : 1
    }
}

extension Lavavisor.Ctl {
    /// `ctl restart`.
    struct Restart: ControlCommand {
        static let configuration = CommandConfiguration(abstract: "Restart lavap now, gracefully, on the version current links to.")
        @OptionGroup var target: ControlTargetFlags
        var request: ControlRequest { ControlRequest(.restart) }
    }

    /// `ctl pause`.
    struct Pause: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hold every move of lavap onto another version until resume; checks go on and log what they would do.")
        @OptionGroup var target: ControlTargetFlags
        var request: ControlRequest { ControlRequest(.pause) }
    }

    /// `ctl resume`.
    struct Resume: ControlCommand {
        static let configuration = CommandConfiguration(abstract: "Let the checks move lavap again, checking at once.")
        @OptionGroup var target: ControlTargetFlags
        var request: ControlRequest { ControlRequest(.resume) }
    }

    /// `ctl use X.Y.Z` and `ctl use --release`.
    struct Use: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pin lavap to a version (at or above the chain's minimum) instead of the chain's target.",
            discussion:
                "The pin holds until 'ctl use --release', until the chain's minimum rises above it, until the version fails and is rolled back from, or until this lavavisor ends. With --auto-download a version not installed is fetched; without, it is refused."
        )
        @OptionGroup var target: ControlTargetFlags
        @Argument(help: "The version to run, X.Y.Z.") var version: String?
        @Flag(help: "Drop the pin: lavap follows the chain again.") var release = false

        func validate() throws {
            if release, version != nil { throw ValidationError("give either a version to pin or --release, not both") }
            if !release, version == nil { throw ValidationError("give the version to pin (X.Y.Z), or --release to drop the pin") }
        }

        var request: ControlRequest { release ? ControlRequest(.use, release: true) : ControlRequest(.use, version: version) }
    }

    /// `ctl unmark X.Y.Z`.
    struct Unmark: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear the bad-version mark of a version, so that checks may choose it again.")
        @OptionGroup var target: ControlTargetFlags
        @Argument(help: "The version whose mark to clear, X.Y.Z.") var version: String
        var request: ControlRequest { ControlRequest(.unmark, version: version) }
    }

    /// `ctl status`.
    struct Status: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the lavavisor's pid and command, what lavap runs, the pause, the pin and the last check.")
        @OptionGroup var target: ControlTargetFlags
        var request: ControlRequest { ControlRequest(.status) }
    }
}

extension Runtime {
    /// The control socket of the lavavisor to talk to: the one running on this store, or the one
    /// with `pid`. Sockets left by a lavavisor that is gone are removed, and said so.
    func controlledLavavisor(pid: Int32?) async throws -> ControlSocket {
        var live: [ControlSocket] = []
        for socket in store.controlSockets() {
            if await ControlClient.isStale(socket.path) {
                try? FileManager.default.removeItem(at: socket.path)
                logger.warning("removed \(socket.path.path): the lavavisor (pid \(socket.pid)) that made it is gone")
            } else if FileManager.default.fileExists(atPath: socket.path.path) {  // not removed by its lavavisor meanwhile
                live.append(socket)
            }
        }
        if let pid {
            guard let socket = live.first(where: { $0.pid == pid }) else {
                throw ControlError(
                    "no lavavisor with pid \(pid) runs on \(store.root.path)\(live.isEmpty ? "" : " (running: pid \(live.map { "\($0.pid)" }.joined(separator: ", pid ")))")"
                )
            }
            return socket
        }
        guard let only = live.first else {
            throw ControlError(
                "no lavavisor wrap, pod or start is running on \(store.root.path); start one, or give the --directory it runs on")
        }
        guard live.count == 1 else {
            var described: [String] = []
            for socket in live {
                let status = try? await ControlClient.ask(ControlRequest(.status), at: socket.path, timeout: .seconds(5)).status
                described.append("pid \(socket.pid) (\(status?.command ?? "not answering"))")
            }
            throw ControlError(
                "\(live.count) lavavisors run on \(store.root.path); choose one with --pid: \(described.joined(separator: ", "))")
        }
        return only
    }
}
