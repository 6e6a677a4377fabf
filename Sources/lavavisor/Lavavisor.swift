import ArgumentParser
import Core

/// `lavavisor`: keeps lavap on the protocol version the chain demands.
@main
struct Lavavisor: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "lavavisor",
        abstract: "Keeps lavap (rpcprovider, rpcconsumer) on the protocol version the Lava chain demands.",
        discussion: "Plugins: "
            + ExtensionPoint.allCases.map { point in
                "\(point.title)s (\(point.flag)): \(PluginRegistry.builtIn.ids(point).joined(separator: ", "))"
            }.joined(separator: "; ") + ". 'lavavisor plugins' lists them with summaries.",
        version: version,
        subcommands: [
            Init.self, CreateService.self, Start.self, Wrap.self, Pod.self, VersionCommand.self, Status.self,
            Install.self, Versions.self, Prune.self, PluginsCommand.self,
        ]
    )

    /// ArgumentParser's `AsyncParsableCommand.main(_:)` (1.8.2: parse, run, exit codes, help), with
    /// the signal handlers installed before anything else, so that no SIGTERM or SIGINT is lost or
    /// kills lavavisor while a supervising command starts. The other commands stop nothing gracefully:
    /// they get the default actions back (`init --auto-start` installs them again when it supervises).
    static func main() async {
        Signals.install()
        do {
            var command = try await asyncParseAsRoot(nil)
            if !(command is Wrap || command is Pod || command is Start) { Signals.restoreDefaults() }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
