import Core
import Foundation
import SystemdBackend
import TestSupport
import Testing

/// Issue 18 for the systemd route: config copies for their owner only.
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
}
