public import Foundation
import Yams

/// `config.yml`: the services `create-service` registered, as in the original.
public struct StoreConfig: Sendable, Hashable, Codable {
    /// The systemd service names, in the order they were created.
    public var services: [String]

    /// A configuration with the given services.
    public init(services: [String] = []) { self.services = services }

    /// Parses YAML; an empty file is an empty configuration.
    public static func decode(_ data: Data) throws -> StoreConfig {
        let text = String(decoding: data, as: UTF8.self)
        if text.allSatisfy(\.isWhitespace) { return StoreConfig() }
        return try YAMLDecoder().decode(StoreConfig.self, from: text)
    }

    /// Encodes as YAML.
    public func encoded() throws -> Data {
        Data(try YAMLEncoder().encode(self).utf8)
    }
}
