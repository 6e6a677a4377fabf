import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor wrap --cmd 'lavap …'`: supervise one lavap as a child (VMs, containers without systemd).
    struct Wrap: ChildSupervisingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one lavap command as a supervised child and keep it on the required version.",
            usage: "lavavisor wrap [<options>] (--cmd '<lavap command line>' | -- lavap <argument>...)",
            discussion:
                "Example: lavavisor wrap --cmd 'lavap rpcprovider config.yml --from alice --chain-id lava-testnet-2' --auto-download")

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var supervision: SupervisionFlags<ChildBackendFlags>
        @OptionGroup var versionSources: VersionSourceFlags
        @OptionGroup var binarySources: BinarySourceFlags

        static let defaultSource = DefaultPlugin.binarySource
        static let defaultBackend = DefaultPlugin.wrapBackend
    }
}

/// `wrap` and `pod`: one lavap supervised as a child, with every supervision flag; they differ in
/// their default plugins only.
protocol ChildSupervisingCommand: RuntimeCommand {
    var common: CommonFlags { get }
    var network: NetworkFlags { get }
    var supervision: SupervisionFlags<ChildBackendFlags> { get }
    var versionSources: VersionSourceFlags { get }
    var binarySources: BinarySourceFlags { get }
    /// `--source` when not given.
    static var defaultSource: String { get }
    /// `--backend` when not given.
    static var defaultBackend: String { get }
    /// Whether it fetches whatever `--auto-download` says (a pod has nobody else to fetch for it).
    static var alwaysFetch: Bool { get }
}

extension ChildSupervisingCommand {
    static var supervises: Bool { true }
    static var alwaysFetch: Bool { false }

    var runtime: Runtime { Runtime(common, network: network) }

    func run(in runtime: Runtime) async throws -> Int32 {
        try await runtime.supervise(
            SupervisionPlan(
                versionSources: versionSources, binarySources: binarySources, supervision: supervision,
                defaultSource: Self.defaultSource, defaultBackend: Self.defaultBackend, alwaysFetch: Self.alwaysFetch))
    }
}
