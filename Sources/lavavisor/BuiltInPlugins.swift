import ChildBackend
import Core
import FileVersionSource
import GitBinarySource
import GitHubReleaseSource
import LocalBinarySource
import RESTVersionSource
import RPCVersionSource

// The composition root: the only file that knows every plugin. Adding a plugin is one import and
// one line below.
extension PluginRegistry {
    /// The plugins built into this lavavisor.
    static var builtIn: PluginRegistry {
        do {
            return try PluginRegistry(
                versionSources: [RPCVersionSource.self, RESTVersionSource.self, FileVersionSource.self],
                binarySources: [GitBinarySource.self, GitHubReleaseSource.self, LocalBinarySource.self],
                processBackends: [ChildBackend.self])
        } catch {
            fatalError("the built-in plugin list is wrong: \(error)")
        }
    }
}
