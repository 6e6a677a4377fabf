import ArgumentParser
import Core

extension Lavavisor {
    /// `lavavisor init`: prepare `<dir>/.lavavisor` and link the version the chain requires.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prepare <directory>/.lavavisor and install the lavap version the chain requires.",
            discussion: "Example: lavavisor init --auto-download --chain-id lava-testnet-2")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var supervision: SupervisionOptions

        @Flag(name: .customLong("auto-start"), help: "Go on supervising --cmd once the directory is ready, as wrap does.")
        var autoStart = false

        func run() async throws {
            let runtime = Runtime(global, supervision: supervision)
            let status: Int32 = try await runtime.reportingErrors {
                if autoStart, supervision.cmd == nil {
                    throw OptionError(
                        "--auto-start needs --cmd 'lavap …' to know what to run (starting the services of create-service needs the systemd backend, which this build does not have)"
                    )
                }
                let source = try runtime.versionSource()
                let binaries = try runtime.binarySource(default: "git")
                try runtime.store.prepare()
                runtime.logger.info("prepared \(runtime.store.root.path)")
                try await prepareCurrent(runtime.monitor(binaries: binaries, source: source), store: runtime.store)
                guard autoStart else { return 0 }
                return try await runtime.supervise(defaultSource: "git", defaultBackend: "child")
            }
            throw ExitCode(status)
        }

        /// Runs one check and turns every outcome without a usable `current` into an error.
        private func prepareCurrent(_ monitor: Monitor, store: Store) async throws {
            switch await monitor.check() {
            case .failed(let reason):
                throw OptionError("init cannot read or install the required version: \(reason)")
            case .wrongChain(let message):
                throw OptionError("init refuses: \(message)")
            case .waiting(let version):
                throw OptionError(
                    "\(version) is required but not installed; rerun with --auto-download, or place it at \(store.binary(for: version).path)"
                )
            case .unchanged(.cannotComply(let reason)):
                throw OptionError("init cannot comply with the chain: \(reason)")
            case .unchanged, .switched:
                guard let version = store.currentVersion(), store.isInstalledCurrent else {
                    throw OptionError("no lavap is linked at \(store.current.path); rerun with --auto-download")
                }
                monitor.logger.info("current links to \(version)", metadata: ["binary": "\(store.currentBinary.path)"])
            }
        }
    }
}
