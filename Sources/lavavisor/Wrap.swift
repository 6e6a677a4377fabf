import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor wrap --cmd 'lavap …'`: supervise one lavap as a child (VMs, containers without systemd).
    struct Wrap: RuntimeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one lavap command as a supervised child and keep it on the required version.",
            discussion:
                "Example: lavavisor wrap --cmd 'lavap rpcprovider config.yml --from alice --chain-id lava-testnet-2' --auto-download")

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var supervision: SupervisionFlags
        @OptionGroup var versionSources: VersionSourceFlags
        @OptionGroup var binarySources: BinarySourceFlags

        static let supervises = true

        var runtime: Runtime { Runtime(common, network: network) }

        func run(in runtime: Runtime) async throws -> Int32 {
            try await runtime.supervise(
                SupervisionPlan(
                    versionSources: versionSources, binarySources: binarySources, supervision: supervision,
                    defaultSource: DefaultPlugin.binarySource, defaultBackend: DefaultPlugin.wrapBackend))
        }
    }
}
