import Core
import Foundation
import Logging

extension SettingsResolution {
    /// The source settings whose values are paths: recorded absolute, since the commands that read
    /// them may run from another folder.
    static let pathSettings: Set<String> = ["versions-file", "ca-file", "binaries-dir", "repo-url"]

    /// Records the source settings this command was given (by flag, environment or settings file)
    /// in the store's `recorded.yml`, over what it held, so that `status`, `versions`, `install` and
    /// `prune` on this store need no other flag; `defaults` are recorded when nothing gave them (a
    /// pod's `--source`). A failure is a warning: supervision does not depend on it.
    func recordSources(
        in store: Store, defaults: [String: String] = [:], logger: Logger, catalog: SettingsCatalog = .lavavisor,
        workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) {
        let file = SettingsFiles.recorded(in: store.root)
        // What the file held when the command started, as the resolution read it.
        let before = self.recorded
        var recorded = before
        for (name, value) in defaults where !values.contains(where: { $0.setting.name == name }) { recorded[name] = value }
        for value in values where catalog.sourceNames.contains(value.setting.name) {
            switch value.origin {
            case .flag, .environment, .file: break
            case .recorded, .standard: continue
            }
            recorded[value.setting.name] = Self.recordable(value, workingDirectory: workingDirectory)
        }
        guard recorded != before else { return }
        var lines = [
            "# The source settings 'lavavisor \(command ?? "")' used last on this store: a command on it that is not",
            "# given them (flag, LAVAVISOR_* variable, settings.yml) takes them from here. Written by lavavisor;",
            "# edit a value or remove this file to forget them. See 'lavavisor config'.",
        ]
        let flags = Set(settings.filter(\.isFlag).map(\.name))
        for (name, value) in recorded.sorted(by: { $0.key < $1.key }) {
            lines.append("\(name): \(flags.contains(name) || value == "true" || value == "false" ? value : Self.quoted(value))")
        }
        do {
            try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: file)
            logger.info(
                "recorded the source settings for later commands on this store",
                metadata: ["file": "\(file.path)", "settings": "\(recorded.keys.sorted().joined(separator: ","))"])
        } catch {
            logger.warning("cannot record the source settings in \(file.path): \(error); later commands need the flags again")
        }
    }

    /// The value as the recorded file keeps it: a flag as true or false, a relative path made absolute.
    private static func recordable(_ value: Value, workingDirectory: URL) -> String {
        if value.setting.isFlag {
            return (try? SettingsFiles.flagValue(value.value, of: value.setting, from: value.origin)) == true ? "true" : "false"
        }
        guard pathSettings.contains(value.setting.name), !value.value.hasPrefix("/"), !value.value.contains("://"),
            FileManager.default.fileExists(atPath: URL(fileURLWithPath: value.value, relativeTo: workingDirectory).path)
        else { return value.value }
        return URL(fileURLWithPath: value.value, relativeTo: workingDirectory).standardizedFileURL.path
    }

    /// A YAML double-quoted scalar (JSON's string syntax, which YAML reads as is).
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
