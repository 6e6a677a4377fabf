import ArgumentParser
import Core
import Foundation

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
            Install.self, Versions.self, Prune.self, PluginsCommand.self, Config.self, Ctl.self,
        ]
    )

    /// ArgumentParser's `AsyncParsableCommand.main(_:)` (1.8.2: parse, run, exit codes, help), with
    /// the signals settled here, in one place: the handlers are installed before anything else, so
    /// that no SIGTERM or SIGINT is lost or kills lavavisor while a supervising command starts, and
    /// the signals that would kill it for a recoverable error are ignored. The commands that do not
    /// supervise stop nothing gracefully: they get the default actions back (`init --auto-start`
    /// installs them again when it goes on supervising).
    static func main() async {
        Signals.install()
        Signals.ignoreHarmful()
        // The settings from the environment and the store's files become flags before parsing, so
        // that one parser checks every value, wherever it came from.
        let resolution: SettingsResolution
        do { resolution = try SettingsResolution.ofThisProcess.get() } catch {
            exit(withError: ValidationError(error.description))
        }
        if let word = CommandLine.arguments.dropFirst().first, let unknown = unknownCommand(word) { exit(withError: unknown) }
        var command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot(resolution.arguments)
        } catch {
            // A refused value that was not on the command line: say where it came from.
            if let provenance = resolution.provenance, !(error is CleanExit) {
                FileHandle.standardError.write(Data((provenance + "\n").utf8))
            }
            exit(withError: error)
        }
        do {
            if !((type(of: command) as? any RuntimeCommand.Type)?.supervises ?? false) { Signals.restoreDefaults() }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// A first word that is no command (`lavavisor wrapp`): the error names the closest command,
    /// as the argument parser does for a mistyped flag.
    static func unknownCommand(_ word: String) -> ValidationError? {
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        guard !word.hasPrefix("-"), !names.contains(word) else { return nil }
        let closest = names.map { ($0, editDistance($0, word)) }.min { $0.1 < $1.1 }
        let hint = closest.flatMap { $0.1 <= max(1, word.count / 3) ? " Did you mean '\($0.0)'?" : nil } ?? ""
        return ValidationError("'\(word)' is not a lavavisor command.\(hint) 'lavavisor --help' lists them.")
    }

    /// The edit distance of two words, a swap of two neighbouring letters counting as one edit
    /// (`stauts` is one from `status`, two from `start`).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        var d = (0...a.count).map { i in (0...b.count).map { j in i == 0 ? j : (j == 0 ? i : 0) } }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
