import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Download progress: a bar on a terminal, one log line per 10% otherwise.
@Suite struct ProgressTests {
    func initArguments(_ setup: Quickstart, _ host: FakeReleaseHost) -> [String] {
        [
            "init", "--auto-download", "--directory", setup.store.root.deletingLastPathComponent().path, "--version-source", "file",
            "--versions-file", setup.versions.path, "--source", "github", "--release-url", host.releaseURL, "--releases-api",
            host.releasesAPI, "--platform", "linux/amd64",
        ]
    }

    func slowHost() async throws -> FakeReleaseHost {
        let host = try await FakeReleaseHost()
        let padding = String(repeating: "# padding line\n", count: 70_000)
        host.publish(
            "1.1.0", asset: "lavap-v1.1.0-linux-amd64", bytes: Array((StandIn.script(version: "1.1.0", events: nil) + padding).utf8))
        host.fault("/download/v1.1.0/lavap-v1.1.0-linux-amd64", .slow(pieces: 20, pause: .milliseconds(60)))
        return host
    }

    @Test func withoutATerminalItLogsEveryTenPercent() async throws {
        let setup = try Quickstart(versions: "1.1.0", binaries: [])
        let host = try await slowHost()
        let finished = try await CLI.run(initArguments(setup, host), in: setup.temp)
        #expect(finished.exit == .exited(0), "\(finished.logs)")
        let lines = finished.logs.split(separator: "\n").filter { $0.contains("INF [Lavavisor] downloading lavap-v1.1.0-linux-amd64: ") }
        let percents = lines.compactMap { $0.split(separator: ": ").last?.split(separator: "%").first.flatMap { Int($0) } }
        #expect(percents.count >= 5 && percents.count <= 10, "\(lines)")
        #expect(percents == percents.sorted() && Set(percents).count == percents.count)
        #expect(percents.last == 100)
        #expect(percents.allSatisfy { $0 % 10 == 0 })
        #expect(!finished.logs.contains("[#"))
        await host.stop()
    }

    /// A pseudo-terminal the test opens gives lavavisor a terminal, as an operator's shell would.
    @Test func onATerminalItDrawsABarWithBytesAndRate() async throws {
        let setup = try Quickstart(versions: "1.1.0", binaries: [])
        let host = try await slowHost()
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let lavavisor = try CLI.launch(initArguments(setup, host), on: terminal)
        let exit = try await lavavisor.wait()
        let output = try await terminal.finalOutput()
        #expect(exit == .exited(0), "\(output)")
        #expect(output.contains("\rlavap-v1.1.0-linux-amd64 ["), "\(output)")
        #expect(output.contains("] 100% 1.1 MB / 1.1 MB"), "\(output)")
        #expect(output.contains(" MB/s"))
        #expect(!output.contains("downloading lavap-v1.1.0-linux-amd64: 10%"))
        await host.stop()
    }

    /// A pod writes plain log lines even on a terminal: container logs keep every byte.
    @Test func aPodOnATerminalLogsPlainLinesWithoutControlCodes() async throws {
        let setup = try Quickstart(versions: "1.1.0", binaries: [])
        let host = try await slowHost()
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let arguments = [
            "pod", "--directory", setup.store.root.deletingLastPathComponent().path, "--version-source", "file", "--versions-file",
            setup.versions.path, "--release-url", host.releaseURL, "--releases-api", host.releasesAPI, "--platform", "linux/amd64",
            "--cmd", "lavap rpcprovider provider.yml",
        ]
        let lavavisor = try CLI.launch(arguments, on: terminal)
        try await terminal.waitForOutput("started lavap 1.1.0")
        lavavisor.signal(SIGTERM)
        #expect(try await lavavisor.wait() == .exited(0))
        let output = try await terminal.finalOutput()
        #expect(output.contains("downloading lavap-v1.1.0-linux-amd64: 50%"), "\(output)")
        #expect(!output.contains("\u{1B}"), "no escape sequence")
        // The terminal turns each newline into CR LF; any other CR would be a redraw.
        #expect(!output.replacingOccurrences(of: "\r\n", with: "\n").contains("\r"), "\(output)")
        await host.stop()
    }
}
