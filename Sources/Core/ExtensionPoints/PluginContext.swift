public import Foundation
public import Logging

/// The options every plugin may read, parsed by the CLI; each plugin checks the ones it needs.
public struct LavavisorOptions: Sendable {
    /// The folder holding `.lavavisor/` (the original's `--directory`, default home).
    public var directory: URL
    /// The chain id given with `--chain-id`, which the node's must match; nil when not given
    /// (commands that need one then use the original's default, `lava`).
    public var chainID: String?
    /// The node's RPC URL (`--node`).
    public var node: String = "tcp://localhost:26657"
    /// The static versions file (`--versions-file`), for the `file` version source.
    public var versionsFile: String?
    /// The folder of binaries (`--binaries-dir`), for the `local` binary source.
    public var binariesDir: String?
    /// The `lavap …` command line to supervise (`--cmd`).
    public var command: String?
    /// Whether this process may download or build missing versions (`--auto-download`).
    public var autoDownload: Bool = false
    /// Whether to ask for a keyring password and hand it to the child (`--enter-keyring-password`).
    public var enterKeyringPassword: Bool = false
    /// The keyring password to hand to the child on its stdin, when `--enter-keyring-password` asked for one.
    public var keyringPassword: Secret?
    /// How long to wait between two version checks (`--poll-interval`).
    public var pollInterval: Duration = .seconds(15)
    /// How long a stopped process gets between SIGTERM and SIGKILL.
    public var stopTimeout: Duration = .seconds(30)
    /// The time limits of every HTTP request (`--connect-timeout`, `--request-timeout`).
    public var httpTimeouts = HTTPTimeouts()
    /// How often a failed request is tried within one check (`--request-retries`).
    public var retries = RetryPolicy()
    /// Where release assets are (`--release-url`), for the `github` binary source; nil for the default.
    public var releaseURL: String?
    /// The release listing (`--releases-api`); nil for the default, empty for none.
    public var releasesAPI: String?
    /// The asset platform `os/arch` (`--platform`); nil for this machine's.
    public var platform: String?
    /// Whether release assets are accepted without a checksum (`--skip-checksum`).
    public var skipChecksum = false
    /// The longest silence while a download streams (`--download-idle-timeout`).
    public var downloadIdleTimeout: Duration = .seconds(60)
    /// The git repository of lavap (`--repo-url`), for the `git` binary source; nil for the default.
    public var repoURL: String?
    /// The shell command that builds lavap in a checkout (`--build-command`); nil for the default.
    public var buildCommand: String?
    /// The REST (LCD) URL of the node (`--rest-url`), for the `rest` version source.
    public var restURL: String?
    /// The folder relative paths are resolved against.
    public var workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)

    /// Builds options with defaults for everything but the directory.
    public init(directory: URL) { self.directory = directory }

    /// Resolves a path given on the command line against the working directory.
    public func resolve(_ path: String) -> URL {
        URL(fileURLWithPath: path, relativeTo: workingDirectory).standardizedFileURL
    }
}

/// Everything a plugin's factory gets: options, logger, clock and the store (the filesystem root).
public struct PluginContext: Sendable {
    /// The parsed options.
    public var options: LavavisorOptions
    /// The logger, labelled for lavavisor.
    public var logger: Logger
    /// The clock used for waits and timeouts.
    public var clock: any Clock<Duration>
    /// The `.lavavisor` store.
    public var store: Store
    /// The HTTP client.
    public var http: any HTTPExecutor

    /// Builds a context; without an HTTP client, requests fail loudly.
    public init(
        options: LavavisorOptions, logger: Logger, clock: any Clock<Duration> = ContinuousClock(), store: Store,
        http: any HTTPExecutor = NoHTTPExecutor()
    ) {
        self.options = options
        self.logger = logger
        self.clock = clock
        self.store = store
        self.http = http
    }
}

/// An option a plugin needs is missing or wrong.
public struct OptionError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    /// Builds the error from its message.
    public init(_ description: String) { self.description = description }
}
