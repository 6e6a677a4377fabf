import Core
import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct FileCopyTests {
    @Test func copiesTheExactBytes() async throws {
        let temp = try TemporaryDirectory()
        // Several times the copy buffer, and not a multiple of it.
        let bytes = (0..<(3 << 20) + 12345).map { _ in UInt8.random(in: 0...255) }
        let source = temp.path("source")
        try Data(bytes).write(to: source)
        let destination = temp.path("destination")
        try await FileCopy.copy(from: source, to: destination)
        #expect(try Data(contentsOf: destination) == Data(bytes))
        await expectError(containing: "creating \(destination.path) failed: File exists") {
            try await FileCopy.copy(from: source, to: destination)
        }
    }

    /// A source that blocks (a FIFO whose writer keeps it open and sends nothing more) must not keep
    /// the copy, its thread and its files alive once the task is cancelled.
    @Test func cancellingStopsACopyWhoseSourceHasNoData() async throws {
        let temp = try TemporaryDirectory()
        let fifo = temp.path("fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let writer = open(fifo.path, O_RDWR | O_CLOEXEC)  // a writer that never blocks and stays
        #expect(writer >= 0)
        defer { close(writer) }
        let sent = Array("some bytes, then nothing".utf8)
        #expect(write(writer, sent, sent.count) == sent.count)

        let destination = temp.path("destination")
        let outcome = Outcome()
        let copy = Task {
            do { try await FileCopy.copy(from: fifo, to: destination) } catch { outcome.set(error) }
            outcome.set(nil)
        }
        try await waitUntil("the sent bytes to be copied") { (try? Data(contentsOf: destination)) == Data(sent) }
        copy.cancel()
        try await waitUntil("the cancelled copy to end") { outcome.ended }
        #expect(outcome.error is CancellationError, "\(String(describing: outcome.error))")
        // Its files are closed: the test's own writer is the only descriptor left on the FIFO.
        let open = (try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == fifo.path
        }
        #expect(open == ["\(writer)"])
    }

    /// How a copy ended, set once from its task.
    private final class Outcome: Sendable {
        private let state = Mutex<(ended: Bool, error: (any Error)?)>((false, nil))
        func set(_ error: (any Error)?) { state.withLock { if !$0.ended { $0 = (true, error) } } }
        var ended: Bool { state.withLock { $0.ended } }
        var error: (any Error)? { state.withLock { $0.error } }
    }
}
