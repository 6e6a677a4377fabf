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
}
