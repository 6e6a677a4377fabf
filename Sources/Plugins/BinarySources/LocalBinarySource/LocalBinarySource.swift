public import ArgumentParser
public import Core
public import Foundation

/// The `local` binary source: binaries the operator placed in a folder by hand.
///
/// Layouts: `DIR/vX.Y.Z/lavap` (as in `upgrades/`) or `DIR/lavap-vX.Y.Z` (a release asset renamed);
/// when both exist for a version, the folder layout wins.
public struct LocalBinarySource: BinarySource {
    public static let id = "local"
    public static let summary = "copies binaries from a folder (--binaries-dir DIR with DIR/vX.Y.Z/lavap or DIR/lavap-vX.Y.Z)"

    /// The flags of the `local` binary source.
    public struct Options: PluginOptions {
        public typealias Owner = LocalBinarySource

        /// `--binaries-dir`.
        @Option(name: .customLong("binaries-dir"), help: "The folder of binaries: DIR/vX.Y.Z/lavap or DIR/lavap-vX.Y.Z.")
        public var binariesDir: String?

        /// The defaults.
        public init() {}
    }

    /// The folder of binaries.
    public let folder: URL

    /// A source reading `folder`.
    public init(folder: URL) { self.folder = folder }

    public static func make(options: Options, context: PluginContext) throws -> LocalBinarySource {
        guard let dir = options.binariesDir, !dir.isEmpty else {
            throw OptionError("--source local needs --binaries-dir DIR: a folder holding DIR/vX.Y.Z/lavap or DIR/lavap-vX.Y.Z")
        }
        return LocalBinarySource(folder: context.resolve(dir))
    }

    /// Every version in the folder (a folder lists what it has, whatever the chain demands).
    public func availableVersions(for requirement: VersionRequirement) async throws -> [SemanticVersion] {
        try await availableVersions()
    }

    /// Every version in the folder.
    public func availableVersions() async throws -> [SemanticVersion] {
        try binaries().keys.sorted()
    }

    public func fetch(_ version: SemanticVersion, to destination: URL) async throws {
        guard let source = try binaries()[version] else {
            throw LocalSourceError("\(folder.path) has no lavap for \(version); place it at \(folder.path)/\(version.tag)/lavap")
        }
        try await FileCopy.copy(from: source, to: destination)
    }

    /// Every executable `lavap` in the folder, by version.
    private func binaries() throws -> [SemanticVersion: URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw LocalSourceError(
                "cannot list the binaries folder \(folder.path) (\(SystemError.reason(of: error))); check --binaries-dir")
        }
        var found: [SemanticVersion: URL] = [:]
        for name in names {
            if name.hasPrefix("v"), let version = try? SemanticVersion(parsing: name) {
                let binary = folder.appendingPathComponent(name).appendingPathComponent("lavap")
                if FileManager.default.isExecutableFile(atPath: binary.path) { found[version] = binary }
            } else if name.hasPrefix("lavap-v"), let version = try? SemanticVersion(parsing: String(name.dropFirst("lavap-".count))) {
                let binary = folder.appendingPathComponent(name)
                if found[version] == nil, FileManager.default.isExecutableFile(atPath: binary.path) { found[version] = binary }
            }
        }
        return found
    }
}

/// The binaries folder cannot deliver.
public struct LocalSourceError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    init(_ description: String) { self.description = description }
}
