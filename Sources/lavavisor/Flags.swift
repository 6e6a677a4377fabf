public import ArgumentParser
import Core
import Foundation
import TLSTrust

#if canImport(Glibc)
    import Glibc
#endif

// The flags that are not any one plugin's: each command mounts the groups it uses. Every default
// comes from the Core type that uses it, so it is written once.

// Core's values that are flags: parsed here, so that Core's API names no ArgumentParser type
// beyond `PluginOptions`.
extension Role: ExpressibleByArgument {}
extension RestartPolicy.Mode: ExpressibleByArgument {}
extension ServiceRequest.Kind: ExpressibleByArgument {}

/// Where the store is and how to log: every command that touches a store.
struct CommonFlags: ParsableArguments {
    @Option(help: "The folder that holds .lavavisor/ (default: your home folder).")
    var directory: String?

    @Option(
        name: .customLong("log-format"), help: ArgumentHelp("One line per event, as text or as JSON.", valueName: "text|json"),
        completion: .list(LogFormat.allCases.map(\.rawValue)))
    var logFormatName = LogFormat.text.rawValue

    @Flag(help: "Log every check, not only changes.")
    var verbose = false

    func validate() throws {
        guard LogFormat(rawValue: logFormatName) != nil else {
            throw ValidationError("--log-format must be text or json, got '\(logFormatName)'")
        }
    }

    /// The `--log-format` value.
    var logFormat: LogFormat { LogFormat(rawValue: logFormatName) ?? .text }

    /// The `--directory` folder, defaulting to home.
    var directoryURL: URL {
        directory.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? FileManager.default.homeDirectoryForCurrentUser
    }
}

/// The chain and the network: every command that reads the chain's versions.
struct NetworkFlags: ParsableArguments {
    @Option(
        name: .customLong("chain-id"),
        help: "The chain id the node must be on: when given, a node on another chain is refused (without it, no chain is checked).")
    var chainID: String?

    @OptionGroup var connection: ConnectionFlags
}

/// How requests are made: every command that talks to a node or a release host.
struct ConnectionFlags: ParsableArguments {
    @Option(
        name: .customLong("connect-timeout"),
        help: "How long to wait for a connection to the node or a release host (default: \(HTTPTimeouts().connect.flagText)).",
        transform: DurationText.seconds)
    var connectTimeout: Double = HTTPTimeouts().connect.seconds

    @Option(
        name: .customLong("request-timeout"), help: "How long one request may take in all (default: \(HTTPTimeouts().total.flagText)).",
        transform: DurationText.seconds)
    var requestTimeout: Double = HTTPTimeouts().total.seconds

    @Option(name: .customLong("request-retries"), help: "Extra tries of a failed request within one check.")
    var requestRetries: Int = RetryPolicy().attempts - 1

    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp(
            "CA certificates (PEM) trusted beside the system's by every https and wss connection: node, websocket, REST, release mirror.",
            valueName: "pem"))
    var caFile: String?

    func validate() throws {
        if let caFile = caFileURL {
            do { _ = try TLSTrust.certificates(in: caFile) } catch { throw ValidationError(error.description) }
        }
        try DurationText.requirePositive(["--connect-timeout": connectTimeout, "--request-timeout": requestTimeout])
        guard (0...10).contains(requestRetries) else {
            throw ValidationError("--request-retries must be between 0 and 10, got \(requestRetries)")
        }
    }

    var timeouts: HTTPTimeouts { HTTPTimeouts(connect: .seconds(connectTimeout), total: .seconds(requestTimeout)) }
    var retries: RetryPolicy { RetryPolicy(attempts: requestRetries + 1) }
    /// `--ca-file`, resolved against the working directory.
    var caFileURL: URL? { caFile.map { URL(fileURLWithPath: $0).standardizedFileURL } }
}

/// How the version monitor runs: the commands that keep lavap up to date.
struct MonitorFlags: ParsableArguments {
    @Option(
        name: .customLong("poll-interval"), help: "The time between two version checks (default: \(Monitor.defaultPollInterval.flagText)).",
        transform: DurationText.seconds)
    var pollInterval: Double = Monitor.defaultPollInterval.seconds

