public import ArgumentParser
public import Core
public import Foundation
import Yams

/// The `file` version source: the four versions from a JSON or YAML file kept by the operator.
///
/// The file is read again on every check, so editing it triggers an upgrade. Accepted shapes: the
/// four fields at the top, under `version:`, or under `params.version` (the REST answer, saved as is).
public struct FileVersionSource: VersionSource {
    public static let id = "file"
    public static let summary = "reads the four versions from a JSON or YAML file (--versions-file), re-read on every check"

    /// The flags of the `file` version source.
    public struct Options: PluginOptions {
        public typealias Owner = FileVersionSource

        /// `--versions-file`.
        @Option(name: .customLong("versions-file"), help: "The JSON or YAML file holding the four versions (re-read on every check).")
        public var versionsFile: String?

        /// The defaults.
        public init() {}
    }

    /// The versions file.
    public let path: URL

    /// A source reading `path`.
    public init(path: URL) { self.path = path }

    public static func make(options: Options, context: PluginContext) throws -> FileVersionSource {
        guard let file = options.versionsFile, !file.isEmpty else {
            throw OptionError(
                "--version-source file needs --versions-file PATH: a JSON or YAML file with provider_target, provider_min, consumer_target and consumer_min"
            )
        }
        // At start a missing file is a mistyped path, not a file still to come: said now, not
        // retried every poll (once running, a file that goes missing is one failed check).
        let path = context.resolve(file)
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw OptionError(
                "--versions-file \(path.path) does not exist; fix the path, or create it with provider_target, provider_min, consumer_target and consumer_min"
            )
        }
        return FileVersionSource(path: path)
    }

    /// The `pending:` entries of the file, as `lavad q gov proposals` prints proposals (`id`,
    /// `voting_end_time`, `messages`), or shortly: `proposal`, `voting_end_time` and the four versions.
    public func pendingVersions() async throws -> [PendingVersion] {
        guard let text = try? String(contentsOf: path, encoding: .utf8) else { return [] }
        return Self.pendingVersions(inText: text)
    }

    public func read() async throws -> VersionReading {
        let text: String
        do { text = try String(contentsOf: path, encoding: .utf8) } catch {
            throw VersionFileError(
                path: path.path, problem: "cannot be read (\(SystemError.reason(of: error))); create it or fix --versions-file")
        }
        return VersionReading(versions: try Self.parse(text, path: path.path), location: path.path)
    }

    /// Parses the file's text; every problem names the file and the field.
    public static func parse(_ text: String, path: String) throws(VersionFileError) -> ProtocolVersion {
        let document: Any?
        do { document = try VersionsYAML.load(text) } catch {
            throw VersionFileError(path: path, problem: "is neither JSON nor YAML (\(error))")
        }
        guard let root = document as? [String: Any] else {
            throw VersionFileError(
                path: path, problem: "must hold a mapping with provider_target, provider_min, consumer_target and consumer_min")
        }
        let fields = locateFields(in: root)
        var texts: [ProtocolVersion.CodingKeys: String] = [:]
        for key in ProtocolVersion.CodingKeys.allCases {
            guard let value = fields[key.rawValue] else {
                throw VersionFileError(path: path, problem: "has no \(key.rawValue); add it as \"X.Y.Z\"")
            }
            guard let string = value as? String else {
                throw VersionFileError(
                    path: path, problem: "has \(key.rawValue): \(value), which is not a version text; write it as \"X.Y.Z\"")
            }
            texts[key] = string
        }
        do {
            return try ProtocolVersion(
                providerTarget: texts[.providerTarget]!, providerMin: texts[.providerMin]!,
                consumerTarget: texts[.consumerTarget]!, consumerMin: texts[.consumerMin]!)
        } catch {
            throw VersionFileError(path: path, problem: "has an \(error)")
        }
    }

    /// The mapping that holds the fields: the top, `version`, or `params.version`.
    private static func locateFields(in root: [String: Any]) -> [String: Any] {
        if root["provider_target"] != nil { return root }
        if let version = root["version"] as? [String: Any] { return version }
        if let params = root["params"] as? [String: Any], let version = params["version"] as? [String: Any] { return version }
        return root
    }
}

/// A versions file that is missing or wrong.
public struct VersionFileError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What is wrong and what to do.
    public let problem: String

    public var description: String { "versions file \(path) \(problem)" }
}
