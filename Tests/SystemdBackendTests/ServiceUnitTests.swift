import Core
import Foundation
import SystemdBackend
import TestSupport
import Testing

/// The units create-service writes, checked by systemd's own parser (`systemd-analyze verify`); one at
/// a time, since each verify loads every unit of the system and the suite runs beside load-sensitive tests.
@Suite(.serialized) struct ServiceUnitTests {
    /// Every config of the reference folder, provider and consumer.
    static let referenceConfigs: [(ServiceRequest.Kind, String)] = [
        (.provider, "eth_example.yml"), (.provider, "all_endpoints.yml"), (.provider, "lava_example.yml"),
        (.consumer, "full_consumer_example.yml"), (.consumer, "ethereum_example.yml"), (.consumer, "lava_consumer.yml"),
    ]

    @Test(arguments: referenceConfigs)
    func everyReferenceConfigGivesAUnitSystemdAccepts(_ kind: ServiceRequest.Kind, _ file: String) async throws {
        let temp = try TemporaryDirectory()
        // A home whose path needs every kind of escaping systemd has.
        // A home whose path needs escaping: spaces, a specifier, a variable (systemd refuses quotes and backslashes in a program's path).
        let home = temp.path("home dir %h $HOME")
        let store = Store(directory: home)
        try store.prepare()
        try StandIn.install(version: "1.0.0", at: store.binary(for: v("1.0.0")), events: nil)
        try store.switchCurrent(to: v("1.0.0"))
        let systemctl = try StandInSystemctl(in: temp)
        let password = try temp.write("secret\n", to: "pass word %i.txt")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: password.path)
        let creator = ServiceCreator(
            store: store, systemctl: Systemctl(program: systemctl.url.path), unitFolder: temp.url, logger: CapturedLogs().logger())
        let config = Repository.fixture("lava-configs/\(kind.rawValue)/\(file)")
        let request = ServiceRequest(
            kind: kind, config: config, from: "alice", geolocation: 2, logLevel: "warn", keyringBackend: "file", chainID: "lava-testnet-2",
            node: "http://127.0.0.1:26657/?a=1&b=%20$x", keyringPasswordFile: password)
        let created = try await creator.create(request)

        let verified = try await SystemdAnalyze.verify(created.unitFile)
        #expect(verified.problems.isEmpty, "systemd-analyze verify: \(verified.problems)")
        let expected = [
            store.currentBinary.path, kind.subcommand, created.config.path, "--from", "alice", "--geolocation", "2", "--log_level", "warn",
            "--keyring-backend", "file", "--parallel-connections", "4", "--chain-id", "lava-testnet-2", "--node",
            "http://127.0.0.1:26657/?a=1&b=%20$x",
        ]
        // systemd turns `$$` into `$` only when it runs the command: its parsed line still has them doubled.
        #expect(verified.commandLine == [expected[0]] + expected.dropFirst().map { $0.replacingOccurrences(of: "$", with: "$$") })
        #expect(verified.properties["WorkingDirectory"] == home.path)
        #expect(verified.properties["StandardInputFile"] == "/run/credentials/\(created.name)/keyring-password")
        #expect(try String(contentsOf: created.config, encoding: .utf8) == String(contentsOf: config, encoding: .utf8))
        let unit = try String(contentsOf: created.unitFile, encoding: .utf8)
        #expect(!unit.contains("secret"))
        #expect(unit.contains("LoadCredential=keyring-password:\(password.path.replacingOccurrences(of: "%", with: "%%"))\n"))
    }

    @Test func quotingRoundTripsEveryCharacterSystemdTreatsSpecially() async throws {
        let temp = try TemporaryDirectory()
        let program = temp.path("bin dir %i $x/true")
        try FileManager.default.createDirectory(at: program.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: program.path)
        let words = [
            program.path, "a b", "x%y", "%%", "$HOME", "${HOME}", "$$", #"q"uote"#, #"back\slash"#, #"\"#, "it's", "tab\there",
            "", "  ", ";", "é",
        ]
        let unit = ServiceUnit(
            description: "100% $test", command: words, workingDirectory: temp.url.path, user: nil, keyringPasswordFile: nil,
            hasRestartSteps: false, wantedBy: "multi-user.target", stopTimeoutSeconds: 30)
        let file = try temp.write(try unit.render(), to: "quoting.service")
        let verified = try await SystemdAnalyze.verify(file)
        #expect(verified.problems.isEmpty, "\(verified.problems)")
        #expect(verified.commandLine == [words[0]] + words.dropFirst().map { $0.replacingOccurrences(of: "$", with: "$$") })
        #expect(verified.properties["Description"] == "100% $test")
    }

    @Test func theUnitHasTheSettingsOfTheIssue() throws {
        let unit = ServiceUnit(
            description: "d", command: ["/x/lavap"], workingDirectory: "/x", user: "root", keyringPasswordFile: nil, hasRestartSteps: true,
            wantedBy: "multi-user.target", stopTimeoutSeconds: 30)
        let lines = Set(try unit.render().split(separator: "\n").map(String.init))
        for line in [
            "Restart=always", "RestartSec=10", "RestartSteps=5", "RestartMaxDelaySec=120", "StartLimitIntervalSec=600",
            "StartLimitBurst=20", "KillSignal=SIGTERM", "TimeoutStopSec=30", "LimitNOFILE=65536", "User=root", "WorkingDirectory=/x",
            "After=network-online.target", "Wants=network-online.target", "WantedBy=multi-user.target",
        ] {
            #expect(lines.contains(line), "missing \(line)")
        }
        let old = ServiceUnit(
            description: "d", command: ["/x/lavap"], workingDirectory: "/x", user: nil, keyringPasswordFile: nil, hasRestartSteps: false,
            wantedBy: "default.target", stopTimeoutSeconds: 30)
        let text = try old.render()
        #expect(!text.contains("RestartSteps") && !text.contains("RestartMaxDelaySec") && !text.contains("User="))
        #expect(throws: UnitValueError.self) {
            try ServiceUnit(
                description: "d", command: ["/x"], workingDirectory: "/a\nb", user: nil, keyringPasswordFile: nil, hasRestartSteps: false,
                wantedBy: "default.target", stopTimeoutSeconds: 30
            ).render()
        }
    }
}
