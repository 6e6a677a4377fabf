import Core
import Foundation
import PodBackend
import TestSupport
import Testing

/// The pod plugin in isolation: its factory and what it sets. Reaping as PID 1 and as subreaper is
/// tested end to end (EndToEndTests/PodTests), in a lavavisor process of its own: turning the test
/// runner into a subreaper would hand it every orphan of the other tests.
@Suite struct PodBackendTests {
    let fixture: StoreFixture

    init() throws { fixture = try StoreFixture() }

    @Test func theFactoryNeedsACommand() throws {
        let context = PluginContext(store: fixture.store, logger: fixture.logs.logger())
        #expect(throws: OptionError.self) { try PodBackend.make(options: .parse([]), context: context, processes: ProcessSettings()) }
    }

    @Test func aPodNeverHandsTheTerminalToLavapAndWritesPlainLines() throws {
        let context = PluginContext(store: fixture.store, logger: fixture.logs.logger())
        let processes = ProcessSettings(command: try SupervisedCommand(parsing: "lavap rpcconsumer c.yml"), upgradeProbation: 2)
        let backend = try PodBackend.make(options: .parse([]), context: context, processes: processes)
        let configuration = backend.supervised.configuration
        #expect(configuration.arguments == ["rpcconsumer", "c.yml"])
        #expect(configuration.upgradeProbation == 2)
        guard case .background = configuration.terminal else {
            Issue.record("the pod's child must stay in the background of lavavisor's terminal")
            return
        }
        #expect(PodBackend.outputStyle == .plain)

        // Even a configuration asking for the terminal does not get it in a pod.
        let asked = PodBackend(
            .init(arguments: ["rpcprovider"], store: fixture.store, settings: processes, terminal: .foreground),
            logger: fixture.logs.logger())
        guard case .background = asked.supervised.configuration.terminal else {
            Issue.record("the pod backend handed the terminal over")
            return
        }
    }

    @Test func itIsRegisteredUnderItsId() {
        #expect(PodBackend.id == "pod")
        #expect(PodBackend.optionsTitle == "pod process backend")
    }
}
