/// The versions one role must run: the chain's target and minimum for providers, for consumers,
/// or the higher of both when the role is not known.
public struct VersionRequirement: Sendable, Hashable, CustomStringConvertible {
    /// The version to move to.
    public var target: SemanticVersion
    /// The lowest version still in protocol.
    public var minimum: SemanticVersion

    /// A requirement; `minimum` above `target` is taken as `target`.
    public init(target: SemanticVersion, minimum: SemanticVersion) {
        self.target = target
        self.minimum = min(minimum, target)
    }

    public var description: String { "target \(target), minimum \(minimum)" }
}

/// What a supervised `lavap` serves, which decides the pair of chain versions it follows.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// `lavap rpcprovider`: follows `provider_target` and `provider_min`.
    case provider
    /// `lavap rpcconsumer`: follows `consumer_target` and `consumer_min`.
    case consumer
    /// Anything else: follows the higher target and the higher minimum of both.
    case any

    /// The role of a `lavap` command line, from its subcommand (the words after `lavap`).
    public init(arguments: [String]) {
        switch arguments.first {
        case "rpcprovider": self = .provider
        case "rpcconsumer": self = .consumer
        default: self = .any
        }
    }

    /// The pair of versions this role follows.
    public func requirement(_ versions: ProtocolVersion) -> VersionRequirement {
        switch self {
        case .provider: VersionRequirement(target: versions.providerTarget, minimum: versions.providerMin)
        case .consumer: VersionRequirement(target: versions.consumerTarget, minimum: versions.consumerMin)
        case .any: VersionRequirement(target: versions.target, minimum: versions.minimum)
        }
    }

    public var description: String {
        switch self {
        case .provider: "provider (provider_target, provider_min)"
        case .consumer: "consumer (consumer_target, consumer_min)"
        case .any: "any (the higher of the provider and consumer versions)"
        }
    }
}
