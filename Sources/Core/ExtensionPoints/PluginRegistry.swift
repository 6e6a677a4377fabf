/// The three extension points, as named in messages and `lavavisor plugins`.
public enum ExtensionPoint: String, Sendable, CaseIterable {
    /// `--version-source`.
    case versionSource = "version source"
    /// `--source`.
    case binarySource = "source"
    /// `--backend`.
    case processBackend = "backend"
}

/// The plugins known to one run of lavavisor, by id; an immutable value passed down, not a global.
public struct PluginRegistry: Sendable {
    /// The version sources by id.
    public private(set) var versionSources: [String: any VersionSource.Type] = [:]
    /// The binary sources by id.
    public private(set) var binarySources: [String: any BinarySource.Type] = [:]
    /// The process backends by id.
    public private(set) var processBackends: [String: any ProcessBackend.Type] = [:]

    /// An empty registry.
    public init() {}

    /// Builds a registry from plugin types; throws on a duplicate id within one extension point.
    public init(
        versionSources: [any VersionSource.Type], binarySources: [any BinarySource.Type],
        processBackends: [any ProcessBackend.Type]
    ) throws(RegistryError) {
        for plugin in versionSources { try register(plugin) }
        for plugin in binarySources { try register(plugin) }
        for plugin in processBackends { try register(plugin) }
    }

    /// Adds a version source.
    public mutating func register(_ plugin: any VersionSource.Type) throws(RegistryError) {
        try Self.insert(plugin, plugin.id, into: &versionSources, point: .versionSource)
    }

    /// Adds a binary source.
    public mutating func register(_ plugin: any BinarySource.Type) throws(RegistryError) {
        try Self.insert(plugin, plugin.id, into: &binarySources, point: .binarySource)
    }

    /// Adds a process backend.
    public mutating func register(_ plugin: any ProcessBackend.Type) throws(RegistryError) {
        try Self.insert(plugin, plugin.id, into: &processBackends, point: .processBackend)
    }

    /// The version source with this id, or an error listing the known ids.
    public func versionSource(_ id: String) throws(RegistryError) -> any VersionSource.Type {
        try Self.lookup(id, in: versionSources, point: .versionSource)
    }

    /// The binary source with this id, or an error listing the known ids.
    public func binarySource(_ id: String) throws(RegistryError) -> any BinarySource.Type {
        try Self.lookup(id, in: binarySources, point: .binarySource)
    }

    /// The process backend with this id, or an error listing the known ids.
    public func processBackend(_ id: String) throws(RegistryError) -> any ProcessBackend.Type {
        try Self.lookup(id, in: processBackends, point: .processBackend)
    }

    /// Every registered plugin, sorted by extension point then id.
    public var entries: [(point: ExtensionPoint, id: String, summary: String)] {
        versionSources.values.map { (ExtensionPoint.versionSource, $0.id, $0.summary) }.sorted { $0.1 < $1.1 }
            + binarySources.values.map { (ExtensionPoint.binarySource, $0.id, $0.summary) }.sorted { $0.1 < $1.1 }
            + processBackends.values.map { (ExtensionPoint.processBackend, $0.id, $0.summary) }.sorted { $0.1 < $1.1 }
    }

    /// The ids registered for one extension point, sorted.
    public func ids(_ point: ExtensionPoint) -> [String] {
        switch point {
        case .versionSource: versionSources.keys.sorted()
        case .binarySource: binarySources.keys.sorted()
        case .processBackend: processBackends.keys.sorted()
        }
    }

    private static func insert<T>(_ plugin: T, _ id: String, into table: inout [String: T], point: ExtensionPoint)
        throws(RegistryError)
    {
        guard table[id] == nil else { throw .duplicate(point: point, id: id) }
        table[id] = plugin
    }

    private static func lookup<T>(_ id: String, in table: [String: T], point: ExtensionPoint) throws(RegistryError) -> T {
        guard let plugin = table[id] else { throw .unknown(point: point, id: id, available: table.keys.sorted()) }
        return plugin
    }
}

/// A registry that cannot be built, or a plugin id it does not know.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Two plugins of one extension point share an id.
    case duplicate(point: ExtensionPoint, id: String)
    /// No plugin has this id in this build.
    case unknown(point: ExtensionPoint, id: String, available: [String])

    public var description: String {
        switch self {
        case .duplicate(let point, let id):
            "two \(point.rawValue) plugins are registered as '\(id)'; plugin ids must be unique"
        case .unknown(let point, let id, let available):
            "unknown \(point.rawValue) '\(id)'; available: \(available.isEmpty ? "none" : available.joined(separator: ", "))"
        }
    }
}
