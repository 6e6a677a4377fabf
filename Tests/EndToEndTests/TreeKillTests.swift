import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// lavavisor's tree (lavavisor, lavap, the `sleep` lavap runs in its group) ended every way an
/// operator or the system ends it: afterwards nothing of it is left, looked for by process group
/// and by command line in /proc.
@Suite(.serialized) struct TreeKillTests {
    enum Way: String, CaseIterable, CustomTestStringConvertible {
        case sigterm, sigint, sigtermTwice, stopTimeoutRunsOut, sigkillThenANewLavavisor, childGroupKilled, sighupEndsTheChild

        var testDescription: String { rawValue }
    }

    @Test(arguments: Way.allCases)
    func nothingIsLeftAfterTheTreeIsEnded(_ way: Way) async throws {
        let stubborn = way == .sigtermTwice || way == .stopTimeoutRunsOut
        let setup = try Quickstart(binaries: ["1.0.0"], behaviour: stubborn ? .ignoreTerm : .serve)
        let stopTimeout = way == .stopTimeoutRunsOut ? "0.3" : "3600"
        let arguments = setup.wrap(["--stop-timeout", stopTimeout, "--restart", "always"])
        var lavavisor = try CLI.launch(arguments, in: setup.temp)
        let first = try await setup.waitForEvent("start", "1.0.0")
        let child = try #require(pid_t(first[2]))
        // The sleep lavap runs in its group: the grandchild that must not outlive the tree either.
        try await waitUntil("lavap's sleep") { Self.processes(inGroup: child).count == 2 }
        let expected: ProcessExit
        switch way {
        case .sigterm, .sigint:
            lavavisor.process.signal(way == .sigterm ? SIGTERM : SIGINT)
            expected = .exited(0)
        case .sigtermTwice:
            lavavisor.process.signal(SIGTERM)
            try await setup.waitForEvent("ignored-sigterm", "1.0.0")
            lavavisor.process.signal(SIGTERM)
            expected = .exited(128 + SIGKILL)
        case .stopTimeoutRunsOut:
            lavavisor.process.signal(SIGTERM)
            expected = .exited(128 + SIGKILL)
        case .sigkillThenANewLavavisor:
            try await waitUntil("the child recorded") { setup.store.runningChildren().map(\.pid) == [child] }
            lavavisor.process.signal(SIGKILL)
            #expect(try await lavavisor.exit() == .signaled(SIGKILL))
            #expect(Self.processes(inGroup: child).count == 2, "a killed lavavisor cannot stop its child: the next one does")
            lavavisor = try CLI.launch(arguments, in: setup.temp)
            try await waitUntil("the leftover stopped and a new lavap") { setup.recorded.filter { $0.first == "start" }.count == 2 }
            try await waitUntil("the leftover's group gone") { Self.processes(inGroup: child).isEmpty }
            lavavisor.process.signal(SIGTERM)
            expected = .exited(0)
        case .childGroupKilled, .sighupEndsTheChild:
            if way == .childGroupKilled { kill(-child, SIGKILL) } else { lavavisor.process.signal(SIGHUP) }
            try await waitUntil("lavap restarted") { setup.recorded.filter { $0.first == "start" }.count == 2 }
            try await waitUntil("the first lavap's group gone") { Self.processes(inGroup: child).isEmpty }
            lavavisor.process.signal(SIGTERM)
            expected = .exited(0)
        }
        #expect(try await lavavisor.exit() == expected, "\(lavavisor.logs)")

        let groups = setup.recorded.filter { $0.first == "start" }.compactMap { pid_t($0[2]) }
        #expect(!groups.isEmpty)
        try await waitUntil("no process left in the groups \(groups) or naming \(setup.temp.url.path)") {
            groups.allSatisfy { Self.processes(inGroup: $0).isEmpty } && Self.processes(naming: setup.temp.url.path).isEmpty
        }
    }

    /// The live processes (zombies included) in process group `group`.
    static func processes(inGroup group: pid_t) -> [pid_t] {
        allPids().filter { ProcStat(pid: $0)?.group == group }
    }

    /// The processes whose command line mentions `text`.
    static func processes(naming text: String) -> [pid_t] {
        allPids().filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(text)
        }
    }

    static func allPids() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
    }
}
