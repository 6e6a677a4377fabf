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

/// The process backend a command picked and the flags of the backends it mounts.
struct BackendSelection {
    /// `--backend`, nil when not given.
    var id: String?
    /// The parsed flags of every backend the command mounts.
    var options: PluginOptionValues
}

/// A command's `--backend` flag with the flags of the backends it can pick.
protocol BackendFlags: ParsableArguments {
    var selection: BackendSelection { get }
}

/// `--backend` and the flags of every process backend, each plugin's under its own title.
struct ProcessBackendFlags: BackendFlags {
    @Option(
        name: .customLong("backend"),
        help: ArgumentHelp(
            "How lavap is run (default: \(DefaultPlugin.wrapBackend) for wrap, \(DefaultPlugin.podBackend) for pod, "
                + "\(DefaultPlugin.serviceBackend) for start and create-service).",
            valueName: PluginRegistry.builtIn.ids(.processBackend).joined(separator: "|")),
        completion: .list(PluginRegistry.builtIn.ids(.processBackend)))
    var id: String?

    @OptionGroup var plugins: ProcessBackendPlugins

    var selection: BackendSelection { BackendSelection(id: id, options: PluginOptionValues(collecting: plugins)) }
}

/// `--backend` of the commands that supervise one lavap command (`wrap`, `pod`): the backends
/// that run it as a child, and only their flags (the systemd backend runs the services of
/// `config.yml`, which these commands refuse).
struct ChildBackendFlags: BackendFlags {
    @Option(
        name: .customLong("backend"),
        help: ArgumentHelp(
            "How lavap is run (default: \(DefaultPlugin.wrapBackend) for wrap, \(DefaultPlugin.podBackend) for pod).",
            valueName: ChildProcessBackendPlugins.ids.joined(separator: "|")),
        completion: .list(ChildProcessBackendPlugins.ids))
    var id: String?

    @OptionGroup var plugins: ChildProcessBackendPlugins

    var selection: BackendSelection { BackendSelection(id: id, options: PluginOptionValues(collecting: plugins)) }
}
