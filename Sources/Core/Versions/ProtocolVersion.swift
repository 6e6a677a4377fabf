/// The four versions the chain's `protocol` module demands of providers and consumers.
public struct ProtocolVersion: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The version providers should run.
    public var providerTarget: SemanticVersion
    /// Providers below this version are out of protocol.
    public var providerMin: SemanticVersion
    /// The version consumers should run.
    public var consumerTarget: SemanticVersion
    /// Consumers below this version are out of protocol.
    public var consumerMin: SemanticVersion

    /// The JSON/YAML field names, as the chain writes them.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case providerTarget = "provider_target"
        case providerMin = "provider_min"
        case consumerTarget = "consumer_target"
        case consumerMin = "consumer_min"
    }

    /// Builds and validates the four versions with the chain's rules.
    public init(
        providerTarget: SemanticVersion, providerMin: SemanticVersion,
        consumerTarget: SemanticVersion, consumerMin: SemanticVersion
    ) throws(ProtocolVersionError) {
        self.providerTarget = providerTarget
        self.providerMin = providerMin
        self.consumerTarget = consumerTarget
        self.consumerMin = consumerMin
        try validate()
    }

    /// Parses the four fields from their texts, naming the field that is wrong.
    public init(
        providerTarget: String, providerMin: String, consumerTarget: String, consumerMin: String
    ) throws(ProtocolVersionError) {
        func parse(_ text: String, _ key: CodingKeys) throws(ProtocolVersionError) -> SemanticVersion {
            do { return try SemanticVersion(parsing: text) } catch {
                throw ProtocolVersionError(field: key.rawValue, problem: error.description)
            }
        }
        try self.init(
            providerTarget: parse(providerTarget, .providerTarget),
            providerMin: parse(providerMin, .providerMin),
            consumerTarget: parse(consumerTarget, .consumerTarget),
            consumerMin: parse(consumerMin, .consumerMin))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            providerTarget: container.decode(String.self, forKey: .providerTarget),
            providerMin: container.decode(String.self, forKey: .providerMin),
            consumerTarget: container.decode(String.self, forKey: .consumerTarget),
            consumerMin: container.decode(String.self, forKey: .consumerMin))
    }

    /// The chain's rules: minor and patch at most 10000, and min <= target for each role.
    public func validate() throws(ProtocolVersionError) {
        let fields: [(CodingKeys, SemanticVersion)] = [
            (.providerTarget, providerTarget), (.providerMin, providerMin),
            (.consumerTarget, consumerTarget), (.consumerMin, consumerMin),
        ]
        for (key, version) in fields where version.minor > 10000 || version.patch > 10000 {
            throw ProtocolVersionError(
                field: key.rawValue, problem: "\(version) has a minor or patch above 10000, which the chain never allows")
        }
        if providerMin > providerTarget {
            throw ProtocolVersionError(
                field: CodingKeys.providerMin.rawValue,
                problem: "\(providerMin) is above provider_target \(providerTarget)")
        }
        if consumerMin > consumerTarget {
            throw ProtocolVersionError(
                field: CodingKeys.consumerMin.rawValue,
                problem: "\(consumerMin) is above consumer_target \(consumerTarget)")
        }
    }

    /// The version to move to: the higher of the two targets (they are equal in practice).
    public var target: SemanticVersion { max(providerTarget, consumerTarget) }

    /// The lowest version that is still in protocol: the higher of the two minimums.
    public var minimum: SemanticVersion { max(providerMin, consumerMin) }

    public var description: String {
        "provider_target=\(providerTarget) provider_min=\(providerMin) consumer_target=\(consumerTarget) consumer_min=\(consumerMin)"
    }
}

/// Protocol versions that break the chain's rules.
public struct ProtocolVersionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault (`provider_target`, …).
    public let field: String
    /// What is wrong with it.
    public let problem: String

    /// The error for `field`.
    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "invalid protocol version field \(field): \(problem)" }
}
