import ArgumentParser
import Core
import Foundation
import SystemdBackend
import TestSupport
import Testing

/// Issue 18 for the systemd route: config copies for their owner only, unit names after `--`.
@Suite struct ServiceSafetyTests {
    let temp: TemporaryDirectory
    let store: Store
    let systemctl: StandInSystemctl
    let units: URL

    init() throws {
        temp = try TemporaryDirectory()
        store = Store(directory: temp.path("home"))
        systemctl = try StandInSystemctl(in: temp)
        units = temp.path("units")
        try FileManager.default.createDirectory(at: units, withIntermediateDirectories: true)
    }

    func creator() -> ServiceCreator {
        ServiceCreator(store: store, systemctl: Systemctl(program: systemctl.url.path), unitFolder: units, logger: CapturedLogs().logger())
    }

    func request(_ config: URL, link: Bool = false) -> ServiceRequest {
        ServiceRequest(kind: .provider, config: config, from: "alice", createLink: link)
    }

    func backend() -> SystemdBackend {
        SystemdBackend(
            systemctl: Systemctl(program: systemctl.url.path), store: store, logger: CapturedLogs().logger(), startTimeout: .seconds(30),
            activePoll: .milliseconds(10), unitFolder: units)
    }

    @Test func theConfigCopyIsForItsOwnerOnlyWhateverTheSourceAndStaysSo() async throws {
        let text = try String(contentsOf: Repository.fixture("lava-configs/provider/lava_example.yml"), encoding: .utf8)
        let source = try temp.write(text, to: "provider.yml")
        // Open to all at the source (the umask is the process's, shared by parallel tests: left as it is).
        try OtherUser.chmod(source, 0o666)
        let created = try await creator().create(request(source))
        #expect(try OtherUser.mode(of: created.config) == 0o600)
        #expect(try String(contentsOf: created.config, encoding: .utf8) == text)
        // Rewritten (create-service again), even over a copy someone opened up: owner only again.
        try OtherUser.chmod(created.config, 0o644)
        _ = try await creator().create(request(source))
        #expect(try OtherUser.mode(of: created.config) == 0o600)
        #expect(try OtherUser.mode(of: created.unitFile) == 0o644)
    }

    @Test func unitNamesReachSystemctlAfterDoubleDash() async throws {
        try store.prepare()
        let services = ["--global.service", "-H.service", "a.service"]
        try store.writeConfig(StoreConfig(services: services))
        try await backend().runWithoutCommands()
        #expect(
            systemctl.calls
                == [["daemon-reload"]] + services.map { ["enable", "--", $0] }
                + services.flatMap { [["restart", "--", $0], ["is-active", "--", $0], ["is-active", "--", $0]] })
        let state = await Systemctl(program: systemctl.url.path).state(of: "--global.service")
        #expect(state.error == nil && state.active == "active", "\(state)")
        #expect(systemctl.calls.last == ["show", "--property=LoadState,ActiveState,SubState", "--", "--global.service"])
    }

    /// What `status` needs of systemd comes through the extension point: the registry asks the
    /// backend by id, from its parsed flags; a failing `systemctl` is kept in the state, not thrown.
    @Test func theServicesStatesComeThroughTheExtensionPoint() async throws {
        let registry = try PluginRegistry(versionSources: [], binarySources: [], processBackends: [SystemdBackend.self])
        let context = PluginContext(store: store, logger: CapturedLogs().logger())
        let options = PluginOptionValues(collecting: try MountedSystemd.parse(["--systemctl", systemctl.url.path]))
        let states = try #require(
            try await registry.serviceStates("systemd", of: ["a.service", "b.service"], options: options, context: context))
        #expect(states.map(\.name) == ["a.service", "b.service"])
        #expect(states.allSatisfy { $0.error == nil && $0.load != nil }, "\(states)")
        #expect(systemctl.calls.map { $0.last } == ["a.service", "b.service"])

        try systemctl.fail("show", unit: "b.service", message: "Failed to connect to bus")
        let failing = try #require(try await registry.serviceStates("systemd", of: ["b.service"], options: options, context: context))
        #expect(failing.first?.error?.contains("Failed to connect to bus") == true, "\(failing)")
    }
}

/// The systemd backend's flags mounted as a command mounts them.
private struct MountedSystemd: ParsableArguments {
    @OptionGroup var systemd: SystemdBackend.Options
}
