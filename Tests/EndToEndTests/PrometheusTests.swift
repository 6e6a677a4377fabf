import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real Prometheus (Debian's, which `.ci/run` installs) on loopback scrapes a live lavavisor and
/// evaluates `deploy/prometheus/lavavisor-alerts.yml`: the series arrive with their help, and the
/// alert for a dead lavap fires when lavap is killed and cannot start again.
@Suite struct PrometheusTests {
    static let prometheus = "/usr/bin/prometheus"
    static let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/prometheus/lavavisor-alerts.yml")

    /// A port on 127.0.0.1 that was free a moment ago (Prometheus takes no port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound else { throw TestFailure("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// GET `path` of Prometheus' API; its `data`.
    static func api(_ base: String, _ path: String) async throws -> Any? {
        let response = try await testHTTP.execute(
            HTTPRequest(.get, URL(string: base + path)!), timeouts: testTimeouts, maxBodyBytes: 1 << 22)
        guard response.status == 200 else { return nil }
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["data"]
    }

    /// The samples of an instant query, as (labels, value).
    static func query(_ base: String, _ expression: String) async throws -> [([String: String], Double)] {
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expression
        let data = try await api(base, "/api/v1/query?query=\(encoded)") as? [String: Any]
        return (data?["result"] as? [[String: Any]] ?? []).map { sample in
            let value = (sample["value"] as? [Any])?.last as? String
            return (sample["metric"] as? [String: String] ?? [:], Double(value ?? "") ?? .nan)
        }
    }

    @Test func prometheusScrapesTheSeriesAndTheLavapDownAlertFires() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.prometheus),
            "no \(Self.prometheus): install Debian's prometheus package (.ci/run does)")
        let setup = try Quickstart(binaries: ["1.0.0"])
        let lavavisor = try CLI.launch(
            setup.wrap(["--metrics-address", "127.0.0.1:0", "--crash-loop-limit", "1000", "--restart-max-delay", "1m"]), in: setup.temp)
        let target = try await MetricsTests.address(of: lavavisor)
        let child = try await setup.waitForEvent("start", "1.0.0")

        // The shipped rules, with every `for:` cut to 0s so the test need not wait minutes.
        let shipped = try String(contentsOf: Self.rules, encoding: .utf8)
        let rules = shipped.replacing(/for: *[0-9]+[smhd]/, with: "for: 0s")
        try setup.temp.write(rules, to: "rules.yml")
        try setup.temp.write(
            """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [\(setup.temp.path("rules.yml").path)]
            scrape_configs:
              - job_name: lavavisor
                static_configs:
                  - targets: ['\(target)']
            """, to: "prometheus.yml")
        let port = try Self.freePort()
        let base = "http://127.0.0.1:\(port)"
        let server = try ChildProcess.spawn(
            executable: "/bin/sh",
            arguments: [
                "-c", #"exec "$@" > "$0" 2>&1"#, setup.temp.path("prometheus.log").path, Self.prometheus,
                "--config.file=\(setup.temp.path("prometheus.yml").path)", "--storage.tsdb.path=\(setup.temp.path("tsdb").path)",
                "--web.listen-address=127.0.0.1:\(port)",
            ], stdin: .null)
        defer { _ = server.signal(SIGKILL) }
        let log = { (try? String(contentsOf: setup.temp.path("prometheus.log"), encoding: .utf8)) ?? "" }

        var up: [([String: String], Double)] = []
        try await waitUntil("lavavisor_child_up 1 in Prometheus (\(up)); its log:\n\(log())", timeout: .seconds(60)) {
            up = (try? await Self.query(base, "lavavisor_child_up")) ?? []
            return up.first?.1 == 1
        }
        #expect(up.first?.0["job"] == "lavavisor")
        // Counters from the start, the build, and the help Prometheus keeps as metadata.
        #expect(try await Self.query(base, "lavavisor_rollbacks_total").first?.1 == 0)
        #expect(try await Self.query(base, "lavavisor_build_info").first?.0["version"]?.isEmpty == false)
        let metadata = try await Self.api(base, "/api/v1/metadata?metric=lavavisor_child_up") as? [String: [[String: String]]]
        #expect(metadata?["lavavisor_child_up"]?.first?["help"] == Telemetry.descriptions["lavavisor_child_up"])
        #expect(metadata?["lavavisor_child_up"]?.first?["type"] == "gauge")
        let firing = { () async throws -> [String] in
            let alerts = (try await Self.api(base, "/api/v1/alerts") as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
            return alerts.filter { $0["state"] as? String == "firing" }.compactMap { ($0["labels"] as? [String: String])?["alertname"] }
        }
        // A healthy lavavisor fires nothing, once the rules saw a scrape (with every `for:` cut to
        // 0s, LavavisorAbsent fires at an evaluation before the first scrape).
        var healthy: [String] = []
        try await waitUntil("no alert firing for a healthy lavavisor (firing: \(healthy))", timeout: .seconds(30)) {
            healthy = (try? await firing()) ?? ["?"]
            return healthy.isEmpty
        }

        // lavap is killed, and every start of it fails from now on.
        try StandIn.install(
            version: "1.0.0", at: setup.temp.path("failing/lavap"), events: setup.events, behaviour: .exit(3))
        let binary = setup.store.binary(for: v("1.0.0"))
        #expect(rename(setup.temp.path("failing/lavap").path, binary.path) == 0)
        #expect(kill(pid_t(child[2]) ?? 0, SIGKILL) == 0)
        var alerts: [String] = []
        try await waitUntil("LavapDown firing (firing: \(alerts))", timeout: .seconds(60)) {
            alerts = (try? await firing()) ?? []
            return alerts.contains("LavapDown")
        }
        #expect(try await Self.query(base, "lavavisor_restarts_total").first.map { $0.1 >= 1 } == true)

        lavavisor.process.signal(SIGTERM)
        _ = try await lavavisor.exit()
        _ = server.signal(SIGTERM)
        _ = await server.wait(timeout: .seconds(30))
    }
}
