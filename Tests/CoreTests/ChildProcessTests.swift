import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ChildProcessTests {
    @Test func reportsTheExitStatus() async throws {
        let child = try ChildProcess.spawn(executable: "/bin/sh", arguments: ["-c", "exit 7"], output: .null)
        #expect(await child.wait() == .exited(7))
        #expect(child.hasExited)
        #expect(!child.signal(SIGTERM))
    }

    @Test func runsInItsOwnProcessGroupWithDefaultSignals() async throws {
        // lavavisor ignores SIGTERM; the child must still die of it.
        let previous = signal(SIGTERM, SIG_IGN)
        defer { signal(SIGTERM, previous) }
        let child = try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["3600"], output: .null)
        #expect(getpgid(child.pid) == child.pid)
        #expect(child.signal(SIGTERM))
        #expect(await child.wait() == .signaled(SIGTERM))
    }

    @Test func signalsReachTheWholeGroup() async throws {
        let temp = try TemporaryDirectory()
        let pidFile = temp.path("grandchild")
        let child = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["-c", "sleep 3600 & echo $! > '\(pidFile.path)'; wait"], output: .null)
        try await waitUntil("the grandchild's pid") { (try? String(contentsOf: pidFile, encoding: .utf8))?.hasSuffix("\n") == true }
        let grandchild = pid_t(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        child.signal(SIGKILL)
        let exit = await child.wait()
        #expect(exit == .signaled(SIGKILL), "\(exit)")
        try await waitUntil("the grandchild to die") { kill(grandchild, 0) != 0 }
    }

    @Test func whatAChildLeavesInItsGroupDiesWithIt() async throws {
        let temp = try TemporaryDirectory()
        let pidFile = temp.path("leftover")
        let child = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["-c", "sleep 3600 & echo $! > '\(pidFile.path)'; exit 0"], output: .null)
        #expect(await child.wait() == .exited(0))
        let leftover = pid_t(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
        // Killed before the reap; gone (reaped by init, whose child it became) soon after.
        try await waitUntil("the leftover sleep to die") {
            let state = (try? String(contentsOfFile: "/proc/\(leftover)/stat", encoding: .utf8))?.split(separator: " ")[2]
            return state == nil || state == "Z"
        }
    }

    @Test func runnerCapturesOutputAndKillsOnTimeout() async throws {
        let done = try await ProcessRunner.run("/bin/sh", ["-c", "echo out; echo err >&2"], timeout: .seconds(60))
        #expect(done.exit == .exited(0))
        #expect(done.output == "out\nerr\n")
        let hung = try await ProcessRunner.run("/bin/sh", ["-c", "sleep 3600"], timeout: .milliseconds(200))
        #expect(hung.exit == nil)
    }

    /// A descriptor opened without close-on-exec (as swift-nio accepts its sockets) stays with
    /// lavavisor: a child holding a metrics client's socket would keep it open past the server's close.
    @Test func aChildGetsNoDescriptorBeyondTheStandardThree() async throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0, "pipe() failed")
        defer { ends.forEach { close($0) } }
        let script = "for fd in \(ends[0]) \(ends[1]); do [ -e /proc/self/fd/$fd ] && echo \"inherited $fd\"; done; echo done"
        let done = try await ProcessRunner.run("/bin/sh", ["-c", script], timeout: .seconds(60))
        #expect(done.exit == .exited(0))
        #expect(done.output == "done\n")
    }

    @Test func spawnErrorsNameTheProgram() {
        let error = #expect(throws: SpawnError.self) { try ChildProcess.spawn(executable: "/nonexistent/lavap", arguments: []) }
        #expect(error?.code == ENOENT)
        #expect(
            error?.description.contains("cannot start /nonexistent/lavap: No such file or directory") == true,
            "\(String(describing: error))")
    }

    /// A pipe made for one child must never reach another child spawned at the same moment by another
    /// thread: created close-on-exec atomically, not closed-on-exec a moment later. (A race: with
    /// pipe + fcntl, some of 1600 spawns on two CPUs got another child's pipe nearly every run.)
    @Test func aChildGetsNoOtherChildsPipes() async throws {
        struct Spawned: Sendable {
            let pid: pid_t
            let own: Set<String>
            let open: [String]
        }
        func pipeName(_ fd: String) -> String? {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: fd)).flatMap { $0.hasPrefix("pipe:") ? $0 : nil }
        }
        let spawned = try await withThrowingTaskGroup(of: [Spawned].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var spawned: [Spawned] = []
                    for _ in 0..<400 {
                        // cat waits on its stdin pipe, so its descriptors can be read while it runs.
                        let child = try ChildProcess.spawn(executable: "/bin/cat", arguments: [], stdin: .pipe, output: .pipe)
                        let own = Set([child.standardInput!, child.output!].compactMap { pipeName("/proc/self/fd/\($0)") })
                        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.pid)/fd")) ?? []
                        let open = fds.compactMap { pipeName("/proc/\(child.pid)/fd/\($0)") }
                        spawned.append(Spawned(pid: child.pid, own: own, open: open))
                        // Killed, not ended by closing its stdin: a leaked pipe end would keep that open.
                        child.signal(SIGKILL)
                        #expect(await child.wait() == .signaled(SIGKILL))
                        close(child.standardInput!)
                        close(child.output!)
                    }
                    return spawned
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let everyChildsPipes = spawned.reduce(into: Set<String>()) { $0.formUnion($1.own) }
        #expect(everyChildsPipes.count == 2 * spawned.count)
        for child in spawned {
            #expect(Set(child.open).isSuperset(of: child.own), "cat \(child.pid) has its stdin and output: \(child.open)")
            let foreign = Set(child.open).subtracting(child.own).intersection(everyChildsPipes)
            #expect(foreign.isEmpty, "cat \(child.pid) holds another child's pipes: \(foreign)")
        }
    }

    /// Waiting for a pid that is not our child fails (ECHILD): that is an unknown status, never exit 0.
    @Test func aFailedWaitIsReportedNotTakenForStatusZero() {
        var marked = false
        let exit = ChildProcess.waitAndReap(getppid()) { marked = true }
        #expect(exit == .unknown(errno: ECHILD))
        #expect(marked, "the process is marked gone, so it is never signalled")
        #expect(exit.shellStatus == 255)
        #expect(exit.description == "an unknown status (it could not be read: No child processes)")
    }

    @Test func probeReadsTheVersionOrSaysWhyNot() async throws {
        let temp = try TemporaryDirectory()
        let good = try StandIn.install(version: "6.2.5", at: temp.path("good/lavap"), events: nil)
        #expect(await BinaryProbe.version(of: good.path) == v("6.2.5"))
        let old = try temp.write("#!/bin/sh\necho 'Error: unknown command \"version\"' >&2; exit 1\n", to: "old/lavap", executable: true)
        #expect(await BinaryProbe.version(of: old.path) == nil)
        let chatty = try temp.write("#!/bin/sh\necho 'v1.2.3-dirty'\n", to: "chatty/lavap", executable: true)
        await #expect(throws: ProbeError.self) { try await BinaryProbe.checkedVersion(of: chatty.path) }
    }
}
