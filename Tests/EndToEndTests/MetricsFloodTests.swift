import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--metrics-address` facing clients that connect and send nothing: the metrics server must not
/// take the file descriptors the monitor needs, nor make a Kubernetes probe wait behind them.
@Suite struct MetricsFloodTests {
    /// 80 connections that never send a byte, replaced as soon as lavavisor closes one, against a
    /// lavavisor allowed 64 descriptors: the upgrade still happens and a new client's /healthz is
    /// answered within a probe's few seconds.
    @Test func idleConnectionsStarveNeitherTheUpgradeNorTheProbe() async throws {
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(setup.wrap(["--metrics-address", "127.0.0.1:0"]), in: setup.temp, setup: "ulimit -n 64")
        let address = try await MetricsTests.address(of: lavavisor)
        let port = try #require(address.split(separator: ":").last.flatMap { Int($0) })
        try await setup.waitForEvent("start", "1.0.0")

        let idle = IdleConnections(port: port, count: 80)
        try idle.refill()
        let flood = Task {
            while !Task.isCancelled {
                // At most 80 new connections a second: pressure enough, and a failing run's 90 s
                // leave the machine's ephemeral ports to the other tests.
                try idle.refill(atMost: 4)
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        defer { flood.cancel() }
        try await waitUntil("80 idle connections established, \(idle.established) are") { idle.established == 80 }

        try setup.require("1.1.0")
        do {
            try await setup.waitForEvent("start", "1.1.0")
        } catch {
            Issue.record("no upgrade; \(idle.closedByServer) connections closed by lavavisor; its logs:\n\(lavavisor.logs)")
            throw error
        }

        // A probe with a fresh connection, as the kubelet sends one: answered within 10 s (its
        // default timeout is 1 s), 200 once a check has succeeded on 1.1.0.
        let probe = HTTPTimeouts(connect: .seconds(10), total: .seconds(10))
        var last = 0
        try await waitUntil("/healthz 200, last \(last)") {
            let response = try await testHTTP.execute(
                HTTPRequest(.get, URL(string: "http://\(address)/healthz")!), timeouts: probe, maxBodyBytes: 1 << 16)
            last = response.status
            return last == 200
        }
        #expect(idle.closedByServer > 0, "lavavisor closed none of the idle connections")
        #expect(lavavisor.logs.contains("Too many open files") == false, "\(lavavisor.logs)")
        #expect(lavavisor.logs.contains("lavavisor may open only 64 files (its hard limit)"), "\(lavavisor.logs)")
        flood.cancel()
        try await flood.value  // a connection the flood could not open fails the test

        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    /// A soft limit below the hard one (a shell's `ulimit -Sn`) is raised at start-up, silently
    /// when the hard limit is comfortable.
    @Test func aLowSoftDescriptorLimitIsRaisedToTheHardOne() async throws {
        let hard = try #require(Self.descriptorLimits(of: getpid())?.hard)
        try #require(hard >= 1024, "this machine's hard limit (\(hard)) is too low for this test")
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(setup.wrap(["--metrics-address", "127.0.0.1:0"]), in: setup.temp, setup: "ulimit -Sn 64")
        _ = try await MetricsTests.address(of: lavavisor)
        try await setup.waitForEvent("start", "1.0.0")
        let limits = try #require(Self.descriptorLimits(of: lavavisor.process.pid))
        #expect(limits.soft == hard && limits.hard == hard, "\(limits)")
        #expect(!lavavisor.logs.contains("lavavisor may open only"), "\(lavavisor.logs)")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    /// The soft and hard `Max open files` of a process, from /proc/<pid>/limits.
    static func descriptorLimits(of pid: pid_t) -> (soft: Int, hard: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") })
        else { return nil }
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        return numbers.count >= 2 ? (numbers[0], numbers[1]) : nil
    }
}
