import ArgumentParser
import Core

extension Lavavisor {
    /// `lavavisor wrap --cmd 'lavap …'`: supervise one lavap as a child (VMs, containers without systemd).
    struct Wrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one lavap command as a supervised child and keep it on the required version.",
            discussion:
                "Example: lavavisor wrap --cmd 'lavap rpcprovider config.yml --from alice --chain-id lava-testnet-2' --auto-download")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var supervision: SupervisionOptions

        func run() async throws {
            try await Runtime(global, supervision: supervision).superviseAndExit(defaultSource: "git", defaultBackend: "child")
        }
    }

    /// `lavavisor pod --cmd 'lavap …'`: like wrap, in lean pods, with released binaries.
    struct Pod: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Like wrap, for lean pods that cannot build: released binaries, PID 1 duties.",
            discussion: "Needs no 'lavavisor init'. Example: lavavisor pod --cmd 'lavap rpcprovider config.yml --from alice'")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var supervision: SupervisionOptions

        func run() async throws {
            var supervision = self.supervision
            supervision.autoDownload = true  // a pod has nobody else to fetch for it
            try await Runtime(global, supervision: supervision).superviseAndExit(defaultSource: "github", defaultBackend: "pod")
        }
    }

    /// `lavavisor start`: run the services that create-service made, and the version monitor.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the services made by create-service and the version monitor.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var supervision: SupervisionOptions

        func run() async throws {
            try await Runtime(global, supervision: supervision).superviseAndExit(defaultSource: "git", defaultBackend: "systemd")
        }
    }
}
