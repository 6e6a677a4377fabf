import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// lavavisor on a terminal of its own (a pseudo-terminal the test opens), as run from an operator's shell.
@Suite struct TerminalTests {
    /// The child runs in a group of its own: it must be made the terminal's foreground group, or a
    /// read from the terminal stops it with SIGTTIN. After the child ends, the foreground must come
    /// back to lavavisor, or the next child (after an upgrade) could not be given the terminal.
    @Test func aChildCanReadTheTerminalLavavisorRunsOn() async throws {
        let setup = try Quickstart(behaviour: .readStdin)
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let lavavisor = try CLI.launch(setup.wrap(), on: terminal)
        let first = try await setup.waitForEvent("start", "1.0.0")
        terminal.write("hello\n")
        let read = try await setup.waitForEvent("stdin", "1.0.0")
        #expect(read.last == "hello")
        #expect(terminal.foregroundGroup == pid_t(first[2]))

        try setup.require("1.1.0")
        let second = try await setup.waitForEvent("start", "1.1.0")
        terminal.write("again\n")
        let readAgain = try await setup.waitForEvent("stdin", "1.1.0")
        #expect(readAgain.last == "again")
        #expect(terminal.foregroundGroup == pid_t(second[2]))

        lavavisor.signal(SIGTERM)
        #expect(try await lavavisor.wait() == .exited(0), "\(terminal.output)")
    }

    /// With `stty tostop`, a background process that writes to the terminal is stopped by SIGTTOU:
    /// lavavisor, in the background once its child holds the terminal, must go on logging.
    @Test func lavavisorKeepsLoggingWhenTheTerminalStopsBackgroundWriters() async throws {
        let setup = try Quickstart(behaviour: .readStdin)
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        try terminal.setLocalFlags(tcflag_t(TOSTOP))
        let lavavisor = try CLI.launch(setup.wrap(["--verbose"]), on: terminal)
        let first = try await setup.waitForEvent("start", "1.0.0")
        try await waitUntil("the child to hold the terminal") { terminal.foregroundGroup == pid_t(first[2]) }
        let before = terminal.output.components(separatedBy: "running 1.0.0: keep 1.0.0").count
        try await waitUntil("a check logged while the child holds the terminal:\n\(terminal.output)") {
            terminal.output.components(separatedBy: "running 1.0.0: keep 1.0.0").count > before + 1
        }
        lavavisor.signal(SIGTERM)
        #expect(try await lavavisor.wait() == .exited(0), "\(terminal.output)")
    }

    /// Ctrl-C at the password prompt: lavavisor exits with 130 and the terminal echoes again.
    @Test func ctrlCAtThePasswordPromptRestoresTheTerminal() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"], behaviour: .readStdin)
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let lavavisor = try CLI.launch(setup.wrap(["--enter-keyring-password"]), on: terminal)
        try await terminal.waitForOutput("Please enter the keyring password:")
        #expect(try terminal.localFlags() & tcflag_t(ECHO) == 0, "echo is off while the password is typed")
        terminal.write([0x03])  // Ctrl-C: the terminal sends SIGINT to its foreground group
        #expect(try await lavavisor.wait() == .exited(128 + SIGINT), "\(terminal.output)")
        #expect(try terminal.localFlags() & tcflag_t(ECHO) != 0, "echo is back on")
        #expect(terminal.output.contains("the keyring password prompt was interrupted by signal 2"), "\(terminal.output)")
        #expect(setup.recorded.isEmpty)
    }

    /// SIGTERM while lavavisor waits at the password prompt: it exits at once with 143, starts
    /// nothing, and the terminal echoes again.
    @Test func sigtermAtThePasswordPromptExitsAtOnce() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"], behaviour: .readStdin)
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let lavavisor = try CLI.launch(setup.wrap(["--enter-keyring-password"]), on: terminal)
        try await terminal.waitForOutput("Please enter the keyring password:")
        lavavisor.signal(SIGTERM)
        #expect(try await lavavisor.wait() == .exited(128 + SIGTERM), "\(terminal.output)")
        #expect(terminal.output.contains("the keyring password prompt was interrupted by signal 15"), "\(terminal.output)")
        #expect(try terminal.localFlags() & tcflag_t(ECHO) != 0, "echo is back on")
        #expect(setup.recorded.isEmpty)
        #expect(!terminal.output.contains("started lavap"))
    }
}