    @Flag(name: .customLong("auto-download"), help: "Download or build missing versions (else wait for another lavavisor to).")
    var autoDownload = false

    @Flag(
        name: .customLong("no-prefetch"),
        help: "With --auto-download, do not fetch ahead the version a proposal in its voting period would require.")
    var noPrefetch = false

    @Option(
        name: .customLong("proposals-interval"),
        help:
            "The time between two reads of the governance proposals in their voting period, for the fetch ahead; read at once when the target moves (default: \(Monitor.defaultProposalsInterval.flagText)).",
        transform: DurationText.seconds)
    var proposalsInterval: Double = Monitor.defaultProposalsInterval.seconds

    @Option(
        name: .customLong("upgrade-spread"),
        help:
            "Delay an upgrade that the chain's minimum does not force by a random time below this, drawn per lavavisor, so that a fleet does not restart on one block; the binary is fetched at once (default: 0, off).",
        transform: DurationText.seconds)
    var upgradeSpread: Double = 0

    func validate() throws {
        try DurationText.requirePositive(["--poll-interval": pollInterval, "--proposals-interval": proposalsInterval])
        guard upgradeSpread >= 0, upgradeSpread.isFinite else {
            throw ValidationError("--upgrade-spread must be 0 (off) or a positive duration, got \(upgradeSpread)")
        }
    }
}

/// The command line to supervise: the commands that run one lavap themselves. As one line
/// (`--cmd '…'`, split as a shell would, nothing expanded), or as words after `--`, taken as they
/// are (as `cosmovisor run` takes them).
struct CommandFlag: ParsableArguments {
    @Option(help: "The lavap command line to supervise, e.g. 'lavap rpcprovider config.yml --from alice'.")
    var cmd: String?

    @Argument(
        parsing: .postTerminator,
        help: ArgumentHelp(
            "The lavap command as words after --, taken as they are, instead of --cmd: -- lavap rpcprovider config.yml --from alice.",
            valueName: "lavap-argv"))
    var argv: [String] = []

    func validate() throws {
        if cmd != nil && !argv.isEmpty {
            throw ValidationError("give the lavap command either with --cmd or after --, not both")
        }
    }

    /// The parsed `--cmd` or the words after `--`, nil when neither is given.
    func command() throws -> SupervisedCommand? {
        if !argv.isEmpty { return try SupervisedCommand(words: argv, given: "the command after --") }
        guard let cmd, !cmd.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return try SupervisedCommand(parsing: cmd)
    }
}

/// How processes are stopped and what they are handed.
struct ProcessFlags: ParsableArguments {
    @Flag(name: .customLong("enter-keyring-password"), help: "Ask for the keyring password and hand it to lavap on its stdin.")
    var enterKeyringPassword = false

    @Option(
        name: .customLong("keyring-password-file"),
        help: "Read the keyring password from this file (mode 600 or 400, yours) and hand it to lavap on its stdin.")
    var keyringPasswordFile: String?

    @Option(
        name: .customLong("stop-timeout"),
        help: "How long lavap gets to stop after SIGTERM before SIGKILL (default: \(ProcessSettings.defaultStopTimeout.flagText)).",
        transform: DurationText.seconds)
    var stopTimeout: Double = ProcessSettings.defaultStopTimeout.seconds

    @Option(
        help: ArgumentHelp(
            "When lavap is started again after it ended by itself.",
            valueName: RestartPolicy.Mode.allCases.map(\.rawValue).joined(separator: "|")))
    var restart: RestartPolicy.Mode = RestartPolicy().mode

    @Option(
        name: .customLong("restart-max-delay"),
        help: "The longest wait before lavap is started again (default: \(RestartPolicy.defaultMaxDelay.flagText)).",
        transform: DurationText.seconds)
    var restartMaxDelay: Double = RestartPolicy.defaultMaxDelay.seconds

