public import Foundation

/// What every plugin declares: a stable id for its selector flag, a one-line summary, and a factory.
public protocol Plugin: Sendable {
    /// The id that selects this plugin on the command line (`--source local`).
    static var id: String { get }
    /// One line for `lavavisor plugins` and help texts.
    static var summary: String { get }
    /// Builds the plugin from the parsed options; throws a clear error when an option it needs is missing.
    static func make(context: PluginContext) throws -> Self
}

/// Extension point: where the required protocol versions come from.
///
/// Contract: `read()` returns validated versions or throws an error whose description names the
/// source and what to do; it never blocks without a bound and has no side effects on the store.
public protocol VersionSource: Plugin {
    /// Reads the versions the chain demands now.
    func read() async throws -> VersionReading
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
/// Contract: `availableVersions()` lists the versions `fetch` can deliver, never guessed ones;
/// `fetch` writes one whole executable to `destination` (a staging path on the store's filesystem)
/// or throws; the store verifies, fsyncs and renames it into place, so a plugin never writes under
/// `upgrades/` itself.
public protocol BinarySource: Plugin {
    /// The versions this source can deliver.
    func availableVersions() async throws -> [SemanticVersion]
    /// Writes the `lavap` of `version` to `destination`.
    func fetch(_ version: SemanticVersion, to destination: URL) async throws
}

/// Extension point: how `lavap` processes are run and restarted.
///
/// Contract: `start` launches on the store's `current` binary; `restart` stops gracefully and starts
/// on the (new) `current` binary; `stop` ends everything gracefully; `waitForExit` returns when the
/// managed processes end by themselves or after `stop`, never because of a `restart`.
public protocol ProcessBackend: Plugin, AnyObject {
    /// Launches the managed process(es).
    func start() async throws
    /// Stops the managed process(es) gracefully and starts them again on the current binary.
    func restart() async throws
    /// Stops the managed process(es) gracefully.
    func stop() async
    /// Waits until the managed process(es) end; returns how they ended.
    func waitForExit() async -> ProcessExit
}
