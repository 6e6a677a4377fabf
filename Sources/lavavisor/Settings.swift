import ArgumentParser
import Core
import Foundation
import Yams

// Configuration once: every long flag of a command is a setting, which can also come from the
// environment (`LAVAVISOR_POLL_INTERVAL` for `--poll-interval`), from the store's settings file
// (`poll-interval: 30s` in `<directory>/.lavavisor/settings.yml`), or, for the source settings,
// from what `init`, `wrap`, `pod` and `start` last used on that store (`recorded.yml`). Precedence:
// flag > environment > settings file > recorded > default. The settings are given to the
// argument parser as flags, so every value is checked by the same code as on the command line.

/// Where a setting's value came from.
enum SettingOrigin: Equatable, Sendable {
    case flag
    /// The environment variable.
    case environment(String)
    /// The settings file.
    case file(String)
    /// The file of the recorded source settings.
    case recorded(String)
    case standard

    /// `flag`, `env`, `file`, `recorded` or `default`: the JSON of `lavavisor config`.
    var kind: String {
        switch self {
        case .flag: "flag"
        case .environment: "env"
        case .file: "file"
        case .recorded: "recorded"
        case .standard: "default"
        }
    }

    /// The variable or file it names, if any.
    var name: String? {
        switch self {
        case .flag, .standard: nil
        case .environment(let name), .file(let name), .recorded(let name): name
        }
    }

    /// The kind with the variable or file it names, for people.
    var label: String { name.map { "\(kind) \($0)" } ?? kind }
}

/// One setting of a command: one of its long options or flags.
struct Setting: Sendable, Equatable {
    /// The flag's long name, without dashes: the settings file's key.
    let name: String
    /// Whether it is a flag (on or off) rather than an option with a value.
    let isFlag: Bool
    /// The default, as the help shows it.
    let defaultValue: String?

    /// The environment variable: `LAVAVISOR_` and the long name in capitals, `_` for `-`.
    var variable: String { Self.variable(for: name) }

