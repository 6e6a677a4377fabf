public import ArgumentParser
public import Foundation

/// The flags of one plugin: a `ParsableArguments` type declared in the plugin's own module, with
/// its defaults, help texts and `validate()`. The CLI mounts it as a titled option group
/// (`@OptionGroup(title: GitHubReleaseSource.optionsTitle)`), so help lists the flags by plugin.
///
/// Contract: every property has a default (or is optional), so `parse([])` gives the defaults; flag
/// names are unique across all plugins of one build (the CLI refuses duplicates when it starts).
public protocol PluginOptions: ParsableArguments, Sendable {
    /// The plugin these flags belong to; the composition root finds the plugin through it.
    associatedtype Owner: Plugin
}

/// What every plugin declares: a stable id for its selector flag, a one-line summary, its flags.
public protocol Plugin: Sendable {
    /// The plugin's flags, declared in its module.
    associatedtype Options: PluginOptions where Options.Owner == Self
    /// The id that selects this plugin on the command line (`--source local`).
    static var id: String { get }
    /// One line for `lavavisor plugins` and help texts.
    static var summary: String { get }
}

/// Extension point: where the required protocol versions come from.
///
/// Contract: `read()` returns validated versions or throws an error whose description names the
/// source and what to do; it never blocks without a bound and has no side effects on the store.
public protocol VersionSource: Plugin {
    /// Builds the source from its parsed flags; throws `OptionError` naming a missing or wrong flag.
    static func make(options: Options, context: PluginContext) throws -> Self
    /// Reads the versions the chain demands now.
    func read() async throws -> VersionReading
    /// The version changes governance proposals in their voting period would make (an optional
    /// capability: the default is none), so that their binaries are fetched before the vote ends.
    func pendingVersions() async throws -> [PendingVersion]
    /// The heights of new blocks as the node announces them (an optional capability: the default is
    /// nil, no feed), so the versions are checked on each block instead of waiting for the poll.
    /// The stream ends or throws when the feed is lost; the monitor opens it again with backoff.
    func blocks() async throws -> AsyncThrowingStream<Int64, any Error>?
}

extension VersionSource {
    /// None: this source cannot see proposals.
    public func pendingVersions() async throws -> [PendingVersion] { [] }

    /// None: this source is polled only.
    public func blocks() async throws -> AsyncThrowingStream<Int64, any Error>? { nil }
}

/// One answer of a version source.
public struct VersionReading: Sendable, Hashable {
    /// The validated versions.
    public var versions: ProtocolVersion
    /// Where they came from, for logs and `status` (a path or URL).
    public var location: String
    /// The chain id, when the source knows it.
    public var chainID: String?
    /// The block height of the answer, when the source knows it.
    public var height: Int64?

    /// Builds a reading.
    public init(versions: ProtocolVersion, location: String, chainID: String? = nil, height: Int64? = nil) {
        self.versions = versions
        self.location = location
        self.chainID = chainID
        self.height = height
    }
}

/// Extension point: how a `lavap` of a given version is obtained.
///
/// Contract: `availableVersions(for:)` lists the versions `fetch` can deliver for that requirement
/// (a source that cannot list may answer the candidates it would try: the target, the minimum and
/// what it has confirmed; the monitor tries lower ones when a fetch fails). `availableVersions()`
/// lists everything it has, whatever the chain demands, or throws when it cannot list (the default).
/// `fetch` writes one whole executable to `destination` (a staging path on the store's filesystem)
/// or throws; the store verifies, fsyncs and renames it into place, so a plugin never writes under
/// `upgrades/` itself.
public protocol BinarySource: Plugin {
    /// Builds the source from its parsed flags; throws `OptionError` naming a missing or wrong flag.
    static func make(options: Options, context: PluginContext) throws -> Self
    /// The versions this source can deliver, for a chain that demands `requirement`.
    func availableVersions(for requirement: VersionRequirement) async throws -> [SemanticVersion]
    /// Writes the `lavap` of `version` to `destination`.
    func fetch(_ version: SemanticVersion, to destination: URL) async throws
    /// Every version this source can deliver, whatever the chain demands (`install latest`); a
    /// source that cannot list throws an error saying so, as the default does.
    func availableVersions() async throws -> [SemanticVersion]
}

