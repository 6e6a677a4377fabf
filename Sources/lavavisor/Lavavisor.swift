import ArgumentParser
import Core

/// `lavavisor`: keeps lavap on the protocol version the chain demands.
@main
struct Lavavisor: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "lavavisor",
        abstract: "Keeps lavap (rpcprovider, rpcconsumer) on the protocol version the Lava chain demands.",
        discussion: """
            Plugins: version sources (--version-source): \(PluginRegistry.builtIn.ids(.versionSource).joined(separator: ", ")); \
            binary sources (--source): \(PluginRegistry.builtIn.ids(.binarySource).joined(separator: ", ")); \
            process backends (--backend): \(PluginRegistry.builtIn.ids(.processBackend).joined(separator: ", ")). \
            'lavavisor plugins' lists them with summaries.
            """,
        version: version,
        subcommands: [
            Init.self, CreateService.self, Start.self, Wrap.self, Pod.self, VersionCommand.self, Status.self,
            PluginsCommand.self,
        ]
    )
}
