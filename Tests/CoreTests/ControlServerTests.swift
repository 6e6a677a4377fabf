import Foundation
import TestSupport
import Testing

@testable import Core

#if canImport(Glibc)
    import Glibc
#endif

/// The control socket against clients that are slow, silent, too large or not speaking JSON: each
/// is answered or dropped within its bound, and none keeps the next one waiting.
@Suite struct ControlServerTests {
    let temp: TemporaryDirectory
    let store: Store
    let logs = CapturedLogs()

    init() throws {
        temp = try TemporaryDirectory()
        store = Store(directory: temp.url)
    }

    /// A server whose handler answers every request with its command's name.
    func server(requestTimeout: Duration = ControlLimits.requestTimeout) async throws -> ControlServer {
        try await ControlServer.start(in: store, logger: logs.logger(), requestTimeout: requestTimeout) { request in
            .done("did \(request.command.rawValue)")
        }
    }

    /// A raw client: connected, nothing sent yet.
    func connect(_ server: ControlServer) throws -> Int32 { try UnixSocket.connect(to: server.path.path) }

    /// Sends `bytes` on `fd` and reads the answer line, then closes; on a thread of its own, as the
    /// blocking calls must not hold the cooperative pool the server's handler runs on.
    func exchange(_ fd: Int32, _ bytes: Data) async throws -> ControlAnswer {
        let line = try await Self.answerLine(fd, after: bytes)
        defer { close(fd) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(ControlAnswer.self, from: line)
    }

    /// Writes `bytes` to `fd`, then reads one line, from a thread of its own.
    static func answerLine(_ fd: Int32, after bytes: Data = Data()) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                UnixSocket.writeAll(fd, bytes)
                let read = UnixSocket.readLine(fd, limit: ControlLimits.answerBytes, timeout: patience, what: "answer")
                guard case .success(let line?) = read else { return continuation.resume(throwing: TestFailure("no answer: \(read)")) }
                continuation.resume(returning: line)
            }.start()
        }
    }

    @Test func answersOneRequestLinePerConnectionOnAnOwnerOnlySocket() async throws {
        let server = try await server()
        #expect(try OtherUser.mode(of: server.path) == 0o600)
        #expect(server.path.lastPathComponent == "control-\(getpid()).sock")
        let answer = try await ControlClient.ask(ControlRequest(.pause), at: server.path, timeout: patience)
        #expect(answer == .done("did pause"))
        // A request without its newline counts once the client shuts its side down.
        let fd = try connect(server)
        UnixSocket.writeAll(fd, Data(#"{"command":"status"}"#.utf8))
        shutdown(fd, Int32(SHUT_WR))
        #expect(try await exchange(fd, Data()).message == "did status")
        await server.stop()
        #expect(!FileManager.default.fileExists(atPath: server.path.path))
    }

    @Test func garbageAndOversizedRequestsAreRefusedAndTheServerGoesOn() async throws {
        let server = try await server()
        defer { Task { await server.stop() } }
        let garbage = try await exchange(try connect(server), Data("{\"command\":\"reboot\"}\n".utf8))
        #expect(garbage.ok == false)
        #expect(garbage.error?.contains("not a JSON object with a known command (restart, pause, resume, use, unmark, status)") == true)
        let binary = try await exchange(try connect(server), Data((0..<300).map { UInt8($0 % 256) }) + Data("\n".utf8))
        #expect(binary.ok == false)
        // Larger than the limit, without a newline: refused once the limit is passed, never read to its end.
        let oversized = try await exchange(try connect(server), Data(repeating: UInt8(ascii: "x"), count: ControlLimits.requestBytes + 10))
        #expect(oversized.error == "the request is longer than \(ControlLimits.requestBytes) bytes")
        #expect(try await exchange(try connect(server), Data("{\"command\":\"status\"}\n".utf8)).message == "did status")
    }

    @Test func aSilentClientKeepsNobodyWaiting() async throws {
        // A bound far beyond how long a loaded machine takes to answer: the silent client is still
        // connected when the next is answered only if both are served at once.
        let server = try await server(requestTimeout: .seconds(60))
        defer { Task { await server.stop() } }
        let silent = try connect(server)
        defer { close(silent) }
        let answer = try await exchange(try connect(server), Data("{\"command\":\"resume\"}\n".utf8))
        #expect(answer.message == "did resume")
        var waiting = pollfd(fd: silent, events: Int16(POLLIN), revents: 0)
        #expect(poll(&waiting, 1, 0) == 0, "the silent client was dropped before the next was answered: served one after the other")
    }

    @Test func aSilentClientIsDroppedAfterItsBoundWithWhy() async throws {
        let server = try await server(requestTimeout: .milliseconds(300))
        defer { Task { await server.stop() } }
        let silent = try connect(server)
        defer { close(silent) }
        let line = try await Self.answerLine(silent)
        #expect(String(decoding: line, as: UTF8.self).contains("no complete request line within"))
    }

    @Test func clientsBeyondTheLimitAreToldTheWrapperIsBusy() async throws {
        let server = try await server()
        defer { Task { await server.stop() } }
        let silent = try (0..<ControlLimits.connections).map { _ in try connect(server) }
        defer { silent.forEach { close($0) } }
        // The server admits the silent ones in order; the next one over the limit is refused at once.
        try await waitUntil("a client over the limit to be told the wrapper is busy") {
            let answer = try await exchange(try connect(server), Data("{\"command\":\"status\"}\n".utf8))
            return answer.error == "the wrapper is busy with other control clients; try again"
        }
    }

    @Test func theSocketOfAGoneLavavisorIsStaleAndRemovedAtStart() async throws {
        try FileManager.default.createDirectory(at: store.run, withIntermediateDirectories: true)
        // A socket nobody listens on any more, as a SIGKILLed lavavisor leaves it.
        let left = store.controlSocket(of: 999_999)
        close(try UnixSocket.listen(at: left.path))
        #expect(await ControlClient.isStale(left))
        let other = try await ControlServer.start(in: Store(directory: temp.url), logger: logs.logger()) { _ in .done("other") }
        defer { Task { await other.stop() } }
        #expect(!FileManager.default.fileExists(atPath: left.path))
        #expect(logs.text.contains("removed the control socket of a lavavisor that is gone"))
        #expect(await !ControlClient.isStale(other.path))
        #expect(store.controlSockets() == [ControlSocket(pid: getpid(), path: other.path)])
    }

    @Test func aStoreTooDeepForSunPathStillGetsItsSocket() async throws {
        let deep = temp.path(String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60))
        let server = try await ControlServer.start(in: Store(directory: deep), logger: logs.logger()) { _ in .done("deep") }
        #expect(server.path.path.utf8.count > 108)
        #expect(try await ControlClient.ask(ControlRequest(.status), at: server.path, timeout: patience).message == "deep")
        await server.stop()
    }
}
