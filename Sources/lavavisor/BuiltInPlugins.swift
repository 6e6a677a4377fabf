import ArgumentParser
import ChildBackend
import Core
import FileVersionSource
import GitBinarySource
import GitHubReleaseSource
import LocalBinarySource
import PodBackend
import RESTVersionSource
import RPCVersionSource
import SystemdBackend

// The composition root: the only file that knows every plugin. Adding a plugin is its import and
// one line in the list of its extension point below: the group of its flags, titled for help.
// The registry is read from these lists, so a plugin is written down exactly once.

/// The version sources of this build.
struct VersionSourcePlugins: ParsableArguments {
    @OptionGroup(title: RPCVersionSource.optionsTitle) var rpc: RPCVersionSource.Options
    @OptionGroup(title: RESTVersionSource.optionsTitle) var rest: RESTVersionSource.Options
    @OptionGroup(title: FileVersionSource.optionsTitle) var file: FileVersionSource.Options
}

/// The binary sources of this build.
struct BinarySourcePlugins: ParsableArguments {
    @OptionGroup(title: GitBinarySource.optionsTitle) var git: GitBinarySource.Options
    @OptionGroup(title: GitHubReleaseSource.optionsTitle) var github: GitHubReleaseSource.Options
    @OptionGroup(title: LocalBinarySource.optionsTitle) var local: LocalBinarySource.Options
}

/// The process backends of this build.
struct ProcessBackendPlugins: ParsableArguments {
    @OptionGroup(title: ChildBackend.optionsTitle) var child: ChildBackend.Options
    @OptionGroup(title: PodBackend.optionsTitle) var pod: PodBackend.Options
    @OptionGroup(title: SystemdBackend.optionsTitle) var systemd: SystemdBackend.Options
}

/// The process backends that run one lavap command as a child (`wrap`, `pod`): a backend added
/// above that does so goes here too.
struct ChildProcessBackendPlugins: ParsableArguments {
    @OptionGroup(title: ChildBackend.optionsTitle) var child: ChildBackend.Options
    @OptionGroup(title: PodBackend.optionsTitle) var pod: PodBackend.Options

    /// Their ids.
    static let ids = [ChildBackend.id, PodBackend.id]
}

/// The plugin each command picks when its selector flag is not given.
enum DefaultPlugin {
    /// `--version-source`: the node's RPC, as the original.
    static let versionSource = RPCVersionSource.id
    /// `--source` of `wrap`, `init`, `start` and `status`: a build from git, as the original.
    static let binarySource = GitBinarySource.id
    /// `--source` of `pod`: released binaries (a pod cannot build).
    static let podBinarySource = GitHubReleaseSource.id
    /// `--backend` of `wrap` and `init --auto-start`.
    static let wrapBackend = ChildBackend.id
    /// `--backend` of `pod`.
    static let podBackend = PodBackend.id
    /// `--backend` of `start` and `create-service`.
    static let serviceBackend = SystemdBackend.id
}

extension PluginRegistry {
    /// The plugins built into this lavavisor, read from the lists above.
    static let builtIn: PluginRegistry = {
        do {
            return try PluginRegistry(mounted: [VersionSourcePlugins.self, BinarySourcePlugins.self, ProcessBackendPlugins.self])
        } catch {
            fatalError("the built-in plugin list is wrong: \(error)")
        }
    }()
}
