public import ArgumentParser
public import Core
public import Foundation
public import Logging

/// The `git` binary source (the original's `wrap --auto-download`): a shallow clone of tag
/// `vX.Y.Z`, then the build command, its output streamed to the log. Published versions are the
/// repository's tags (`git ls-remote --tags`). Needs git, and go for the default build; it never
/// downloads a toolchain by itself.
public struct GitBinarySource: BinarySource {
    public static let id = "git"
    public static let summary = "builds lavap from a shallow clone of the version's tag (--repo-url, --build-command; needs git and go)"

    /// The default `--repo-url`.
    public static let defaultRepoURL = "https://github.com/lavanet/lava.git"

    /// The flags of the `git` binary source.
    public struct Options: PluginOptions {
        public typealias Owner = GitBinarySource

        /// `--repo-url`.
        @Option(name: .customLong("repo-url"), help: "The git repository to clone (a URL or a path).")
        public var repoURL = GitBinarySource.defaultRepoURL

        /// `--build-command`.
        @Option(
            name: .customLong("build-command"),
            help: "The shell command that builds lavap in the checkout, writing it to $LAVAVISOR_OUT (default: go build).")
        public var buildCommand: String?

        /// The defaults.
        public init() {}
    }

    /// The repository to clone: a URL or a path.
    public let repository: String
    /// The build command, run by `/bin/sh` in the checkout with `$LAVAVISOR_OUT` (where to write the
    /// binary) and `$LAVAVISOR_VERSION`; nil builds with go as the original does.
    public let buildCommand: String?
    /// The longest a clone or a build may take.
    public let timeout: Duration
    /// Where git and go are looked for (PATH by default).
    public let searchPath: String
    private let logger: Logger

    /// A source cloning `repository`.
    public init(
        repository: String, buildCommand: String? = nil, timeout: Duration = .seconds(3600),
        searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", logger: Logger
    ) {
        self.repository = repository
        self.buildCommand = buildCommand
        self.timeout = timeout
        self.searchPath = searchPath
        self.logger = logger
    }

    public static func make(options: Options, context: PluginContext) throws -> GitBinarySource {
        GitBinarySource(
            repository: options.repoURL, buildCommand: options.buildCommand.flatMap { $0.isEmpty ? nil : $0 }, logger: context.logger)
    }

    /// The go build the original runs: `cmd/lavap`, or `cmd/lavad` before 0.22.0.
    public static func defaultBuildCommand(for version: SemanticVersion) -> String {
        let package = version < SemanticVersion(0, 22, 0) ? "./cmd/lavad" : "./cmd/lavap"
        return #"go build -o "$LAVAVISOR_OUT" \#(package)"#
    }

    /// The repository's version tags (a repository lists what it has, whatever the chain demands).
    public func availableVersions(for requirement: VersionRequirement) async throws -> [SemanticVersion] {
        try await availableVersions()
    }

    /// The repository's version tags.
    public func availableVersions() async throws -> [SemanticVersion] {
        let git = try tool("git", hint: "install git (apt-get install git), or use --source github for released binaries")
        // `--` before the repository: a --repo-url starting with `-` is a (strange) path to git, never an option.
        let outcome = try await ProcessRunner.run(git, ["ls-remote", "--tags", "--refs", "--", repository], timeout: .seconds(120))
        guard outcome.exit == .exited(0) else {
            throw GitSourceError("cannot list the tags of \(repository): \(Self.tail(outcome.output)); check --repo-url and the network")
        }
        let versions = outcome.output.split(whereSeparator: \.isNewline).compactMap { line -> SemanticVersion? in
            guard let ref = line.split(separator: "\t").last, ref.hasPrefix("refs/tags/v") else { return nil }
            return try? SemanticVersion(parsing: String(ref.dropFirst("refs/tags/".count)))
        }
        return Set(versions).sorted()
    }

    public func fetch(_ version: SemanticVersion, to destination: URL) async throws {
        let git = try tool("git", hint: "install git (apt-get install git), or use --source github for released binaries")
        let command = buildCommand ?? Self.defaultBuildCommand(for: version)
        if buildCommand == nil {
            _ = try tool(
                "go",
                hint:
                    "install Go 1.20 or later (https://go.dev/doc/install) and put it on PATH, or use --source github for released binaries; lavavisor never downloads a toolchain by itself"
            )
        }
        // The checkout lives beside the staging binary and goes before the store moves the folder.
        let checkout = destination.deletingLastPathComponent().appendingPathComponent("src")
        defer { try? FileManager.default.removeItem(at: checkout) }
        let log = logger
        logger.info("cloning \(version.tag)", metadata: ["repository": "\(repository)"])
        let clone = try await ProcessRunner.run(
            git, ["clone", "--quiet", "--depth", "1", "--branch=\(version.tag)", "--", repository, checkout.path], timeout: timeout,
            onLine: { log.info("git: \($0)") })
        guard clone.exit == .exited(0) else {
            throw GitSourceError("cannot clone \(version.tag) of \(repository): \(Self.tail(clone.output))")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["LAVAVISOR_OUT"] = destination.path
        environment["LAVAVISOR_VERSION"] = version.description
        logger.info("building \(version)", metadata: ["command": "\(command)"])
        let build = try await ProcessRunner.run(
            "/bin/sh", ["-c", "cd -- \"$0\" && \(command)", checkout.path], environment: environment, timeout: timeout,
            onLine: { log.info("build: \($0)") })
        guard let exit = build.exit else { throw GitSourceError("building \(version) took longer than \(timeout); it was stopped") }
        guard exit == .exited(0) else {
            throw GitSourceError(
                "building \(version) failed with \(exit): \(Self.tail(build.output)) (the whole output is in the log above)")
        }
        guard FileManager.default.fileExists(atPath: destination.path) else {
            throw GitSourceError("the build of \(version) succeeded but wrote nothing to $LAVAVISOR_OUT; check --build-command")
        }
    }

    /// The path of `name` on the search path, or an error saying how to get it.
    private func tool(_ name: String, hint: String) throws -> String {
        for folder in searchPath.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw GitSourceError("\(name) is not installed (not found on PATH): \(hint)")
    }

    /// What git said went wrong: its own `fatal:` (or `error:`) line, the first, which names the
    /// cause (its last lines are often advice: "Please make sure you have the correct access
    /// rights"); else its last line.
    static func tail(_ output: String) -> String {
        let lines = output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.first { $0.hasPrefix("fatal:") || $0.hasPrefix("error:") } ?? lines.last ?? "no output"
    }
}

/// A clone or build that failed.
public struct GitSourceError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    init(_ description: String) { self.description = description }
}
