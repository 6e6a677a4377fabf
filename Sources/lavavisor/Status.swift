import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor status [--json]`: the plan a check would make now, as text or JSON.
    struct Status: RuntimeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the required versions, the current and installed versions, and the decision now.",
            discussion:
                "The decision is the plan the monitor of wrap would make now, for the role given by --role. The services of create-service are shown with their states under systemd (systemctl show)."
        )

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var versionSources: VersionSourceFlags
        @OptionGroup var binarySources: BinarySourceFlags

        @Option(
            help: "Whose versions to follow: provider, consumer, or any (the higher of both), as --cmd's rpcprovider or rpcconsumer would.")
        var role: Role = .any

        @Flag(help: "Print one JSON object.") var json = false

        /// The backends' flags: the service backend's say how its services' states are asked for.
        @OptionGroup var backends: ProcessBackendPlugins

        var runtime: Runtime { Runtime(common, network: network) }

        func run(in runtime: Runtime) async throws -> Int32 {
            // A mistyped --directory is an error, not the plan of an empty store.
            let directory = runtime.store.root.deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: directory) else {
                throw StoreError(
                    "the directory \(directory) does not exist; give the --directory that holds .lavavisor (default: your home), or create it and run 'lavavisor init --directory \(directory)'"
                )
            }
            let monitor = runtime.monitor(
                source: try runtime.versionSource(versionSources),
                binaries: try runtime.binarySource(binarySources, default: DefaultPlugin.binarySource), autoDownload: true,
                role: role)
            let report = await StatusReport.gather(monitor) { services in
                await runtime.serviceStates(of: services, backend: DefaultPlugin.serviceBackend, options: backends)
            }
            try report.print(json: json)
            return report.source.error != nil || report.configError != nil || report.currentError != nil ? 1 : 0
        }
    }
}