    @Option(
        name: .customLong("restart-reset-after"),
        help: "How long lavap must stay up for the restart backoff to start over (default: \(RestartPolicy.defaultResetAfter.flagText)).",
        transform: DurationText.seconds)
    var restartResetAfter: Double = RestartPolicy.defaultResetAfter.seconds

    @Option(
        name: .customLong("crash-loop-limit"),
        help: "Failures in a row (each within --restart-reset-after of its start) that are still restarted; one more is a crash loop.")
    var crashLoopLimit: Int = RestartPolicy.defaultCrashLoopLimit

    @Option(
        name: .customLong("upgrade-probation"),
        help:
            "Ends of lavap within --restart-reset-after of an upgrade that make the new version bad: lavavisor rolls back to the previous one when it still meets the chain's minimum (0: never roll back)."
    )
    var upgradeProbation: Int = ProcessSettings.defaultUpgradeProbation

    func validate() throws {
        try DurationText.requirePositive([
            "--stop-timeout": stopTimeout, "--restart-max-delay": restartMaxDelay, "--restart-reset-after": restartResetAfter,
        ])
        if enterKeyringPassword && keyringPasswordFile != nil {
            throw ValidationError("give either --enter-keyring-password or --keyring-password-file, not both")
        }
        guard crashLoopLimit >= 1 else {
            throw ValidationError("--crash-loop-limit must be at least 1, got \(crashLoopLimit)")
        }
        guard upgradeProbation >= 0 else {
            throw ValidationError("--upgrade-probation must be 0 (no rollback) or more, got \(upgradeProbation)")
        }
    }

    /// The restart policy these flags describe.
    var restartPolicy: RestartPolicy {
        RestartPolicy(
            mode: restart, maxDelay: .seconds(restartMaxDelay), resetAfter: .seconds(restartResetAfter), crashLoopLimit: crashLoopLimit)
    }
}

/// The operator's hooks: programs run at the upgrade path's moments (`Hooks`).
struct HookFlags: ParsableArguments {
    @Option(
        name: .customLong("pre-switch-hook"),
        help: "A program run before lavap moves to another version; when it fails, the move waits for the next check.")
    var preSwitch: String?

    @Option(name: .customLong("post-upgrade-hook"), help: "A program run once lavap runs the version it was upgraded to.")
    var postUpgrade: String?

    @Option(name: .customLong("on-rollback-hook"), help: "A program run after a failed upgrade was rolled back.")
    var onRollback: String?

    @Option(name: .customLong("on-crash-loop-hook"), help: "A program run when lavap is in a crash loop.")
    var onCrashLoop: String?

    @Option(
        name: .customLong("hook-timeout"),
        help: "How long one hook may run before it is killed and counted as failed (default: \(Hooks.defaultTimeout.flagText)).",
        transform: DurationText.seconds)
    var timeout: Double = Hooks.defaultTimeout.seconds

    /// Each given program with its flag.
    var given: [(flag: String, moment: Hooks.Moment, program: String)] {
        [(Hooks.Moment.preSwitch, preSwitch), (.postUpgrade, postUpgrade), (.onRollback, onRollback), (.onCrashLoop, onCrashLoop)]
            .compactMap { moment, program in program.map { ("--\(moment.rawValue)-hook", moment, $0) } }
    }

    func validate() throws {
        try DurationText.requirePositive(["--hook-timeout": timeout])
        for (flag, _, program) in given where access(URL(fileURLWithPath: program).path, X_OK) != 0 {
            throw ValidationError("\(flag) \(program) is not an executable file; give the path of the program to run (chmod +x)")
        }
    }

    /// The hooks for `command` on `store`; nil when none is given.
    func hooks(command: String, store: Store) -> Hooks? {
        guard !given.isEmpty else { return nil }
        let programs = Dictionary(
            uniqueKeysWithValues: given.map { ($0.moment, URL(fileURLWithPath: $0.program).standardizedFileURL.path) })
        return Hooks(
            programs: programs, timeout: .seconds(timeout), command: command, directory: store.root.deletingLastPathComponent().path)
    }
}
