import ArgumentParser
import Core
import Foundation

/// The flags every subcommand shares: where the store is, which plugins, how to log.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The folder that holds .lavavisor/ (default: your home folder).")
    var directory: String?

    @Option(name: .customLong("chain-id"), help: "The chain id lavap and the node must be on.")
    var chainID = "lava"

    @Option(help: "The Lava node's RPC URL (tcp:// means http://).")
    var node = "tcp://localhost:26657"

    @Option(
        name: .customLong("version-source"),
        help: ArgumentHelp(
            "Where the required versions come from.", valueName: PluginRegistry.builtIn.ids(.versionSource).joined(separator: "|")))
    var versionSource = "rpc"

    @Option(name: .customLong("versions-file"), help: "The JSON or YAML file of the 'file' version source.")
    var versionsFile: String?

    @Option(
        help: ArgumentHelp(
            "How missing lavap versions are obtained (default: git; github for pod).",
            valueName: PluginRegistry.builtIn.ids(.binarySource).joined(separator: "|")))
    var source: String?

    @Option(name: .customLong("binaries-dir"), help: "The folder of the 'local' source: DIR/vX.Y.Z/lavap or DIR/lavap-vX.Y.Z.")
    var binariesDir: String?

    @Option(
        help: ArgumentHelp(
            "How lavap is run (default: child for wrap, pod for pod, systemd for start and create-service).",
            valueName: PluginRegistry.builtIn.ids(.processBackend).joined(separator: "|")))
    var backend: String?

    @Option(name: .customLong("poll-interval"), help: "Seconds between two version checks (decimal).")
    var pollInterval: Double = 15

    @Option(name: .customLong("log-format"), help: ArgumentHelp("One line per event, as text or as JSON.", valueName: "text|json"))
    var logFormatName = "text"

    @Flag(help: "Log every check, not only changes.")
    var verbose = false

    func validate() throws {
        guard pollInterval > 0, pollInterval.isFinite else {
            throw ValidationError("--poll-interval must be a positive number of seconds, got \(pollInterval)")
        }
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

/// The flags of the commands that supervise lavap (`wrap`, `pod`, `start`, `init --auto-start`).
struct SupervisionOptions: ParsableArguments {
    @Option(help: "The lavap command line to supervise, e.g. 'lavap rpcprovider config.yml --from alice'.")
    var cmd: String?

    @Flag(name: .customLong("auto-download"), help: "Download or build missing versions (else wait for another lavavisor to).")
    var autoDownload = false

    @Flag(name: .customLong("enter-keyring-password"), help: "Ask for the keyring password and hand it to lavap on its stdin.")
    var enterKeyringPassword = false

    @Option(name: .customLong("stop-timeout"), help: "Seconds lavap gets to stop after SIGTERM before SIGKILL.")
    var stopTimeout: Double = 30

    func validate() throws {
        guard stopTimeout > 0, stopTimeout.isFinite else {
            throw ValidationError("--stop-timeout must be a positive number of seconds, got \(stopTimeout)")
        }
    }
}
