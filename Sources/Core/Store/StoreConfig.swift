public import Foundation
import Yams

/// `config.yml`: the services `create-service` registered, as in the original.
public struct StoreConfig: Sendable, Hashable, Codable {
    /// The systemd service names, in the order they were created.
    public var services: [String]

    /// A configuration with the given services.
    public init(services: [String] = []) { self.services = services }

    private enum CodingKeys: String, CodingKey { case services }

    /// Decodes; a missing or empty (`services:` with nothing after it) list is no services.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        services = try container.decodeIfPresent([String].self, forKey: .services) ?? []
    }

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

extension StoreConfig {
    /// The YAML of a `config.yml` with `service` at the end of its `services:` list and every other
    /// key as it was; unchanged when `service` is already listed (whole names are compared).
    ///
    /// Throws `StoreConfigEditError` when the text is not YAML, not a mapping, or its `services:`
    /// is not a list of names.
    public static func adding(service: String, to data: Data) throws(StoreConfigEditError) -> Data {
        let text = String(decoding: data, as: UTF8.self)
        let root: Node
        do {
            root = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
        } catch {
            throw StoreConfigEditError(problem: "is not valid YAML (\(error))")
        }
        guard var mapping = root.mapping else {
            throw StoreConfigEditError(problem: "is not a YAML mapping of keys to values")
        }
        // A key spelled `services` with a tag (`!!map services:`) is a different key to YAML and
        // to the decoder, but written back it loses the tag and collides with the list added.
        if mapping.keys.contains(where: { $0.scalar?.string == "services" && $0 != Node("services") }) {
            throw StoreConfigEditError(problem: "has a 'services' key with a YAML tag; write it as a plain 'services:'")
        }
        var names: [Node] = []
        // `services:` with nothing after it (null) is an empty list, as the decoder reads it.
        if let existing = mapping["services"], !(existing.scalar.map { ["", "null", "~"].contains($0.string) } ?? false) {
            guard let sequence = existing.sequence, sequence.allSatisfy({ $0.scalar != nil }) else {
                throw StoreConfigEditError(problem: "has a 'services:' key that is not a list of service names")
            }
            names = Array(sequence)
        }
        guard !names.contains(where: { $0.string == service }) else { return data }
        names.append(Node(service))
        mapping["services"] = Node(names)
        let written: String
        do { written = try Yams.serialize(node: Node.mapping(mapping)) } catch {
            throw StoreConfigEditError(problem: "cannot be written back as YAML (\(error))")
        }
        // Tags the emitter drops can make two keys one: what is written must read back as the
        // same keys and the same list, or the edit would lose or break the operator's file.
        guard let reread = (try? Yams.compose(yaml: written))?.mapping, reread.count == mapping.count,
            reread["services"]?.sequence.map(Array.init) == names
        else {
            throw StoreConfigEditError(problem: "cannot be written back as the same YAML (its keys carry tags); remove the tags")
        }
        return Data(written.utf8)
    }
}

/// `config.yml` could not be edited; the store names the file.
public struct StoreConfigEditError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with the file, as the end of a sentence naming it.
    public let problem: String

    public var description: String { "config.yml \(problem)" }
}

extension Store {
    /// Adds `service` to `config.yml`'s `services:` list (once), keeping every other key; an
    /// atomic write, so the file is the old or the new, never half-written.
    public func addService(_ service: String) throws {
        let data: Data
        do { data = try Data(contentsOf: configFile) } catch {
            throw StoreError("cannot read \(configFile.path): \(SystemError.reason(of: error)); run 'lavavisor init' first")
        }
        let edited: Data
        do { edited = try StoreConfig.adding(service: service, to: data) } catch {
            throw StoreError(
                "cannot add \(service) to \(configFile.path): it \(error.problem); fix the file or remove it and run 'lavavisor init'")
        }
        guard edited != data else { return }
        try AtomicFile.write(edited, to: configFile)
    }
}
