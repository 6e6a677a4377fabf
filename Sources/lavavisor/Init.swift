import ArgumentParser
import Core

extension Lavavisor {
    /// `lavavisor init`: prepare `<dir>/.lavavisor` and link the version the chain requires.
    struct Init: RuntimeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prepare <directory>/.lavavisor and install the lavap version the chain requires.",
            discussion: "Example: lavavisor init --auto-download --chain-id lava-testnet-2")

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var supervision: SupervisionFlags<ProcessBackendFlags>
        @OptionGroup var versionSources: VersionSourceFlags
        @OptionGroup var binarySources: BinarySourceFlags

        @Flag(
            name: .customLong("auto-start"),
            help:
                "Go on supervising --cmd once the directory is ready, as wrap does; without --cmd, start the services of config.yml as start does."
        )
        var autoStart = false

        var runtime: Runtime { Runtime(common, network: network) }

        func run(in runtime: Runtime) async throws -> Int32 {
            let command = try supervision.command.command()
            let monitor = runtime.monitor(
                source: try runtime.versionSource(versionSources),
                binaries: try runtime.binarySource(binarySources, default: DefaultPlugin.binarySource),
                autoDownload: supervision.monitor.autoDownload, role: command?.role ?? .any, waitsForOthers: false)
            try runtime.store.prepare()
            try runtime.store.checkOwnership()
            (try? SettingsResolution.ofThisProcess.get())?.recordSources(in: runtime.store, logger: runtime.logger)
            await runtime.store.clearStagingLeftovers(logger: runtime.logger)
            runtime.logger.info("prepared \(runtime.store.root.path)")
            try await prepareCurrent(monitor, store: runtime.store)
            guard autoStart else { return 0 }
            if command == nil {
                // As the original: with no --cmd, --auto-start goes on as start, with the services of config.yml.
                try runtime.requireServices(process: supervision.process, starting: "init --auto-start without --cmd")
            }
            return try await runtime.supervise(
                SupervisionPlan(
                    versionSources: versionSources, binarySources: binarySources, supervision: supervision,
                    defaultSource: DefaultPlugin.binarySource,
                    defaultBackend: command == nil ? DefaultPlugin.serviceBackend : DefaultPlugin.wrapBackend))
        }

        /// Runs one check and turns every outcome without a usable `current` into an error.
        private func prepareCurrent(_ monitor: Monitor, store: Store) async throws {
            switch await monitor.check() {
            case .failed(let reason):
                throw InitError("init cannot read or install the required version: \(reason)")
            case .wrongChain(let message):
                throw InitError("init refuses: \(message)")
            case .wait(let version):
                throw InitError(
                    "\(version) is required but not installed; rerun with --auto-download, or place it at \(store.binary(for: version).path)"
                )
            case .unchanged(.cannotComply(let reason)):
                throw InitError("init cannot comply with the chain: \(reason)")
            case .unchanged, .switchTo, .restart, .fetch, .relink:
                guard let version = store.currentVersion(), store.isInstalledCurrent else {
                    throw InitError("no lavap is linked at \(store.current.path); rerun with --auto-download")
                }
                monitor.logger.info("current links to \(version)", metadata: ["binary": "\(store.currentBinary.path)"])
            }
        }
    }
}

/// `init` could not leave a usable `current`; the message says why and what to do.
struct InitError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