extension BinarySource {
    /// A source that cannot list its versions: says so, naming the plugin.
    public func availableVersions() async throws -> [SemanticVersion] { throw ListingUnavailable(source: Self.id) }
}

/// A binary source was asked for every version it has but cannot list them.
public struct ListingUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    /// The id of the source.
    public let source: String

    /// The error for the source `source`.
    public init(source: String) { self.source = source }

    public var description: String { "--source \(source) cannot list the versions it has; name the version (X.Y.Z)" }
}

/// Extension point: how `lavap` processes are run and restarted, in the shape of a service: one
/// `run` that starts the processes on the store's `current`, carries out the supervisor's commands
/// as they come, reports what happens, and returns how the processes ended.
///
/// Contract of `run`:
/// - It starts the processes on what `current` links to and reports `started(V)`; when that first
///   start cannot happen at all (no services, a binary another user could change), it throws.
/// - `restart` stops gracefully and starts on the (new) `current`; every `restart` is answered by
///   `started`, `startFailed` or the end of `run`. `stop` and `kill` end `run`; `forward` passes a
///   signal on. Commands may come while another one is carried out (a `kill` during a `stop`).
/// - What the backend cannot do is declared in `capabilities`, not faked: a backend without
///   `stopsProcesses` leaves its processes running when `run` ends; one without
///   `watchesProcesses` never reports `ended`, `upgradeFailed` or `crashLoop`, and its `run`
///   returns only after `stop` or `kill`.
/// - Once `run` has returned, the backend starts nothing.
public protocol ProcessBackend: Plugin, AnyObject {
    /// Builds the backend from its parsed flags and what the command asks it to run.
    static func make(options: Options, context: PluginContext, processes: ProcessSettings) throws -> Self
    /// What this backend can do.
    static var capabilities: BackendCapabilities { get }
    /// Runs the processes until they end for good or a `stop`/`kill` ends them; returns how they
    /// ended. `events` is told what happens, and answers what the supervisor decided.
    func run(commands: AsyncStream<BackendCommand>, events: @escaping BackendEvents) async throws -> ProcessExit
    /// How lavavisor may write while this backend runs (the default: a progress bar on a terminal).
    static var outputStyle: OutputStyle { get }
    /// The states of `services` (the names in `config.yml`) as this backend's manager sees them, for
    /// `status`, which runs no backend. An optional capability: nil, the default, from a backend
    /// whose processes are its own children and end with it.
    static func serviceStates(of services: [String], options: Options, context: PluginContext) async -> [ServiceState]?
    /// Makes the service `request` asks for and lists it in `config.yml` (`create-service`), for
    /// the backend's manager to run. An optional capability: the default throws `BackendCannot`.
    static func createService(_ request: ServiceRequest, options: Options, context: PluginContext) async throws -> CreatedService
}

extension ProcessBackend {
    /// A progress bar on a terminal, log lines otherwise.
    public static var outputStyle: OutputStyle { .interactive }

    /// None: this backend runs its processes itself, it makes no services for another manager.
    public static func createService(_ request: ServiceRequest, options: Options, context: PluginContext) async throws -> CreatedService {
        throw BackendCannot(backend: id, what: "create services")
    }

    /// None: this backend's processes are its own children; nothing outlives it to be asked about.
    public static func serviceStates(of services: [String], options: Options, context: PluginContext) async -> [ServiceState]? {
        nil
    }
}

extension Plugin {
    /// The title of this plugin's flags in help texts, e.g. "github binary source": its id and the
    /// extension point it serves.
    public static var optionsTitle: String {
        "\(id) \(ExtensionPoint.allCases.first { $0.isServed(by: self) }?.title ?? "plugin")"
    }
}

extension DurationText {
    /// Refuses, naming the flag, a duration flag that is not above zero or not finite: one rule
    /// and one sentence for the duration flags of the CLI and of plugins (a `validate()` error,
    /// so the command stops with a usage error before anything runs).
    public static func requirePositive(_ flags: KeyValuePairs<String, Double>) throws {
        for (flag, value) in flags where !(value > 0 && value.isFinite) {
            throw ValidationError("\(flag) must be a positive number of seconds, got \(value)")
        }
    }
}
