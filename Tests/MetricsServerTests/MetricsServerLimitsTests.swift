import Core
import Foundation
import TestSupport
import Testing

@testable import MetricsServer

#if canImport(Glibc)
    import Glibc
#endif

/// The metrics server's connection cap, deadline and request size, against real sockets.
@Suite struct MetricsServerLimitsTests {
    /// A health that answers 200.
    static func healthy() -> Health {
        let health = Health(pollInterval: .seconds(3600))
        health.child(running: true)
        health.checkSucceeded()
        return health
    }

    static func serve(_ limits: MetricsServerLimits) async throws -> (MetricsServer, port: Int) {
        let server = try await MetricsServer.serve(at: "127.0.0.1:0", health: healthy(), limits: limits)
        return (server, try #require(server.address.split(separator: ":").last.flatMap { Int($0) }))
    }

    @Test func anIdleConnectionIsClosedAtItsDeadlineNotBefore() async throws {
        let (server, port) = try await Self.serve(MetricsServerLimits(connections: 4, timeout: .milliseconds(500), requestBytes: 8192))
        let idle = IdleConnections(port: port, count: 1)
        let opened = ContinuousClock.now
        try idle.refill()
        try await waitUntil("the server to close the idle connection; it holds \(server.gate.count)") { idle.closedPeers() == 1 }
        #expect(ContinuousClock.now - opened >= .milliseconds(500))
        try await waitUntil("the server to forget it, holding \(server.gate.count)") { server.gate.count == 0 }
        await server.stop()
    }

    @Test func atTheCapTheOldestIdleConnectionsMakeRoomAndAProbeIsAnswered() async throws {
        // A deadline longer than any wait here: every close seen is an eviction.
        let (server, port) = try await Self.serve(MetricsServerLimits(connections: 2, timeout: .seconds(600), requestBytes: 8192))
        let idle = IdleConnections(port: port, count: 5)
        try idle.refill()
        try await waitUntil("3 of 5 idle connections evicted, \(idle.closedPeers()) are") { idle.closedPeers() == 3 }
        #expect(server.gate.count == 2)
        let probe = HTTPTimeouts(connect: .seconds(10), total: .seconds(10))
        let response = try await testHTTP.execute(
            HTTPRequest(.get, URL(string: "http://\(server.address)/healthz")!), timeouts: probe, maxBodyBytes: 1 << 16)
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "ok\n")
        // The probe took the place of one more idle connection.
        try await waitUntil("4 idle connections evicted, \(idle.closedPeers()) are") { idle.closedPeers() == 4 }
        #expect(server.gate.count <= 2)
        await server.stop()
    }

    @Test func aRequestOverTheSizeLimitIsAnswered431AndClosed() async throws {
        let (server, port) = try await Self.serve(MetricsServerLimits(connections: 4, timeout: .seconds(600), requestBytes: 256))
        let padding = String(repeating: "a", count: 300)
        let answer = try await RawExchange.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: \(padding)\r\n\r\n", to: port)
        #expect(answer.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "\(answer)")
        let small = try await RawExchange.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", to: port)
        #expect(small.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(small)")
        await server.stop()
    }
}

/// One request written on a raw socket and the whole answer read until the server closes.
enum RawExchange {
    static func send(_ request: String, to port: Int) async throws -> String {
        let socket = try IdleConnections.connect(port: port)
        defer { close(socket) }
        var bytes = Array(request.utf8)
        try await waitUntil("\(bytes.count) bytes of the request written") {
            let written = write(socket, bytes, bytes.count)
            if written > 0 { bytes.removeFirst(written) }
            return bytes.isEmpty
        }
        var answer: [UInt8] = []
        var ended = false
        try await waitUntil("the server to answer and close, got: \(String(decoding: answer, as: UTF8.self))") {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(socket, &buffer, buffer.count)
                if count > 0 {
                    answer += buffer[..<count]
                    continue
                }
                ended = count == 0 || errno == ECONNRESET
                return ended
            }
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
