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
            "line\nbreak", "", "  ", ";", "é",
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

/// `systemd-analyze verify` run on a unit file, with the parsed settings of its debug dump.
struct SystemdAnalyze {
    /// Its warnings and errors; empty when systemd accepts the unit as it is.
    var problems: String
    /// `ExecStart=` as systemd parsed it (before `$` expansion at run time).
    var commandLine: [String]
    /// The dumped `Key: value` settings.
    var properties: [String: String]

    /// Verifies `unit`; fails the test plainly when systemd-analyze is missing.
    static func verify(_ unit: URL) async throws -> SystemdAnalyze {
        let program = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let program else {
            throw SystemdAnalyzeMissing()
        }
        let quiet = try await ProcessRunner.run(program, ["verify", "--man=no", unit.path], timeout: .seconds(60))
        #expect(quiet.exit == .exited(0), "systemd-analyze verify \(unit.path): \(quiet.output)")
        // The debug level adds a dump of the unit as systemd loaded it, on stdout, after the log lines.
        let dump = try await ProcessRunner.run(
            "/usr/bin/env", ["SYSTEMD_LOG_LEVEL=debug", program, "verify", "--man=no", unit.path], timeout: .seconds(60),
            outputLimit: 4 * 1024 * 1024)
        var properties: [String: String] = [:]
        var command: [String] = []
        for line in dump.output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("Command Line: ") {
                command = try decodeCommandLine(String(trimmed.dropFirst("Command Line: ".count)))
            } else if line.hasPrefix("\t\t"), let colon = trimmed.firstIndex(of: ":") {
                let value = trimmed[trimmed.index(after: colon)...].drop { $0 == " " }
                properties[String(trimmed[..<colon])] = String(value)
            }
        }
        return SystemdAnalyze(problems: quiet.output, commandLine: command, properties: properties)
    }

    /// Splits systemd's dump of a command line: words separated by spaces, double quotes, C escapes.
    static func decodeCommandLine(_ text: String) throws -> [String] {
        var words: [String] = []
        var characters = Array(text)[...]
        while let first = characters.first {
            if first == " " {
                characters = characters.dropFirst()
                continue
            }
            var word = ""
            let quoted = first == "\""
            if quoted { characters = characters.dropFirst() }
            while let character = characters.popFirst() {
                if quoted && character == "\"" { break }
                if !quoted && character == " " { break }
                if character == "\\", let next = characters.popFirst() {
                    switch next {
                    case "n": word.append("\n")
                    case "t": word.append("\t")
                    case "r": word.append("\r")
                    default: word.append(next)
                    }
                } else {
                    word.append(character)
                }
            }
            words.append(word)
        }
        return words
    }
}

/// systemd-analyze is not installed: the test fails and says how to get it.
struct SystemdAnalyzeMissing: Error, CustomStringConvertible {
    var description: String {
        "systemd-analyze is not installed; .ci/run installs it (apt-get install -y systemd), or install it yourself"
    }
}