    static func variable(for name: String) -> String {
        "LAVAVISOR_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}

/// The settings of every command. `lavavisor`'s is generated (`SettingsTable.swift`) from the
/// argument parser's own description of the command line (`_dumpHelp`), which is as slow as a
/// parse: the table costs nothing at start, and `SettingsCatalogTests` rewrites it when a flag
/// changes, so no list is kept by hand.
struct SettingsCatalog: Sendable, Equatable {
    /// Each command's settings, in the order of its help.
    let commands: [String: [Setting]]
    /// The settings `init`, `wrap`, `pod` and `start` record: the chain, the connection, the version and binary sources.
    let sourceNames: Set<String>
    /// Every environment variable of a setting of some command.
    let variables: Set<String>
    /// Every setting name of some command.
    let names: Set<String>

    /// lavavisor's.
    static let lavavisor = generated

    /// The commands whose settings are not taken from the environment or the file.
    static let unconfigured: Set<String> = ["config", "help"]
    /// The flags of one invocation, not configuration: what to print (`--json`), which wrapper to
    /// talk to (`ctl --pid`), whether to act (`prune --dry-run`).
    static let invocationFlags: Set<String> = ["json", "pid", "dry-run"]

    init(commands: [String: [Setting]], sourceNames: Set<String>) {
        self.commands = commands
        self.sourceNames = sourceNames
        variables = Set(commands.values.joined().map(\.variable))
        names = Set(commands.values.joined().map(\.name))
    }

    /// The generated table's form: each setting written once (`settings`, as most commands declare
    /// it), each command's settings by name, and the few a command declares otherwise (`differing`).
    init(settings: [Setting], differing: [String: [Setting]], commands: [String: [String]], sourceNames: Set<String>) {
        let shared = Dictionary(settings.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.init(
            commands: Dictionary(
                uniqueKeysWithValues: commands.map { command, names in
                    (command, names.compactMap { name in differing[command]?.first { $0.name == name } ?? shared[name] })
                }),
            sourceNames: sourceNames)
    }

    /// The catalog of `root`'s subcommands, the source settings being those of the groups `sources`.
    init(root: any ParsableCommand.Type, sources: [any ParsableArguments.Type]) {
        let tool = Self.decode(root._dumpHelp())
        var commands: [String: [Setting]] = [:]
        for command in tool?.subcommands ?? [] where !Self.unconfigured.contains(command.commandName) {
            let settings = Self.settings(of: command.arguments ?? [])
            if !settings.isEmpty { commands[command.commandName] = settings }
        }
        self.init(
            commands: commands,
            sourceNames: Set(sources.flatMap { Self.settings(of: Self.decode($0._dumpHelp())?.arguments ?? []).map(\.name) }))
    }

    /// The variables lavavisor sets for the programs it runs (hooks, build commands, lavap): a hook
    /// that runs lavavisor has them, and they are not settings.
    static let reservedVariables: Set<String> = [
        ChildRecordFile.markVariable, "LAVAVISOR_HOOK", "LAVAVISOR_FROM_VERSION", "LAVAVISOR_TO_VERSION", "LAVAVISOR_REASON",
        "LAVAVISOR_COMMAND", "LAVAVISOR_OUT", "LAVAVISOR_VERSION",
    ]

    private struct Dump: Decodable {
        struct Command: Decodable {
            var commandName: String
            var subcommands: [Command]?
            var arguments: [Argument]?
        }
        struct Argument: Decodable {
            struct Name: Decodable {
                var kind: String
                var name: String
            }
            var kind: String
            var names: [Name]?
            var defaultValue: String?
            var abstract: String?
        }
        var command: Command
    }

    private static func decode(_ json: String) -> Dump.Command? {
        try? JSONDecoder().decode(Dump.self, from: Data(json.utf8)).command
    }

    /// The argument parser's own `--help` and `--version` are not settings, nor are positional
    /// arguments. A default the parser cannot show (a duration's) is the one the help names.
    private static func settings(of arguments: [Dump.Argument]) -> [Setting] {
        arguments.compactMap { argument in
            guard argument.kind != "positional", let long = argument.names?.first(where: { $0.kind == "long" })?.name,
                !(argument.kind == "flag" && ["help", "version"].contains(long)), !invocationFlags.contains(long)
            else { return nil }
            let named = argument.abstract?.firstMatch(of: /\(default: ([^)]*)\)/).map { String($0.output.1) }
            return Setting(name: long, isFlag: argument.kind == "flag", defaultValue: argument.defaultValue ?? named)
        }
    }
}

/// A settings file or variable that cannot be used; the message names it and says what to do.
struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The files of the settings in a store.
enum SettingsFiles {
    /// The operator's settings file.
    static func settings(in root: URL) -> URL { root.appendingPathComponent("settings.yml") }
    /// The source settings `init`, `wrap`, `pod` and `start` last used.
    static func recorded(in root: URL) -> URL { root.appendingPathComponent("recorded.yml") }
    /// The most a settings file may hold: a few dozen settings, not a megabyte.
    static let sizeLimit = 64 * 1024

    /// The file's settings as texts (a flag's as `true`/`false`); none when there is no file.
    static func read(_ url: URL, what: String = "the settings file") throws(SettingsError) -> [String: String] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        // As root, a file another user could change would choose the programs root runs (a hook).
        do { try Ownership.current.check(url.path, what: what) } catch { throw SettingsError(error.description) }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw SettingsError("cannot read the settings file \(url.path); make it readable by this user, or remove it")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: sizeLimit + 1)) ?? Data()
        guard data.count <= sizeLimit else {
            throw SettingsError("the settings file \(url.path) is larger than 64 KiB; it holds flags' values only, one per line")
        }
        let document: Any?
        do { document = try Yams.load(yaml: String(decoding: data, as: UTF8.self)) } catch {
            throw SettingsError("the settings file \(url.path) is not YAML (\(error)); write one 'flag-name: value' per line")
        }
        guard let document else { return [:] }
        guard let mapping = document as? [String: Any] else {
            throw SettingsError("the settings file \(url.path) must be a mapping of flag names to values, e.g. 'poll-interval: 30s'")
        }
        var values: [String: String] = [:]
        for (key, value) in mapping {
            switch value {
            case let flag as Bool: values[key] = flag ? "true" : "false"
            case let text as String: values[key] = text
            case let number as Int: values[key] = String(number)
            case let number as Double: values[key] = String(number)
            case is NSNull: continue
            default:
                throw SettingsError("the setting '\(key)' in \(url.path) is not one value; give it as 'key: value'")
            }
        }
        return values
    }

    /// A flag's value from the environment or a file: on or off.
    static func flagValue(_ text: String, of setting: Setting, from origin: SettingOrigin) throws(SettingsError) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off", "": return false
        default:
            throw SettingsError("\(setting.name) from \(origin.label) is a flag: give true or false, got '\(text)'")
        }
    }
}

/// The settings one command line runs with: the arguments the parser gets and where each value came from.
struct SettingsResolution: Sendable {
    /// A setting with a value from a flag, the environment or a file.
    struct Value: Sendable {
        let setting: Setting
        let value: String
        let origin: SettingOrigin
    }

    /// The command, when it is one with settings.
    let command: String?
    /// The arguments for the parser: the command line with the settings from elsewhere added as flags.
    let arguments: [String]
    /// Every setting of the command, in the order of its help.
    let settings: [Setting]
    /// The settings given by a flag, the environment or a file.
    let values: [Value]
    /// The store the settings file was looked for in.
    let store: URL?
    /// The source settings its `recorded.yml` held.
    let recorded: [String: String]

