import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor create-service provider|consumer CONFIG`: a systemd unit per lavap process.
    struct CreateService: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-service",
            abstract: "Write a systemd unit that runs lavap rpcprovider|rpcconsumer with CONFIG.",
            discussion: "Example: lavavisor create-service provider ./provider.yml --geolocation 1 --from user --log_level warn")

        enum Kind: String, ExpressibleByArgument, CaseIterable {
            case provider, consumer
        }

        @Argument(help: "provider or consumer.") var kind: Kind
        @Argument(help: "The provider or consumer config file.") var config: String
        @OptionGroup var common: CommonFlags
        @OptionGroup var backend: ProcessBackendFlags

        @Option(name: .customLong("chain-id"), help: "The chain id lavap serves (default: the config's).") var chainID: String?
        @Option(help: "The node lavap talks to (lavap's --node; default: its own).") var node: String?
        @Option(help: "The account lavap signs with.") var from: String?
        @Option(help: "The geolocation lavap serves.") var geolocation: UInt64 = 1
        @Option(name: .customLong("log_level"), help: "lavap's log level.") var logLevel = "info"
        @Option(name: .customLong("keyring-backend"), help: "The keyring backend lavap uses.") var keyringBackend = "test"
        @Option(name: .customLong("parallel-connections"), help: "lavap's parallel connections.") var parallelConnections: UInt = 4

        func run() async throws {
            let runtime = Runtime(common)
            try await runtime.reportingErrors {
                let path = runtime.context.resolve(config).path
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw OptionError(
                        "the \(kind.rawValue) config \(path) does not exist or cannot be read; pass the path of your \(kind.rawValue) config file"
                    )
                }
                try runtime.requireBackend(backend, default: DefaultPlugin.serviceBackend)
                throw OptionError(
                    "create-service writes systemd units; it needs the \(DefaultPlugin.serviceBackend) backend, which this build does not have"
                )
            }
        }
    }
}
