import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor create-service provider|consumer CONFIG`: a systemd unit per lavap process.
    struct CreateService: RuntimeCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-service",
            abstract: "Write a systemd unit that runs lavap rpcprovider|rpcconsumer with CONFIG, and list it in config.yml.",
            discussion: "Example: lavavisor create-service provider ./provider.yml --geolocation 1 --from user --log_level warn")

        @Argument(help: "provider or consumer.") var kind: ServiceRequest.Kind
        @Argument(help: "The provider or consumer config file.") var config: String
        @OptionGroup var common: CommonFlags
        @OptionGroup var backend: ProcessBackendFlags

        @Option(name: .customLong("chain-id"), help: "The Lava chain lavap sends its transactions to (lavap's --chain-id).")
        var chainID: String?
        @Option(help: "The node lavap talks to (lavap's --node; default: its own).") var node: String?
        @Option(help: "The account lavap signs with; the service is named <from>-<the config's first chain-id>.") var from: String
        @Option(help: "The geolocation lavap serves (a positive number).") var geolocation: UInt64 = 1
        @Option(name: [.customLong("log_level"), .customLong("log-level")], help: "lavap's log level.") var logLevel = "info"
        @Option(name: .customLong("keyring-backend"), help: "The keyring backend lavap uses.") var keyringBackend = "test"
        @Option(name: .customLong("parallel-connections"), help: "lavap's parallel connections.") var parallelConnections: UInt = 4
        @Option(
            name: .customLong("keyring-password-file"),
            help: "A file (mode 600) holding the keyring password: systemd hands it to lavap on its stdin as a credential.")
        var keyringPasswordFile: String?
        @Flag(name: .customLong("create-link"), help: "Link the unit into the unit folder (--unit-dir) so that systemctl finds it.")
        var createLink = false

        func validate() throws {
            guard geolocation > 0 else { throw ValidationError("--geolocation must be a positive number, got \(geolocation)") }
            guard !from.isEmpty else { throw ValidationError("--from must name the account lavap signs with") }
            guard parallelConnections > 0 else {
                throw ValidationError("--parallel-connections must be a positive number, got \(parallelConnections)")
            }
        }

        var runtime: Runtime { Runtime(common) }

        func run(in runtime: Runtime) async throws -> Int32 {
            try runtime.requireBackend(backend.selection, default: DefaultPlugin.serviceBackend)
            let context = runtime.context
            let request = ServiceRequest(
                kind: kind, config: context.resolve(config), from: from, geolocation: geolocation, logLevel: logLevel,
                keyringBackend: keyringBackend, chainID: chainID, node: node, parallelConnections: parallelConnections,
                keyringPasswordFile: keyringPasswordFile.map { context.resolve($0) }, createLink: createLink)
            let created = try await runtime.createService(request, backend: backend.selection, default: DefaultPlugin.serviceBackend)
            print(created.unitFile.path)
            if created.link == nil {
                runtime.logger.info(
                    "link it into systemd's unit folder with --create-link (or 'systemctl link \(created.unitFile.path)'), then run 'lavavisor start'"
                )
            }
            return 0
        }
    }
}