    /// The resolution of this process's command line, made once: `main` parses what it gives, and
    /// `init`, `wrap`, `pod` and `start` record from it.
    static let ofThisProcess = Result { () throws(SettingsError) in
        try resolve(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
    }

    /// Resolves `arguments` (without the program's name) against `environment` and the store's files.
    static func resolve(
        _ arguments: [String], environment: [String: String], catalog: SettingsCatalog = .lavavisor,
        workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) throws(SettingsError) -> SettingsResolution {
        guard let command = arguments.first, let settings = catalog.commands[command] else {
            return SettingsResolution(command: nil, arguments: arguments, settings: [], values: [], store: nil, recorded: [:])
        }
        try checkEnvironment(environment, catalog: catalog)
        let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
        let given = givenFlags(in: arguments[1..<end], settings: settings)
        let directory = given["directory"] ?? environment[Setting.variable(for: "directory")].flatMap { $0.isEmpty ? nil : $0 }
        let root = Store(
            directory: directory.map { URL(fileURLWithPath: $0, relativeTo: workingDirectory).standardizedFileURL }
                ?? FileManager.default.homeDirectoryForCurrentUser
        ).root
        let settingsFile = SettingsFiles.settings(in: root)
        let file = try SettingsFiles.read(settingsFile)
        if file["directory"] != nil {
            throw SettingsError(
                "the settings file \(settingsFile.path) sets 'directory', which says where that file is; give --directory or LAVAVISOR_DIRECTORY instead"
            )
        }
        if let key = file.keys.sorted().first(where: { !catalog.names.contains($0) }) {
            throw SettingsError(
                "the settings file \(settingsFile.path) has '\(key)', which no lavavisor command knows; fix the name (a flag's long name without dashes) or remove it"
            )
        }
        let recordedFile = SettingsFiles.recorded(in: root)
        let recorded = try SettingsFiles.read(recordedFile, what: "the recorded settings").filter { catalog.sourceNames.contains($0.key) }

        var values: [Value] = []
        var added: [String] = []
        for setting in settings {
            let found: (String, SettingOrigin)? =
                if let value = given[setting.name] { (value, .flag) } else if let value = environment[setting.variable], !value.isEmpty {
                    (value, .environment(setting.variable))
                } else if let value = file[setting.name] {
                    (value, .file(settingsFile.path))
                } else if let value = recorded[setting.name] {
                    (value, .recorded(recordedFile.path))
                } else {
                    nil
                }
            guard let (value, origin) = found else { continue }
            values.append(Value(setting: setting, value: value, origin: origin))
            guard origin != .flag else { continue }
            if !setting.isFlag {
                added.append("--\(setting.name)=\(value)")
            } else if try SettingsFiles.flagValue(value, of: setting, from: origin) {
                added.append("--\(setting.name)")
            }
        }
        return SettingsResolution(
            command: command, arguments: Array(arguments[..<end]) + added + Array(arguments[end...]), settings: settings, values: values,
            store: root, recorded: recorded)
    }

    /// A `LAVAVISOR_` variable that no setting has is a mistyped setting: an error, not silence.
    private static func checkEnvironment(_ environment: [String: String], catalog: SettingsCatalog) throws(SettingsError) {
        let known = catalog.variables.union(SettingsCatalog.reservedVariables)
        for name in environment.keys.sorted() where name.hasPrefix("LAVAVISOR_") && !known.contains(name) {
            throw SettingsError(
                "the environment variable \(name) is not a lavavisor setting; a setting's variable is LAVAVISOR_ and a flag's long name in capitals with _ for - (LAVAVISOR_POLL_INTERVAL for --poll-interval; 'lavavisor config' lists them): fix its name or unset it"
            )
        }
    }

    /// The settings given as flags on the command line (`--name value`, `--name=value`, `--flag`).
    private static func givenFlags(in words: ArraySlice<String>, settings: [Setting]) -> [String: String] {
        let byName = Dictionary(settings.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var given: [String: String] = [:]
        var index = words.startIndex
        while index < words.endIndex {
            let word = words[index]
            index += 1
            guard word.hasPrefix("--") else { continue }
            let body = word.dropFirst(2)
            guard let setting = byName[String(body.prefix { $0 != "=" })] else { continue }
            if let equals = body.firstIndex(of: "=") {
                given[setting.name] = String(body[body.index(after: equals)...])
            } else if setting.isFlag {
                given[setting.name] = "true"
            } else if index < words.endIndex {
                given[setting.name] = words[index]
                index += 1
            }
        }
        return given
    }

    /// Where the values the parser refused came from, when not from the command line: one line each.
    var provenance: String? {
        let lines = values.filter { $0.origin != .flag }.map { "--\($0.setting.name) came from \($0.origin.label)" }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }
}
