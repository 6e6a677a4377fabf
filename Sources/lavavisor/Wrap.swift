import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor wrap --cmd 'lavap …'`: supervise one lavap as a child (VMs, containers without systemd).
    struct Wrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one lavap command as a supervised child and keep it on the required version.",
            discussion:
                "Example: lavavisor wrap --cmd 'lavap rpcprovider config.yml --from alice --chain-id lava-testnet-2' --auto-download")

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var supervision: SupervisionFlags
        @OptionGroup var versionSources: VersionSourceFlags
        @OptionGroup var binarySources: BinarySourceFlags

        func run() async throws {
            try await Runtime(common, network: network).superviseAndExit(
                SupervisionPlan(
                    versionSources: versionSources, binarySources: binarySources, supervision: supervision,
                    defaultSource: DefaultPlugin.binarySource, defaultBackend: DefaultPlugin.wrapBackend))
        }
    }

    /// `lavavisor pod --cmd 'lavap …'`: like wrap, in lean pods, with released binaries.
    struct Pod: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Like wrap, for lean pods that cannot build: released binaries, PID 1 duties.",
            discussion: "Needs no 'lavavisor init'. Example: lavavisor pod --cmd 'lavap rpcprovider config.yml --from alice'")

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var supervision: SupervisionFlags
        @OptionGroup var versionSources: VersionSourceFlags
        @OptionGroup var binarySources: BinarySourceFlags

        func validate() throws {
            if supervision.process.enterKeyringPassword {
                throw ValidationError(
                    "pod never asks anything on a terminal: put the keyring password in a file only you can read (a mounted secret) and pass --keyring-password-file PATH"
                )
            }
        }

        func run() async throws {
            try await Runtime(common, network: network).superviseAndExit(
                SupervisionPlan(
                    versionSources: versionSources, binarySources: binarySources, supervision: supervision,
                    defaultSource: DefaultPlugin.podBinarySource, defaultBackend: DefaultPlugin.podBackend, alwaysFetch: true))
        }
    }

    /// `lavavisor start`: run the services that create-service made, and the version monitor.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the services made by create-service and the version monitor.",
            discussion:
                "Reloads systemd, enables and restarts each service in config.yml, then restarts them one by one on each upgrade. Stopping lavavisor leaves the services running under systemd."
        )

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var monitor: MonitorFlags
        @OptionGroup var process: ProcessFlags
        @OptionGroup var backend: ProcessBackendFlags
        @OptionGroup var prune: AutoPruneFlags
        @OptionGroup var versionSources: VersionSourceFlags
        @OptionGroup var binarySources: BinarySourceFlags

        func validate() throws {
            if process.enterKeyringPassword || process.keyringPasswordFile != nil {
                throw ValidationError(
                    "start hands no password to the services: give each its keyring password with 'lavavisor create-service … --keyring-password-file PATH'"
                )
            }
        }

        func run() async throws {
            let runtime = Runtime(common, network: network)
            let status: Int32 = try await runtime.reportingErrors {
                try runtime.requireBackend(backend, default: DefaultPlugin.serviceBackend)
                try runtime.requireServices()
                // The run wrap makes, with no --cmd: the backend runs the services of config.yml.
                var supervision = try SupervisionFlags.parse([])
                supervision.monitor = monitor
                supervision.process = process
                supervision.backend = backend
                supervision.prune = prune
                return try await runtime.supervise(
                    SupervisionPlan(
                        versionSources: versionSources, binarySources: binarySources, supervision: supervision,
                        defaultSource: DefaultPlugin.binarySource, defaultBackend: DefaultPlugin.serviceBackend))
            }
            throw ExitCode(status)
        }
    }
}

extension Runtime {
    /// Fails at once when `config.yml` lists no services, before any version check.
    func requireServices() throws {
        guard FileManager.default.fileExists(atPath: store.configFile.path) else {
            throw OptionError(
                "\(store.configFile.path) does not exist; run 'lavavisor init', then 'lavavisor create-service provider|consumer CONFIG …'")
        }
        guard try !store.readConfig().services.isEmpty else {
            throw OptionError(
                "\(store.configFile.path) lists no services; create them with 'lavavisor create-service provider|consumer CONFIG …' first"
            )
        }
    }
}
