import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor config [--json] [COMMAND FLAGS…]`: the settings a command would run with, and where each came from.
    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the settings a command would run with and where each comes from.",
            discussion: """
                Every long flag of a command is a setting. It comes from the command line, else from the environment \
                (LAVAVISOR_ and the flag's name in capitals, _ for -: LAVAVISOR_POLL_INTERVAL for --poll-interval), else from \
                <directory>/.lavavisor/settings.yml ('poll-interval: 30s'), else, for the chain, connection and source settings, \
                from what init, wrap, pod or start last used on that store (recorded.yml), else its default. \
                Example: lavavisor config --json wrap --directory /srv/lava
                """)

        @Flag(help: "Print one JSON object.") var json = false

        @Argument(
            parsing: .captureForPassthrough,
            help: ArgumentHelp("The command and its flags, as you would run it (default: wrap).", valueName: "command"))
        var commandLine: [String] = []

        func run() async throws {
            // No command, or flags only: wrap's settings.
            let line = commandLine.first.map { $0.hasPrefix("-") } ?? true ? ["wrap"] + commandLine : commandLine
            let catalog = SettingsCatalog.lavavisor
            guard catalog.commands[line[0]] != nil else {
                throw ValidationError(
                    "'\(line[0])' is not a lavavisor command with settings; give one of \(catalog.commands.keys.sorted().joined(separator: ", "))"
                )
            }
            let resolution: SettingsResolution
            do { resolution = try SettingsResolution.resolve(line, environment: ProcessInfo.processInfo.environment) } catch {
                throw ValidationError(error.description)
            }
            // The same parse as the command's: a value it would refuse is shown with the parser's sentence.
            var problem: String?
            do { _ = try Lavavisor.parseAsRoot(resolution.arguments) } catch {
                problem = Lavavisor.message(for: error)
            }
            let report = ConfigReport(resolution: resolution, problem: problem)
            try report.print(json: json)
            if problem != nil { throw ExitCode(1) }
        }
    }
}

/// What `config` prints: each setting with its value and origin.
struct ConfigReport: Report {
    struct Entry: Encodable {
        let name: String
        let variable: String
        let value: String?
        let from: String
        let origin: String?
    }

    let command: String
    let store: String
    let settingsFile: String
    let recordedFile: String
    let entries: [Entry]
    let problem: String?

    init(resolution: SettingsResolution, problem: String?) {
        command = resolution.command ?? ""
        let root = resolution.store ?? FileManager.default.homeDirectoryForCurrentUser
        store = root.path
        settingsFile = SettingsFiles.settings(in: root).path
        recordedFile = SettingsFiles.recorded(in: root).path
        entries = resolution.settings.map { setting in
            let found = resolution.values.first { $0.setting.name == setting.name }
            let value = found?.value ?? setting.defaultValue ?? (setting.isFlag ? "false" : nil)
            return Entry(
                name: setting.name, variable: setting.variable, value: value, from: (found?.origin ?? .standard).kind,
                origin: found?.origin.name)
        }
        self.problem = problem
    }

    func encode(to encoder: any Encoder) throws {
        try encoder.encodeFields([
            "command": command, "store": store, "settingsFile": settingsFile, "recordedFile": recordedFile, "settings": entries,
            "error": problem,
        ])
    }

    var text: String {
        let exists = { (path: String) in FileManager.default.fileExists(atPath: path) ? path : "\(path) (none)" }
        var lines = [
            "settings of 'lavavisor \(command)'", "store:         \(store)", "settings file: \(exists(settingsFile))",
            "recorded:      \(exists(recordedFile))", "",
        ]
        let width = (entries.map(\.name.count).max() ?? 0) + 2
        let valueWidth = min(40, (entries.map { ($0.value ?? "-").count }.max() ?? 0) + 2)
        for entry in entries {
            let value = entry.value ?? "-"
            let from = entry.origin.map { "\(entry.from) \($0)" } ?? entry.from
            lines.append(
                entry.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    + (value.count < valueWidth ? value.padding(toLength: valueWidth, withPad: " ", startingAt: 0) : value + "  ")
                    + from)
        }
        if let problem { lines += ["", "error: \(problem)"] }
        return lines.joined(separator: "\n")
    }
}
