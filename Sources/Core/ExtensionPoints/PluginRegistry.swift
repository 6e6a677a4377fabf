public import ArgumentParser

/// The three extension points, as named in messages and `lavavisor plugins`.
public enum ExtensionPoint: String, Sendable, CaseIterable {
    /// `--version-source`.
    case versionSource = "version source"
    /// `--source`.
    case binarySource = "source"
    /// `--backend`.
    case processBackend = "backend"

    /// The flag that selects a plugin of this extension point.
    public var flag: String {
        switch self {
        case .versionSource: "--version-source"
        case .binarySource: "--source"
        case .processBackend: "--backend"
        }
    }

    /// The name of the extension point in help titles ("github binary source").
    public var title: String {
        switch self {
        case .versionSource: "version source"
        case .binarySource: "binary source"
        case .processBackend: "process backend"
        }
    }
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

    /// Builds a registry from the plugin option groups that `groups` mount (`@OptionGroup var x:
    /// Plugin.Options`): the composition root lists each plugin once, as the group of its flags.
    public init(mounted groups: [any ParsableArguments.Type]) throws(RegistryError) {
        for group in groups {
            for child in Mirror(reflecting: group.init()).children {
                guard let mounted = child.value as? any MountedPluginOptions else { continue }
                try register(plugin: type(of: mounted).owner)
            }
        }
    }

    /// Adds a plugin of any extension point.
    public mutating func register(plugin: any Plugin.Type) throws(RegistryError) {
        if let source = plugin as? any VersionSource.Type { try register(source) }
        if let source = plugin as? any BinarySource.Type { try register(source) }
        if let backend = plugin as? any ProcessBackend.Type { try register(backend) }
    }

    /// Builds the version source `id` from its parsed flags.
    public func makeVersionSource(_ id: String, options: PluginOptionValues, context: PluginContext) throws -> any VersionSource {
        func make<P: VersionSource>(_ plugin: P.Type) throws -> P { try P.make(options: options.of(P.Options.self), context: context) }
        return try make(versionSource(id))
    }

    /// Builds the binary source `id` from its parsed flags.
    public func makeBinarySource(_ id: String, options: PluginOptionValues, context: PluginContext) throws -> any BinarySource {
        func make<P: BinarySource>(_ plugin: P.Type) throws -> P { try P.make(options: options.of(P.Options.self), context: context) }
        return try make(binarySource(id))
    }

    /// Builds the process backend `id` from its parsed flags and what it must run.
    public func makeProcessBackend(
        _ id: String, options: PluginOptionValues, context: PluginContext, processes: ProcessSettings
    ) throws -> any ProcessBackend {
        func make<P: ProcessBackend>(_ plugin: P.Type) throws -> P {
            try P.make(options: options.of(P.Options.self), context: context, processes: processes)
        }
        return try make(processBackend(id))
    }

    /// The states of `services` as the process backend `id` sees them (`ProcessBackend.serviceStates`).
    public func serviceStates(
        _ id: String, of services: [String], options: PluginOptionValues, context: PluginContext
    ) async throws -> [ServiceState]? {
        func states<P: ProcessBackend>(_ plugin: P.Type) async throws -> [ServiceState]? {
            await P.serviceStates(of: services, options: try options.of(P.Options.self), context: context)
        }
        return try await states(processBackend(id))
    }

    /// Makes the service `request` asks for with the process backend `id` (`ProcessBackend.createService`).
    public func createService(
        _ id: String, _ request: ServiceRequest, options: PluginOptionValues, context: PluginContext
    ) async throws -> CreatedService {
        func create<P: ProcessBackend>(_ plugin: P.Type) async throws -> CreatedService {
            try await P.createService(request, options: try options.of(P.Options.self), context: context)
        }
        return try await create(processBackend(id))
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

/// An `@OptionGroup` holding a plugin's flags, as seen through reflection.
public protocol MountedPluginOptions {
    /// The plugin the flags belong to.
    static var owner: any Plugin.Type { get }
    /// The parsed flags.
    var options: any PluginOptions { get }
}

extension OptionGroup: MountedPluginOptions where Value: PluginOptions {
    /// The plugin the flags belong to.
    public static var owner: any Plugin.Type { Value.Owner.self }
    /// The parsed flags.
    public var options: any PluginOptions { wrappedValue }
}

/// The parsed flags of the plugins a command mounts, by type.
public struct PluginOptionValues: Sendable {
    private var values: [ObjectIdentifier: any PluginOptions] = [:]

    /// No parsed flags: every plugin gets its defaults.
    public init() {}

    /// The given flag values.
    public init(_ values: [any PluginOptions]) {
        for value in values { self.values[ObjectIdentifier(type(of: value))] = value }
    }

    /// The flags mounted in a parsed option group (its `@OptionGroup` members holding plugin options).
    public init(collecting parsed: some ParsableArguments) {
        self.init(Mirror(reflecting: parsed).children.compactMap { ($0.value as? any MountedPluginOptions)?.options })
    }

    /// The parsed flags of type `Options`, or its defaults when the command did not mount them.
    public func of<Options: PluginOptions>(_ type: Options.Type) throws -> Options {
        if let value = values[ObjectIdentifier(type)] as? Options { return value }
        return try Options.parse([])
    }
}
