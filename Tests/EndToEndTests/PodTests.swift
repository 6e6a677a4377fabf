import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `lavavisor pod`: no init, orphans reaped as subreaper and as PID 1 of a PID namespace, plain
/// output on a terminal, no prompt.
@Suite struct PodTests {
    /// Whether this machine lets a test start a process as PID 1 of a new PID namespace with its own /proc.
    static let pidNamespaces: Bool = {
        let probe = Foundation.Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["-fp", "--mount-proc", "true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationReason == .exit && probe.terminationStatus == 0
    }()

    /// A stand-in lavap 1.0.0 that leaves an orphan behind (`sleep`, its pid in `orphan.pid`) and serves until SIGTERM.
    func orphanMaker(_ setup: Quickstart) throws {
        let script = """
            #!/bin/sh
            # STAND-IN for lavap 1.0.0, for tests: not the real Lava binary.
            if [ "$1" = version ]; then echo 1.0.0; exit 0; fi
            trap 'echo "sigterm 1.0.0 $$" >> "\(setup.events.path)"; exit 0' TERM
            ( sleep 3600 & echo $! > "\(setup.temp.path("orphan.pid").path)" )
            echo "start 1.0.0 $$" >> "\(setup.events.path)"
            while :; do sleep 3600 & wait $!; done
            """
        try setup.temp.write(script + "\n", to: "bin/v1.0.0/lavap", executable: true)
    }

    func pod(_ setup: Quickstart) -> [String] {
        ["pod"] + setup.flags + ["--poll-interval", "0.2", "--cmd", "lavap rpcprovider provider.yml --from alice"]
    }

    /// Waits for the `sleep` that lavap left behind to be adopted by `reaper` (its pid as seen from
    /// here: inside a PID namespace, `orphan.pid` holds the namespace's), kills it, and expects it
    /// reaped: a zombie nobody reaps stays in /proc.
    func killAndExpectReaped(adoptedBy reaper: pid_t) async throws {
        var orphan: pid_t = 0
        try await waitUntil("an orphaned sleep adopted by \(reaper)") {
            orphan =
                Self.children(of: reaper).first { pid in
                    (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "sleep\n"
                } ?? 0
            return orphan > 0
        }
        #expect(kill(orphan, SIGKILL) == 0)
        try await waitUntil("the orphan \(orphan) reaped (now: \(String(describing: ProcStat(pid: orphan))))") {
            ProcStat(pid: orphan) == nil
        }
    }

    @Test func needsNoInitAndReapsWhatLavapLeavesBehindAsChildSubreaper() async throws {
        let setup = try Quickstart(binaries: [])
        try orphanMaker(setup)
        #expect(!FileManager.default.fileExists(atPath: setup.store.root.path))
        let pod = try CLI.launch(pod(setup), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        #expect(setup.store.currentVersion() == v("1.0.0"), "pod fetched and linked the version without init")
        try await killAndExpectReaped(adoptedBy: pod.process.pid)
        #expect(pod.logs.contains("registered as child subreaper"), "\(pod.logs)")

        pod.process.signal(SIGTERM)
        #expect(try await pod.exit() == .exited(0))
        #expect(setup.recorded.map(\.first) == ["start", "sigterm"])
    }

    @Test(
        .enabled(
            if: pidNamespaces, "needs a new PID namespace: unshare -fp --mount-proc (root, or user namespaces) is refused on this machine"))
    func asPID1ItReapsOrphansForwardsSignalsAndExitsWithTheChildsStatus() async throws {
        let setup = try Quickstart(binaries: [])
        try orphanMaker(setup)
        let namespace = try CLI.launch(pod(setup), in: setup.temp, prefix: ["/usr/bin/unshare", "-fp", "--mount-proc"])
        try await setup.waitForEvent("start", "1.0.0")
        // unshare forks lavavisor as PID 1 of the new namespace; from here it is unshare's child.
        let lavavisor = try #require(Self.children(of: namespace.process.pid).first, "lavavisor under unshare")
        try await namespace.waitForLog("running as PID 1")
        try await killAndExpectReaped(adoptedBy: lavavisor)

        #expect(kill(lavavisor, SIGUSR1) == 0)  // forwarded: the stand-in has no trap for it, so it ends with it…
        try await namespace.waitForLog("lavap ended by itself with signal \(SIGUSR1)")
        try await waitUntil("a second lavap, events: \(setup.recorded)") { setup.recorded.filter { $0.first == "start" }.count == 2 }
        #expect(kill(lavavisor, SIGTERM) == 0)
        #expect(try await namespace.exit() == .exited(0), "\(namespace.logs)")
        #expect(setup.recorded.last?.first == "sigterm")
    }

    /// The pids whose parent is `pid`.
    static func children(of pid: pid_t) -> [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { pid_t($0) }.filter { ProcStat(pid: $0)?.parent == pid }
    }

    @Test func refusesToPromptForThePassword() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        let finished = try await CLI.run(pod(setup) + ["--enter-keyring-password"], in: setup.temp)
        #expect(finished.exit == .exited(64))
        #expect(finished.logs.contains("pod never asks anything on a terminal"), "\(finished.logs)")
        #expect(finished.logs.contains("--keyring-password-file"))
        #expect(setup.recorded.isEmpty)
    }
}
