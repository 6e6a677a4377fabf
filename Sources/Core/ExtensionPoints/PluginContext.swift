public import Foundation
public import Logging

/// What every plugin's factory gets besides its own flags: only what all plugins share.
public struct PluginContext: Sendable {
    /// The `.lavavisor` store (and through it the `--directory`).
    public var store: Store
    /// The chain id given with `--chain-id`, which the node's must match; nil when not given.
    public var chainID: String?
    /// The logger, labelled for lavavisor.
    public var logger: Logger
    /// The clock used for waits and timeouts.
    public var clock: any Clock<Duration>
    /// The HTTP client.
    public var http: any HTTPExecutor
    /// The time limits of every small HTTP request (`--connect-timeout`, `--request-timeout`).
    public var timeouts: HTTPTimeouts
    /// How often a failed request is tried within one check (`--request-retries`).
    public var retries: RetryPolicy
    /// `--ca-file`: PEM certificates that every HTTPS and wss connection trusts beside the
    /// system's; `http` already trusts them, a plugin that opens its own TLS connections must too.
    public var caFile: URL?
    /// The folder relative paths given on the command line are resolved against.
    public var workingDirectory: URL
    /// How progress is shown: the style the command's process backend declares.
    public var output: OutputStyle = .interactive
    /// Told when the child starts and ends (`/healthz`), when the command serves it; nil: nobody asks.
    public var health: Health?

    /// Builds a context; without an HTTP client, requests fail loudly.
    public init(
        store: Store, chainID: String? = nil, logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
        http: any HTTPExecutor = NoHTTPExecutor(), timeouts: HTTPTimeouts = HTTPTimeouts(), retries: RetryPolicy = RetryPolicy(),
        workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) {
        self.store = store
        self.chainID = chainID
        self.logger = logger
        self.clock = clock
        self.http = http
        self.timeouts = timeouts
        self.retries = retries
        self.workingDirectory = workingDirectory
    }

    /// Resolves a path given on the command line against the working directory.
    public func resolve(_ path: String) -> URL {
        URL(fileURLWithPath: path, relativeTo: workingDirectory).standardizedFileURL
    }
}

/// A flag that is missing or wrong: for options only; failures at run time have their own types.
public struct OptionError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    /// Builds the error from its message.
    public init(_ description: String) { self.description = description }
}
