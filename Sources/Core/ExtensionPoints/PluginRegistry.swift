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

    /// Whether `plugin` serves this extension point (conforms to its protocol).
    public func isServed(by plugin: any Plugin.Type) -> Bool {
        switch self {
        case .versionSource: plugin is any VersionSource.Type
        case .binarySource: plugin is any BinarySource.Type
        case .processBackend: plugin is any ProcessBackend.Type
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

/// The plugins known to one run of lavavisor, by extension point and id; an immutable value passed
/// down, not a global. One table and one path serve every extension point.
public struct PluginRegistry: Sendable {
    private var tables: [ExtensionPoint: [String: any Plugin.Type]] = [:]

    /// Builds a registry from plugin types; throws on a duplicate id within one extension point.
    public init(
        versionSources: [any VersionSource.Type], binarySources: [any BinarySource.Type],
        processBackends: [any ProcessBackend.Type]
    ) throws(RegistryError) {
        let plugins: [any Plugin.Type] = versionSources + binarySources + processBackends
        for plugin in plugins { try register(plugin: plugin) }
    }

    /// Builds a registry from the plugin option groups that `groups` mount (`@OptionGroup var x:
    /// Plugin.Options`): the composition root lists each plugin once, as the group of its flags.
    public init(mounted groups: [any ParsableArguments.Type]) throws(RegistryError) {
        for group in groups {
            for case let mounted as any MountedPluginOptions in Mirror(reflecting: group.init()).children.map(\.value) {
                try register(plugin: type(of: mounted).owner)
            }
        }
    }

    /// Adds a plugin under the extension point it serves; throws when that point has its id.
    public mutating func register(plugin: any Plugin.Type) throws(RegistryError) {
        for point in ExtensionPoint.allCases where point.isServed(by: plugin) {
            guard tables[point]?[plugin.id] == nil else { throw .duplicate(point: point, id: plugin.id) }
            tables[point, default: [:]][plugin.id] = plugin
        }
    }

    /// The plugin `id` of `point` as `Kind`, or an error listing the known ids.
    private func lookup<Kind>(_ id: String, _ point: ExtensionPoint, as kind: Kind.Type) throws(RegistryError) -> Kind {
        guard let plugin = tables[point]?[id] as? Kind else { throw .unknown(point: point, id: id, available: ids(point)) }
        return plugin
    }

    /// The version source with this id, or an error listing the known ids.
    public func versionSource(_ id: String) throws(RegistryError) -> any VersionSource.Type {
        try lookup(id, .versionSource, as: (any VersionSource.Type).self)
    }

    /// The binary source with this id, or an error listing the known ids.
    public func binarySource(_ id: String) throws(RegistryError) -> any BinarySource.Type {
        try lookup(id, .binarySource, as: (any BinarySource.Type).self)
    }

    /// The process backend with this id, or an error listing the known ids.
    public func processBackend(_ id: String) throws(RegistryError) -> any ProcessBackend.Type {
        try lookup(id, .processBackend, as: (any ProcessBackend.Type).self)
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
        ExtensionPoint.allCases.flatMap { point in
            ids(point).compactMap { id in tables[point]?[id].map { (point, id, $0.summary) } }
        }
    }

    /// The ids registered for one extension point, sorted.
    public func ids(_ point: ExtensionPoint) -> [String] {
        tables[point, default: [:]].keys.sorted()
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

    /// The flags mounted in a parsed option group (its `@OptionGroup` members holding plugin options).
    public init(collecting parsed: some ParsableArguments) {
        for case let mounted as any MountedPluginOptions in Mirror(reflecting: parsed).children.map(\.value) {
            values[ObjectIdentifier(type(of: mounted.options))] = mounted.options
        }
    }

    /// The parsed flags of type `Options`, or its defaults when the command did not mount them.
    public func of<Options: PluginOptions>(_ type: Options.Type) throws -> Options {
        if let value = values[ObjectIdentifier(type)] as? Options { return value }
        return try Options.parse([])
    }
}
