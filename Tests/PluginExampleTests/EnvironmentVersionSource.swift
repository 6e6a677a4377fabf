public import ArgumentParser
public import Core
public import Foundation

/// A version source that reads one version from an environment variable and demands it of
/// providers and consumers alike (target and minimum).
public struct EnvironmentVersionSource: VersionSource {
    public static let id = "env"
    public static let summary = "demands the version in an environment variable (--version-variable), target and minimum"

    /// The flags of the `env` version source: declared here, mounted by the CLI under "env version source".
    public struct Options: PluginOptions {
        public typealias Owner = EnvironmentVersionSource

        /// `--version-variable`.
        @Option(name: .customLong("version-variable"), help: "The environment variable holding the required version.")
        public var variable = "LAVA_REQUIRED_VERSION"

        /// The defaults.
        public init() {}

        /// Checks the flag before anything runs.
        public func validate() throws {
            guard !variable.isEmpty, !variable.contains("=") else {
                throw ValidationError("--version-variable must be a variable name, got '\(variable)'")
            }
        }
    }

    /// The variable to read.
    public let variable: String
    /// The environment to read; the real one by default, a fixed one in tests.
    let environment: @Sendable () -> [String: String]

    /// A source reading `variable`.
    public init(
        variable: String = "LAVA_REQUIRED_VERSION",
        environment: @escaping @Sendable () -> [String: String] = { ProcessInfo.processInfo.environment }
    ) {
        self.variable = variable
        self.environment = environment
    }

    public static func make(options: Options, context: PluginContext) throws -> EnvironmentVersionSource {
        EnvironmentVersionSource(variable: options.variable)
    }

    public func read() async throws -> VersionReading {
        guard let text = environment()[variable] else {
            throw EnvironmentVersionMissing(variable: variable)
        }
        let version = try SemanticVersion(parsing: text)
        let versions = try ProtocolVersion(
            providerTarget: version, providerMin: version, consumerTarget: version, consumerMin: version)
        return VersionReading(versions: versions, location: "$\(variable)")
    }
}

/// The variable is not set: a failure at run time, with what to do.
public struct EnvironmentVersionMissing: Error, Equatable, CustomStringConvertible {
    /// The variable.
    public let variable: String

    public var description: String { "--version-source env needs \(variable)=X.Y.Z in lavavisor's environment" }
}
