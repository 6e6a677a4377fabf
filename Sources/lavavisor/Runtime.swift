import ArgumentParser
import AsyncHTTPExecutor
import Core
import Foundation
import Logging

/// What one command needs, built from its flags: options, logger, store, and the plugins it picks.
struct Runtime {
    let options: LavavisorOptions
    let logger: Logger
    let store: Store
    let registry: PluginRegistry
    let global: GlobalOptions

    init(_ global: GlobalOptions, supervision: SupervisionOptions? = nil, registry: PluginRegistry = .builtIn) {
        Signals.ignoreHarmful()
        var options = LavavisorOptions(directory: global.directoryURL)
        options.chainID = global.chainID
        options.node = global.node
        options.versionsFile = global.versionsFile
        options.binariesDir = global.binariesDir
        options.restURL = global.restURL
        options.releaseURL = global.releaseURL
        options.releasesAPI = global.releasesAPI
        options.platform = global.platform
        options.skipChecksum = global.skipChecksum
        options.downloadIdleTimeout = .seconds(global.downloadIdleTimeout)
        options.repoURL = global.repoURL
        options.buildCommand = global.buildCommand
        options.pollInterval = .seconds(global.pollInterval)
        options.httpTimeouts = HTTPTimeouts(connect: .seconds(global.connectTimeout), total: .seconds(global.requestTimeout))
        options.retries = RetryPolicy(attempts: global.requestRetries + 1)
        if let supervision {
            options.command = supervision.cmd
            options.autoDownload = supervision.autoDownload
            options.enterKeyringPassword = supervision.enterKeyringPassword
            options.stopTimeout = .seconds(supervision.stopTimeout)
        }
        let format = global.logFormat
        let level: Logger.Level = global.verbose ? .debug : .info
        self.logger = Logger(label: "lavavisor") { _ in LavavisorLogHandler(format: format, level: level) }
        self.options = options
        self.store = Store(directory: options.directory)
        self.registry = registry
        self.global = global
    }

    var context: PluginContext {
        PluginContext(
            options: options, logger: logger, store: store,
            http: AsyncHTTPExecutor.shared)
    }

    func versionSource() throws -> any VersionSource {
        let plugin = try choose("--version-source") { try registry.versionSource(global.versionSource) }
        return try plugin.make(context: context)
    }

    func binarySource(default id: String) throws -> any BinarySource {
        let plugin = try choose("--source") { try registry.binarySource(global.source ?? id) }
        return try plugin.make(context: context)
    }

    func backendType(default id: String) throws -> any ProcessBackend.Type {
        try choose("--backend") { try registry.processBackend(global.backend ?? id) }
    }

    func monitor(binaries: any BinarySource, source: any VersionSource) -> Monitor {
        Monitor(
            source: source, binaries: binaries, store: store, autoDownload: options.autoDownload, logger: logger,
            expectedChainID: options.chainID)
    }

    /// Runs `body`; an error is logged as one line and becomes exit status 1.
    func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let exit as ExitCode {
            throw exit
        } catch {
            logger.error("\(error)")
            throw ExitCode.failure
        }
    }

    private func choose<T>(_ flag: String, _ lookup: () throws -> T) throws -> T {
        do { return try lookup() } catch let error as RegistryError {
            throw OptionError("\(error) (choose with \(flag); 'lavavisor plugins' lists what this build has)")
        }
    }
}
