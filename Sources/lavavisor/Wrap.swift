import ArgumentParser
import Core

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
            abstract: "Start the services made by create-service and the version monitor.")

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var monitor: MonitorFlags
        @OptionGroup var process: ProcessFlags
        @OptionGroup var backend: ProcessBackendFlags
        @OptionGroup var prune: AutoPruneFlags
        @OptionGroup var versionSources: VersionSourceFlags
        @OptionGroup var binarySources: BinarySourceFlags

        func run() async throws {
            let runtime = Runtime(common, network: network)
            try await runtime.reportingErrors {
                try runtime.requireBackend(backend, default: DefaultPlugin.serviceBackend)
                throw OptionError(
                    "start runs the services of create-service, which needs the \(DefaultPlugin.serviceBackend) backend; use wrap --cmd 'lavap …' to run one lavap"
                )
            }
        }
    }
}
