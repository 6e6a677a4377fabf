import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--metrics-address`: /metrics scraped with a real HTTP client and parsed as the Prometheus text
/// format, /healthz as a Kubernetes probe sees it.
@Suite struct MetricsTests {
    /// One sample of the exposition format: `name{label="value",…} number`.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Parses the text format's samples (comment lines skipped); an unparsable line fails the test.
    static func parse(_ text: String) throws -> [Sample] {
        try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw TestFailure("not a sample: \(line)")
            }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw TestFailure("bad label in \(line)") }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    static func get(_ address: String, _ path: String, method: HTTPRequest.Method = .get) async throws -> HTTPResponse {
        try await testHTTP.execute(
            HTTPRequest(method, URL(string: "http://\(address)\(path)")!), timeouts: testTimeouts, maxBodyBytes: 1 << 20)
    }

    func get(_ address: String, _ path: String, method: HTTPRequest.Method = .get) async throws -> HTTPResponse {
        try await Self.get(address, path, method: method)
    }

    func samples(_ address: String) async throws -> [Sample] { try await Self.samples(address) }

    /// The samples /metrics serves now.
    static func samples(_ address: String) async throws -> [Sample] {
        let response = try await get(address, "/metrics")
        #expect(response.status == 200)
        return try Self.parse(String(decoding: response.body, as: UTF8.self))
    }

    /// The address lavavisor logged it serves on.
    static func address(of lavavisor: CLI.Running) async throws -> String {
        try await lavavisor.waitForLog("serving GET /metrics, /livez, /readyz and /healthz")
        let line = try #require(lavavisor.logs.split(separator: "\n").first { $0.contains("serving GET /metrics") })
        return try #require(line.split(separator: " ").first { $0.hasPrefix("address=") }.map { String($0.dropFirst("address=".count)) })
    }

    @Test func metricsAndHealthFollowTheChildTheChecksAndAnUpgrade() async throws {
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(setup.wrap(["--metrics-address", "127.0.0.1:0"]), in: setup.temp)
        let address = try await Self.address(of: lavavisor)
        try await setup.waitForEvent("start", "1.0.0")
        var found: [Sample] = []
        try await waitUntil("a check counted, child up, in: \(found)") {
            found = try await samples(address)
            return found.contains { $0.name == "lavavisor_checks_total" && $0.labels["outcome"] == "unchanged" && $0.value >= 1 }
                && found.contains(Sample(name: "lavavisor_child_up", labels: [:], value: 1))
        }
        #expect(found.contains(Sample(name: "lavavisor_running_version_info", labels: ["version": "1.0.0"], value: 1)))
        #expect(found.contains(Sample(name: "lavavisor_required_version_info", labels: ["kind": "target", "version": "1.0.0"], value: 1)))
        #expect(found.contains { $0.name == "lavavisor_last_successful_check_timestamp_seconds" && $0.value > 1_700_000_000 })
        #expect(found.contains { $0.name == "lavavisor_check_duration_seconds_count" && $0.value >= 1 })
        let healthy = try await get(address, "/healthz")
        #expect(healthy.status == 200)
        #expect(String(decoding: healthy.body, as: UTF8.self) == "ok\n")
        #expect(try await get(address, "/healthz", method: .post).status == 405)
        #expect(try await get(address, "/other").status == 404)

        try setup.require("1.1.0")
        try await setup.waitForEvent("start", "1.1.0")
        try await waitUntil("the running version 1.1.0 in: \(found)") {
            found = try await samples(address)
            return found.contains(Sample(name: "lavavisor_running_version_info", labels: ["version": "1.1.0"], value: 1))
        }
        #expect(!found.contains { $0.name == "lavavisor_running_version_info" && $0.labels["version"] == "1.0.0" })
        #expect(found.contains(Sample(name: "lavavisor_upgrades_total", labels: [:], value: 1)))

        // Checks that keep failing for more than three poll intervals make the probe fail, with the reason.
        try setup.temp.write("provider_target: [\n", to: "versions.yml")
        var body = ""
        try await waitUntil("/healthz failing, last: \(body)") {
            let response = try await get(address, "/healthz")
            body = String(decoding: response.body, as: UTF8.self)
            return response.status == 503
        }
        #expect(body.contains("the last successful version check was"), "\(body)")
        #expect(try await get(address, "/readyz").status == 503)
        // The checks go on, failing: not ready, but alive (a liveness probe must not restart a pod whose lavap serves).
        let alive = try await get(address, "/livez")
        #expect(alive.status == 200, "\(String(decoding: alive.body, as: UTF8.self))")
        #expect(try await samples(address).contains { $0.name == "lavavisor_checks_total" && $0.labels["outcome"] == "failed" })

        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func everySeriesHasItsHelpAndExistsFromTheFirstScrape() async throws {
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(setup.wrap(["--metrics-address", "127.0.0.1:0"]), in: setup.temp)
        let address = try await Self.address(of: lavavisor)
        let response = try await get(address, "/metrics")
        let text = String(decoding: response.body, as: UTF8.self)
        let found = try Self.parse(text)
        // Counters at zero before their first event, so that increase() sees the first one.
        for name in [
            "lavavisor_restarts_total", "lavavisor_upgrades_total", "lavavisor_rollbacks_total", "lavavisor_download_failures_total",
        ] {
            #expect(found.contains(Sample(name: name, labels: [:], value: 0)), "\(name) in:\n\(text)")
        }
        for outcome in ["failed", "wrong_chain", "switched"] {
            #expect(found.contains { $0.name == "lavavisor_checks_total" && $0.labels["outcome"] == outcome }, "\(outcome) in:\n\(text)")
        }
        for name in [
            "lavavisor_crash_loop", "lavavisor_upgrades_paused", "lavavisor_below_minimum", "lavavisor_bad_versions", "lavavisor_child_up",
        ] {
            #expect(found.contains { $0.name == name }, "\(name) in:\n\(text)")
        }
        #expect(found.contains { $0.name == "lavavisor_build_info" && $0.labels["version"]?.isEmpty == false && $0.value == 1 })
        // Every family has its HELP and TYPE.
        let families = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
        #expect(families.count >= 14, "the 14 families made at start: \(text)")
        for family in families {
            #expect(text.contains("# HELP \(family) "), "no HELP for \(family)")
        }
        try await setup.waitForEvent("start", "1.0.0")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func aLavapBelowTheChainsMinimumIsNotReadyButAlive() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        let lavavisor = try CLI.launch(setup.wrap(["--metrics-address", "127.0.0.1:0"]), in: setup.temp)
        let address = try await Self.address(of: lavavisor)
        try await setup.waitForEvent("start", "1.0.0")
        try await waitUntil("ready") { try await get(address, "/readyz").status == 200 }
        // 1.1.0 cannot be had: lavap 1.0.0 keeps running, below the minimum.
        try setup.require("1.1.0")
        var body = ""
        try await waitUntil("/readyz failing, last: \(body)") {
            let response = try await get(address, "/readyz")
            body = String(decoding: response.body, as: UTF8.self)
            return response.status == 503
        }
        #expect(body == "lavap 1.0.0 is below the chain's minimum 1.1.0\n")
        #expect(try await get(address, "/livez").status == 200)
        let found = try await samples(address)
        #expect(found.contains(Sample(name: "lavavisor_below_minimum", labels: [:], value: 1)))
        #expect(found.contains(Sample(name: "lavavisor_below_target", labels: [:], value: 1)))
        #expect(found.contains(Sample(name: "lavavisor_child_up", labels: [:], value: 1)))
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func aPauseByCtlIsAGauge() async throws {
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(setup.wrap(["--metrics-address", "127.0.0.1:0"]), in: setup.temp)
        let address = try await Self.address(of: lavavisor)
        try await setup.waitForEvent("start", "1.0.0")
        #expect(try await samples(address).contains(Sample(name: "lavavisor_upgrades_paused", labels: [:], value: 0)))
        let home = setup.temp.path("home").path
        let paused = try await CLI.run(["ctl", "pause", "--directory", home], in: setup.temp)
        #expect(paused.exit == .exited(0), "\(paused.logs)")
        #expect(try await samples(address).contains(Sample(name: "lavavisor_upgrades_paused", labels: [:], value: 1)))
        let resumed = try await CLI.run(["ctl", "resume", "--directory", home], in: setup.temp)
        #expect(resumed.exit == .exited(0), "\(resumed.logs)")
        #expect(try await samples(address).contains(Sample(name: "lavavisor_upgrades_paused", labels: [:], value: 0)))
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0))
    }

    @Test func anAddressInUseIsAClearErrorBeforeAnythingStarts() async throws {
        let setup = try Quickstart()
        let taken = try await FakeHTTPServer { _ in .respond(status: 200, body: []) }
        let address = "127.0.0.1:\(taken.port)"
        let finished = try await CLI.run(setup.wrap(["--metrics-address", address]), in: setup.temp)
        #expect(finished.exit == .exited(1))
        #expect(finished.logs.contains("cannot serve metrics on \(address): Address already in use;"), "\(finished.logs)")
        #expect(!finished.logs.contains("bind(descriptor"), "no NIO function names: \(finished.logs)")
        #expect(finished.logs.contains("pick a free address for --metrics-address"))
        #expect(setup.recorded.isEmpty, "no lavap started")
        #expect(!FileManager.default.fileExists(atPath: setup.store.root.path), "the store was made before the address was tried")
        await taken.stop()
    }

    @Test func aMalformedAddressIsAClearError() async throws {
        let setup = try Quickstart()
        for address in ["localhost", ":9184", "127.0.0.1:99999", "nope"] {
            let finished = try await CLI.run(setup.wrap(["--metrics-address", address]), in: setup.temp)
            #expect(finished.exit == .exited(64), "a usage error: \(finished.logs)")
            #expect(
                finished.logs.contains("--metrics-address must be HOST:PORT, e.g. 127.0.0.1:9184; got '\(address)'"), "\(finished.logs)")
        }
        #expect(!FileManager.default.fileExists(atPath: setup.store.root.path), "nothing was made before the flag was checked")
    }
}
