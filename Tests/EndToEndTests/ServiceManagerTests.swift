import Core
import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// lavavisor under systemd: `Type=notify` through the socket in `NOTIFY_SOCKET` (a real unix
/// datagram socket the test binds, as systemd does), and journald priorities on text lines when
/// stderr is the journal (`JOURNAL_STREAM`).
@Suite struct ServiceManagerTests {
    @Test func readyWatchdogAndStoppingReachTheSocketAndLavapNeverSeesIt() async throws {
        let setup = try Quickstart()
        let socket = try NotifySocket(at: setup.temp.path("notify.sock"))
        let lavavisor = try CLI.launch(
            setup.wrap(), in: setup.temp,
            environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "200000"])
        let started = try await setup.waitForEvent("start", "1.0.0")
        try await socket.waitFor("READY=1")
        #expect(socket.received.first { $0.hasPrefix("READY=1") } != nil)
        // WatchdogSec=0.2 s: fed every 0.1 s.
        try await socket.waitFor("WATCHDOG=1", count: 3)
        let environ = try #require(FileManager.default.contents(atPath: "/proc/\(started[2])/environ"))
        let names = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self).prefix { $0 != "=" } }
        #expect(!names.contains("NOTIFY_SOCKET") && !names.contains("WATCHDOG_USEC"), "lavap's environment: \(names)")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)")
        try await socket.waitFor("STOPPING=1")
    }

    @Test func textLinesCarryTheirPriorityOnlyWhenStderrIsTheJournal() async throws {
        let setup = try Quickstart()
        let journal = try CLI.launch(setup.wrap(), in: setup.temp, journalStream: true)
        try await setup.waitForEvent("start", "1.0.0")
        try await journal.waitForLog("started lavap 1.0.0")
        journal.process.signal(SIGTERM)
        #expect(try await journal.exit() == .exited(0))
        #expect(journal.logs.split(separator: "\n").allSatisfy { $0.hasPrefix("<") }, "\(journal.logs)")
        #expect(journal.logs.contains("<6>INF [Lavavisor] started lavap 1.0.0"), "\(journal.logs)")

        // A JOURNAL_STREAM that names another file (inherited by a child of the service): no prefix.
        let other = try CLI.launch(setup.wrap(), in: setup.temp, environment: ["JOURNAL_STREAM": "1:1"])
        try await other.waitForLog("started lavap")
        other.process.signal(SIGTERM)
        _ = try await other.exit()
        // Not the journal: the lines carry their time instead (2026-12-06T05:51:30.123Z INF …).
        #expect(other.logs.wholeMatch(of: /(?s)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INF \[Lavavisor\] .*/) != nil, "\(other.logs)")
    }
}

/// A unix datagram socket bound in the test's folder, as systemd's notification socket.
final class NotifySocket: Sendable {
    let path: String
    private let descriptor: Int32
    private let messages = Mutex<[String]>([])

    init(at url: URL) throws {
        path = url.path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard descriptor >= 0, bound == 0 else { throw TestFailure("cannot bind \(path)") }
    }

    deinit { close(descriptor) }

    /// Every datagram received so far.
    var received: [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            messages.withLock { $0.append(text) }
        }
        return messages.withLock { $0 }
    }

    /// Waits until `count` datagrams hold the line `line`.
    func waitFor(_ line: String, count: Int = 1) async throws {
        try await waitUntil("\(count) × \(line) on \(path): \(received)") {
            received.filter { $0.split(separator: "\n").contains(Substring(line)) }.count >= count
        }
    }
}
