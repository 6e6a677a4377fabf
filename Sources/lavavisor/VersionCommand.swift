import ArgumentParser

extension Lavavisor {
    /// `lavavisor version`: lavavisor's own version.
    struct VersionCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "version", abstract: "Print lavavisor's version.")

        func run() {
            print(Lavavisor.version)
        }
    }
}
