import ArgumentParser
import Core
import Foundation

/// The flags every subcommand shares: where the store is, which plugins, how to log.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The folder that holds .lavavisor/ (default: your home folder).")
    var directory: String?

    @Option(
        name: .customLong("chain-id"),
        help: "The chain id lavap and the node must be on (default: lava); when given, a node on another chain is refused.")
    var chainID: String?

    @Option(help: "The Lava node's RPC URL (tcp:// means http://).")
    var node = "tcp://localhost:26657"

    @Option(
        name: .customLong("version-source"),
        help: ArgumentHelp(
            "Where the required versions come from.", valueName: PluginRegistry.builtIn.ids(.versionSource).joined(separator: "|")),
        completion: .list(PluginRegistry.builtIn.ids(.versionSource)))
    var versionSource = "rpc"

    @Option(name: .customLong("versions-file"), help: "The JSON or YAML file of the 'file' version source.")
    var versionsFile: String?

    @Option(
        help: ArgumentHelp(
            "How missing lavap versions are obtained (default: git; github for pod).",
            valueName: PluginRegistry.builtIn.ids(.binarySource).joined(separator: "|")),
        completion: .list(PluginRegistry.builtIn.ids(.binarySource)))
    var source: String?

    @Option(name: .customLong("binaries-dir"), help: "The folder of the 'local' source: DIR/vX.Y.Z/lavap or DIR/lavap-vX.Y.Z.")
    var binariesDir: String?

    @Option(name: .customLong("release-url"), help: "Where the 'github' source finds assets: URL/vX.Y.Z/lavap-vX.Y.Z-<os>-<arch>.")
    var releaseURL: String?

    @Option(name: .customLong("releases-api"), help: "The release listing of the 'github' source (GitHub's JSON); '' for none.")
    var releasesAPI: String?

    @Option(help: "The asset platform of the 'github' source, os/arch (default: this machine's).")
    var platform: String?

    @Flag(name: .customLong("skip-checksum"), help: "Accept release assets without checking them against sha256sum.txt (unsafe).")
    var skipChecksum = false

    @Option(name: .customLong("download-idle-timeout"), help: "Seconds a download may stall before it is resumed.")
    var downloadIdleTimeout: Double = 60

    @Option(name: .customLong("repo-url"), help: "The git repository the 'git' source clones.")
    var repoURL: String?

    @Option(
        name: .customLong("build-command"),
        help: "The shell command that builds lavap in a checkout, writing it to $LAVAVISOR_OUT (default: go build).")
    var buildCommand: String?

    @Option(
        help: ArgumentHelp(
            "How lavap is run (default: child for wrap, pod for pod, systemd for start and create-service).",
            valueName: PluginRegistry.builtIn.ids(.processBackend).joined(separator: "|")),
        completion: .list(PluginRegistry.builtIn.ids(.processBackend)))
    var backend: String?

    @Option(name: .customLong("rest-url"), help: "The node's REST (LCD) URL, for --version-source rest.")
    var restURL: String?

    @Option(name: .customLong("poll-interval"), help: "Seconds between two version checks (decimal).")
    var pollInterval: Double = 15

    @Option(name: .customLong("connect-timeout"), help: "Seconds to wait for a connection to the node.")
    var connectTimeout: Double = 5

    @Option(name: .customLong("request-timeout"), help: "Seconds one request to the node may take in all.")
    var requestTimeout: Double = 10

    @Option(name: .customLong("request-retries"), help: "Extra tries of a failed request within one check.")
    var requestRetries: Int = 2

    @Option(
        name: .customLong("log-format"), help: ArgumentHelp("One line per event, as text or as JSON.", valueName: "text|json"),
        completion: .list(LogFormat.allCases.map(\.rawValue)))
    var logFormatName = "text"

    @Flag(help: "Log every check, not only changes.")
    var verbose = false

    func validate() throws {
        guard pollInterval > 0, pollInterval.isFinite else {
            throw ValidationError("--poll-interval must be a positive number of seconds, got \(pollInterval)")
        }
        for (flag, value) in [
            ("--connect-timeout", connectTimeout), ("--request-timeout", requestTimeout),
            ("--download-idle-timeout", downloadIdleTimeout),
        ]
        where !(value > 0 && value.isFinite) {
            throw ValidationError("\(flag) must be a positive number of seconds, got \(value)")
        }
        guard (0...10).contains(requestRetries) else {
            throw ValidationError("--request-retries must be between 0 and 10, got \(requestRetries)")
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
