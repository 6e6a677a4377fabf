import ArgumentParser
import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The composition root of a build with the example backend: one line mounts it.
struct ExampleBackends: ParsableArguments {
    @OptionGroup(title: ExecBackend.optionsTitle) var exec: ExecBackend.Options
}

/// The example backend of Plugins.md, driven by Core's real Supervisor and Monitor, with real
/// stand-in `lavap` processes and real signals.
@Suite struct ExecBackendTests {
    let fixture: StoreFixture
    var store: Store { fixture.store }

    init() throws { fixture = try StoreFixture() }

    func supervise(_ source: ScriptedVersionSource, _ binaries: StandInBinarySource) -> (Supervisor, BackendStatus) {
        let backend = ExecBackend(store: store, arguments: ["rpcprovider", "p.yml"], stopTimeout: .seconds(10))
        let monitor = Monitor(
            source: source, binaries: binaries, store: store, autoDownload: true, logger: fixture.logs.logger(), role: .provider)
        let status = BackendStatus()
        let supervisor = Supervisor(
            monitor: monitor, backend: backend, status: status, pollInterval: .milliseconds(50), logger: fixture.logs.logger())
        return (supervisor, status)
    }

    @Test func theSupervisorMovesItsChildOntoAnUpgradeAndStopsIt() async throws {
        let source = ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0"))
        let (supervisor, status) = supervise(source, StandInBinarySource([v("1.0.0"), v("1.1.0")], events: fixture.events))
        let (signals, send) = AsyncStream.makeStream(of: Int32.self)
        let run = Task { try await supervisor.run(signals: signals) }
        let first = try await fixture.waitForEvent("start", "1.0.0")
        #expect(first.last == "rpcprovider p.yml")
        try await waitUntil("the supervisor to know 1.0.0 runs") { await status.running == v("1.0.0") }

        source.set(.success(required(target: "1.1.0", min: "1.0.0")))
        try await fixture.waitForEvent("sigterm", "1.0.0")
        try await fixture.waitForEvent("start", "1.1.0")
        try await waitUntil("the supervisor to know 1.1.0 runs") { await status.running == v("1.1.0") }
        #expect(store.currentVersion() == v("1.1.0"))

        send.yield(SIGTERM)
        #expect(try await run.value == 0)
        #expect(fixture.recorded.contains { $0.prefix(2) == ["sigterm", "1.1.0"] })
        #expect(fixture.recorded.filter { $0.first == "start" }.count == 2)
        #expect(fixture.logs.text.contains("the exec backend does not judge upgrades"))
    }

    /// A forwarded SIGHUP reaches the child as it is (the stand-in does not trap it and dies of
    /// it); the backend starts nothing of its own, and lavavisor ends with the child's status.
    @Test func aForwardedSignalReachesTheChildAndItsEndIsLavavisorsEnd() async throws {
        try fixture.install("1.0.0")
        try store.switchCurrent(to: v("1.0.0"))
        let (supervisor, _) = supervise(ScriptedVersionSource(required(target: "1.0.0", min: "1.0.0")), StandInBinarySource([]))
        let (signals, send) = AsyncStream.makeStream(of: Int32.self)
        let run = Task { try await supervisor.run(signals: signals) }
        try await fixture.waitForEvent("start", "1.0.0")
        send.yield(SIGHUP)
        #expect(try await run.value == 128 + SIGHUP)
        #expect(fixture.logs.text.contains("forwarded signal \(SIGHUP) to lavap"))
        #expect(fixture.recorded.filter { $0.first == "start" }.count == 1)
    }

    @Test func theRunReportsWhatHappensInOrder() async throws {
        try fixture.install("1.0.0", .exit(3))
        try store.switchCurrent(to: v("1.0.0"))
        let backend = ExecBackend(store: store, arguments: [], stopTimeout: .seconds(10))
        let (exit, events) = try await backend.runWithoutCommands()
        #expect(exit == .exited(3))
        #expect(events == [.started(v("1.0.0")), .ended(.exited(3))])
    }

    @Test func itsFactoryNeedsACommandAndRefusesAPassword() throws {
        let registry = try PluginRegistry(mounted: [ExampleBackends.self])
        #expect(try registry.processBackend("exec") == ExecBackend.self)
        let context = PluginContext(store: store, logger: fixture.logs.logger())
        func make(_ processes: ProcessSettings) throws -> any ProcessBackend {
            try registry.makeProcessBackend("exec", options: PluginOptionValues(), context: context, processes: processes)
        }
        let command = try SupervisedCommand(parsing: "lavap rpcprovider p.yml --from alice")
        #expect((try make(ProcessSettings(command: command)) as? ExecBackend)?.arguments == ["rpcprovider", "p.yml", "--from", "alice"])
        let noCommand = #expect(throws: OptionError.self) { try make(ProcessSettings()) }
        #expect(noCommand?.description == "the exec backend runs --cmd; add --cmd 'lavap …'")
        let password = #expect(throws: OptionError.self) {
            try make(ProcessSettings(command: command, keyringPassword: Secret(copying: Array("pw".utf8))))
        }
        #expect(password?.description == "the exec backend hands no keyring password to lavap; use --backend child")
    }
}

/// Plugins.md says its worked examples are this exact code: it shows each file whole.
@Test func plugins_mdShowsTheExamplesAsTheyAreCompiled() throws {
    let page = try String(contentsOf: Repository.root.appendingPathComponent("Plugins.md"), encoding: .utf8)
    for file in ["EnvironmentVersionSource.swift", "ExecBackend.swift"] {
        let code = try String(contentsOf: Repository.root.appendingPathComponent("Tests/PluginExampleTests/\(file)"), encoding: .utf8)
        #expect(page.contains("```swift\n" + code + "```\n"), "Plugins.md does not show Tests/PluginExampleTests/\(file) as it is")
    }
}
