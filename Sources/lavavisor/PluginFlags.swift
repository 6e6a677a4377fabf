import ArgumentParser
import Core

/// `--version-source` and the flags of every version source, each plugin's under its own title.
struct VersionSourceFlags: ParsableArguments {
    @Option(
        name: .customLong("version-source"),
        help: ArgumentHelp(
            "Where the required versions come from.",
            valueName: PluginRegistry.builtIn.ids(.versionSource).joined(separator: "|")),
        completion: .list(PluginRegistry.builtIn.ids(.versionSource)))
    var id = DefaultPlugin.versionSource

    @OptionGroup var plugins: VersionSourcePlugins
}

/// `--source` and the flags of every binary source, each plugin's under its own title.
struct BinarySourceFlags: ParsableArguments {
    @Option(
        name: .customLong("source"),
        help: ArgumentHelp(
            "How missing lavap versions are obtained (default: \(DefaultPlugin.binarySource); \(DefaultPlugin.podBinarySource) for pod).",
            valueName: PluginRegistry.builtIn.ids(.binarySource).joined(separator: "|")),
        completion: .list(PluginRegistry.builtIn.ids(.binarySource)))
    var id: String?

    @OptionGroup var plugins: BinarySourcePlugins
}

/// `--backend` and the flags of every process backend, each plugin's under its own title.
struct ProcessBackendFlags: ParsableArguments {
    @Option(
        name: .customLong("backend"),
        help: ArgumentHelp(
            "How lavap is run (default: \(DefaultPlugin.wrapBackend) for wrap, \(DefaultPlugin.podBackend) for pod, "
                + "\(DefaultPlugin.serviceBackend) for start and create-service).",
            valueName: PluginRegistry.builtIn.ids(.processBackend).joined(separator: "|")),
        completion: .list(PluginRegistry.builtIn.ids(.processBackend)))
    var id: String?

    @OptionGroup var plugins: ProcessBackendPlugins
}
