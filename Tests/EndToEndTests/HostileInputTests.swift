import Core
import Foundation
import TestSupport
import Testing

/// Issue 18 through the built CLI: a flag value cannot add lines to a unit.
@Suite struct HostileInputTests {
    /// The reproduction of the issue: `--node $'http://x"\u0301\r\nExecStartPre=/usr/bin/touch /tmp/PWNED\r\n#'`.
    static let injectedNode = "http://x\"\u{301}\r\nExecStartPre=/usr/bin/touch /tmp/PWNED\r\n#"

    @Test func createServiceRefusesANodeThatWouldAddALineToTheUnit() async throws {
        let temp = try TemporaryDirectory()
        let systemctl = try StandInSystemctl(in: temp)
        let units = temp.path("units")
        try FileManager.default.createDirectory(at: units, withIntermediateDirectories: true)
        let finished = try await CLI.run(
            [
                "create-service", "provider", Repository.fixture("lava-configs/provider/lava_example.yml").path, "--from", "alice",
                "--directory", temp.path("home").path, "--systemctl", systemctl.url.path, "--create-link", "--unit-dir", units.path,
                "--node", Self.injectedNode,
            ], in: temp)
        let unit = temp.path("home/.lavavisor/services/alice-LAV1.service")
        if FileManager.default.fileExists(atPath: unit.path) {
            // Whatever was written must hold no second command: read as systemd reads it.
            let verified = try await SystemdAnalyze.verify(unit)
            #expect(!verified.dump.contains("ExecStartPre"), "systemd loaded an injected ExecStartPre= from \(unit.path)")
            #expect(
                try SystemdExecParser.settings(ofUnit: String(contentsOf: unit, encoding: .utf8)).allSatisfy { $0.key != "ExecStartPre" })
        }
        #expect(finished.exit == .exited(1), "\(finished.logs)")
        #expect(
            finished.logs.contains(
                #"the value of --node "http://x\"\#u{301}\r\nExecStartPre=/usr/bin/touch /tmp/PWNED\r\n#" cannot be written in a systemd unit: it holds U+000D, a control or line-break character, which could end the line and add a setting; give the value without it"#
            ), "\(finished.logs)")
        #expect(!FileManager.default.fileExists(atPath: unit.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: units.path).isEmpty)
    }
}
