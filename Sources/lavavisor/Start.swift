import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor start`: run the services that create-service made, and the version monitor.
    struct Start: RuntimeCommand {
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
        @OptionGroup var hooks: HookFlags
        @OptionGroup var metrics: MetricsFlags

        static let supervises = true

        var runtime: Runtime { Runtime(common, network: network) }

        func run(in runtime: Runtime) async throws -> Int32 {
            try runtime.requireBackend(backend.selection, default: DefaultPlugin.serviceBackend)
            try runtime.requireServices(process: process, starting: "start")
            // The run wrap makes, with no --cmd: the backend runs the services of config.yml.
            return try await runtime.supervise(
                SupervisionPlan(
                    versionSources: versionSources, binarySources: binarySources, monitor: monitor, command: nil, process: process,
                    backend: backend.selection, prune: prune, metrics: metrics, defaultSource: DefaultPlugin.binarySource,
                    defaultBackend: DefaultPlugin.serviceBackend, hooks: hooks))
        }
    }
}

extension Runtime {
    /// What running the services of `config.yml` needs (`start`, `init --auto-start` without
    /// `--cmd`), checked before any version check: services listed, and no keyring password flag
    /// (the services take theirs from `create-service`). `who` names the command in the errors.
    func requireServices(process: ProcessFlags, starting who: String) throws {
        if process.enterKeyringPassword || process.keyringPasswordFile != nil {
            throw OptionError(
                "\(who) starts the services of create-service, which take their keyring password from 'lavavisor create-service … --keyring-password-file PATH', not from this command"
            )
        }
        guard FileManager.default.fileExists(atPath: store.configFile.path) else {
            throw OptionError(
                "\(store.configFile.path) does not exist; run 'lavavisor init', then 'lavavisor create-service provider|consumer CONFIG …'")
        }
        guard try !store.readConfig().services.isEmpty else {
            throw OptionError(
                "\(who) starts the services of \(store.configFile.path), which lists none; create them with 'lavavisor create-service provider|consumer CONFIG …' first"
            )
        }
    }
}
