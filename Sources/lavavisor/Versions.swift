import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor versions [--json]`: what is installed, without starting a monitor.
    struct Versions: RuntimeCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the installed versions: size, install time, current, running, marked bad.",
            discussion:
                "Give a version source (--version-source, --node, --rest-url, --versions-file) to also mark the chain's target and minimum for --role. Example: lavavisor versions --json"
        )

        @OptionGroup var common: CommonFlags
        @OptionGroup var network: NetworkFlags
        @OptionGroup var versionSources: VersionSourceFlags

        @Option(help: "Whose chain versions to mark: provider, consumer, or any (the higher of both); with a version source.")
        var role: Role = .any

        @Flag(help: "Print one JSON object.") var json = false

        /// Whether the operator named a version source or gave one of its flags: only then is the chain read.
        var versionSourceGiven: Bool {
            let selector = CommandLine.arguments.contains { $0 == "--version-source" || $0.hasPrefix("--version-source=") }
            let defaults = (try? VersionSourcePlugins.parse([])).map { String(describing: $0) }
            return selector || defaults != String(describing: versionSources.plugins)
        }

        var runtime: Runtime { Runtime(common, network: network) }

        func run(in runtime: Runtime) async throws -> Int32 {
            do { try runtime.store.requirePrepared() } catch  where json {
                // A script gets a JSON answer too: no versions, and why (the error is logged as well).
                try VersionsReport(store: runtime.store.root.path, current: nil, versions: [], error: "\(error)").print(json: true)
                throw error
            }
            var report = VersionsReport.gather(runtime.store)
            if versionSourceGiven {
                report.mark(
                    await VersionsReport.Chain.read(
                        try runtime.versionSource(versionSources), role: role, expectedChainID: runtime.context.chainID))
            }
            try report.print(json: json)
            return report.chain?.error != nil ? 1 : 0
        }
    }
}
