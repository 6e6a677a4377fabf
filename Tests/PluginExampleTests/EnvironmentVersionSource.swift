// The worked example of Plugins.md, compiled and tested here so that the guide stays true.
public import Core
public import Foundation

/// A version source that reads one version from `LAVAVISOR_REQUIRED_VERSION` and demands it of
/// providers and consumers alike (target and minimum).
public struct EnvironmentVersionSource: VersionSource {
    public static let id = "env"
    public static let summary = "demands the version in $LAVAVISOR_REQUIRED_VERSION (target and minimum)"

    /// The environment to read; the real one by default, a fixed one in tests.
    let environment: @Sendable () -> [String: String]

    public init(environment: @escaping @Sendable () -> [String: String] = { ProcessInfo.processInfo.environment }) {
        self.environment = environment
    }

    public static func make(context: PluginContext) throws -> EnvironmentVersionSource {
        EnvironmentVersionSource()
    }

    public func read() async throws -> VersionReading {
        guard let text = environment()["LAVAVISOR_REQUIRED_VERSION"] else {
            throw OptionError("--version-source env needs LAVAVISOR_REQUIRED_VERSION=X.Y.Z in the environment")
        }
        let version = try SemanticVersion(parsing: text)
        let versions = try ProtocolVersion(
            providerTarget: version, providerMin: version, consumerTarget: version, consumerMin: version)
        return VersionReading(versions: versions, location: "$LAVAVISOR_REQUIRED_VERSION")
    }
}
