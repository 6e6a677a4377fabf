import ArgumentParser
import AsyncHTTPExecutor
import Core
import Foundation
import Logging

/// What one command needs, built from its flags: logger, store, plugin context, and the plugins it picks.
struct Runtime {
    let logger: Logger
    let store: Store
    let registry: PluginRegistry
    var context: PluginContext

    /// The runtime of a command that reads the chain (or of one that talks to no network, without `network`).
    init(_ common: CommonFlags, network: NetworkFlags? = nil, registry: PluginRegistry = .builtIn) {
        self.init(common, chainID: network?.chainID, connection: network?.connection, registry: registry)
    }

    /// The runtime of a command that follows `chainID`, if given, and makes requests as `connection` says.
    init(_ common: CommonFlags, chainID: String?, connection: ConnectionFlags?, registry: PluginRegistry = .builtIn) {
        let format = common.logFormat
        let level: Logger.Level = common.verbose ? .debug : .info
        let journal = JournalStream.isStandardError()
        logger = Logger(label: "lavavisor") { _ in
            LavavisorLogHandler(format: format, level: level, journalPriorities: journal, timestamps: !journal)
        }
        store = Store(directory: common.directoryURL)
        self.registry = registry
        context = PluginContext(
            store: store, chainID: chainID, logger: logger, http: AsyncHTTPExecutor(caFile: connection?.caFileURL),
            timeouts: connection?.timeouts ?? HTTPTimeouts(), retries: connection?.retries ?? RetryPolicy())
        context.caFile = connection?.caFileURL
    }

    /// The version source chosen by `--version-source`, built from its flags.
    func versionSource(_ flags: VersionSourceFlags) throws -> any VersionSource {
        try choosing(.versionSource) {
            try registry.makeVersionSource(flags.id, options: PluginOptionValues(collecting: flags.plugins), context: context)
        }
    }

    /// The binary source chosen by `--source` (or the command's default), built from its flags.
    func binarySource(_ flags: BinarySourceFlags, default id: String) throws -> any BinarySource {
        try choosing(.binarySource) {
            try registry.makeBinarySource(flags.id ?? id, options: PluginOptionValues(collecting: flags.plugins), context: context)
        }
    }

    /// The process backend chosen by `--backend` (or the command's default), built from its flags.
    func backend(_ selection: BackendSelection, default id: String, processes: ProcessSettings) throws -> any ProcessBackend {
        try choosing(.processBackend) {
            try registry.makeProcessBackend(selection.id ?? id, options: selection.options, context: context, processes: processes)
        }
    }

    /// The states of `services` as the process backend `id` sees them, from its flags in `options`;
    /// each says why when that backend cannot tell.
    func serviceStates(of services: [String], backend id: String, options: ProcessBackendPlugins) async -> [ServiceState] {
        do {
            let states = try await registry.serviceStates(
                id, of: services, options: PluginOptionValues(collecting: options), context: context)
            return states ?? services.map { ServiceState(name: $0, error: "the \(id) backend cannot tell the states of services") }
        } catch {
            return services.map { ServiceState(name: $0, error: "\(error)") }
        }
    }

    /// Makes the service `request` asks for with the backend chosen by `--backend` (or `id`).
    func createService(_ request: ServiceRequest, backend selection: BackendSelection, default id: String) async throws -> CreatedService {
        do {
            return try await registry.createService(selection.id ?? id, request, options: selection.options, context: context)
        } catch let cannot as BackendCannot {
            throw BackendCannot(backend: cannot.backend, what: cannot.what, instead: id)
        }
    }

    /// Checks that the backend chosen by `--backend` (or the command's default) is in this build.
    func requireBackend(_ selection: BackendSelection, default id: String) throws {
        _ = try forBackend(selection, default: id)
    }

    /// This runtime, its plugins made for the backend chosen by `--backend` (or the command's
    /// default): with the output style it declares; an error when it is not in this build.
    func forBackend(_ selection: BackendSelection, default id: String) throws -> Runtime {
        var runtime = self
        runtime.context.output = try choosing(.processBackend) { try registry.processBackend(selection.id ?? id) }.outputStyle
        return runtime
    }

    /// A monitor for these plugins.
    func monitor(
        source: any VersionSource, binaries: any BinarySource, autoDownload: Bool, role: Role, prefetch: Bool = false,
        proposalsInterval: Duration = Monitor.defaultProposalsInterval, upgradeSpread: Duration = .zero, hooks: Hooks? = nil,
        waitsForOthers: Bool = true
    ) -> Monitor {
        Monitor(
            source: source, binaries: binaries, store: store, autoDownload: autoDownload, logger: logger,
            expectedChainID: context.chainID, role: role, prefetch: prefetch, proposalsInterval: proposalsInterval,
            health: context.health, upgradeSpread: upgradeSpread, hooks: hooks, waitsForOthers: waitsForOthers)
    }

    private func choosing<T>(_ point: ExtensionPoint, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as RegistryError {
            throw OptionError("\(error) (choose with \(point.flag); 'lavavisor plugins' lists what this build has)")
        }
    }
}
