import ArgumentParser
import Core

extension Lavavisor {
    /// `lavavisor plugins`: every registered plugin by extension point, id and summary.
    struct PluginsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plugins", abstract: "List the plugins of this build by extension point.")

        func run() {
            let registry = PluginRegistry.builtIn
            for point in ExtensionPoint.allCases {
                print("\(point.rawValue) (\(point.flag)):")
                for entry in registry.entries where entry.point == point {
                    print("  \(entry.id.padding(toLength: 8, withPad: " ", startingAt: 0)) \(entry.summary)")
                }
            }
        }
    }
}
