import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Kills lavavisor with SIGKILL in the middle of copying a binary into the store, then checks that
/// the store holds no partial binary and that the next run cleans up and installs.
@Suite struct InterruptedInstallTests {
    @Test func aKillDuringTheCopyLeavesNoPartialBinary() async throws {
        let setup = try Quickstart(versions: "1.1.0", binaries: ["1.0.0"])
        // v1.1.0/lavap is a named pipe: lavavisor's copy blocks on it until the test writes.
        let fifo = setup.bin.appendingPathComponent("v1.1.0/lavap")
        try FileManager.default.createDirectory(at: fifo.deletingLastPathComponent(), withIntermediateDirectories: true)
        #expect(mkfifo(fifo.path, 0o755) == 0)

        let lavavisor = try CLI.launch(["init", "--auto-download"] + setup.flags, in: setup.temp)
        var writer: Int32 = -1
        try await waitUntil("lavavisor to open the pipe") {
            writer = open(fifo.path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            return writer >= 0
        }
        defer { close(writer) }
        let half = Array(StandIn.script(version: "1.1.0", events: nil).utf8.prefix(40))
        #expect(write(writer, half, half.count) == half.count)
        var staged: URL?
        try await waitUntil("the half binary in staging") {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: setup.store.staging.path)) ?? []
            staged = names.first { $0.hasPrefix("v1.1.0.") }.map {
                setup.store.staging.appendingPathComponent($0).appendingPathComponent("lavap")
            }
            let size = staged.flatMap { try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int } ?? 0
            return size == half.count
        }
        lavavisor.process.signal(SIGKILL)
        #expect(try await lavavisor.exit() == .signaled(SIGKILL))

        #expect(!FileManager.default.fileExists(atPath: setup.store.folder(for: v("1.1.0")).path))
        #expect(setup.store.installedVersions().isEmpty)
        #expect(setup.store.currentVersion() == nil)
        #expect(FileManager.default.fileExists(atPath: try #require(staged).path))

        // The pipe is replaced by the whole binary: the next run removes the leftovers and installs.
        try FileManager.default.removeItem(at: fifo)
        try StandIn.install(version: "1.1.0", at: fifo, events: nil)
        let finished = try await CLI.run(["init", "--auto-download"] + setup.flags, in: setup.temp)
        #expect(finished.exit == .exited(0), "\(finished.logs)")
        #expect(finished.logs.contains("removing the leftovers of an interrupted install"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.store.staging.path).isEmpty)
        #expect(setup.store.currentVersion() == v("1.1.0"))
        #expect(await setup.store.currentBinaryVersion() == v("1.1.0"))
    }
}
