import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built CLI rolling back from a version that fails right after the upgrade to it.
@Suite struct RollbackEndToEndTests {
    @Test func aFailedUpgradeIsRolledBackAndStatusShowsTheBadVersion() async throws {
        let setup = try Quickstart(binaries: ["1.0.0"])
        try StandIn.install(
            version: "1.1.0", at: setup.bin.appendingPathComponent("v1.1.0/lavap"), events: setup.events, behaviour: .exit(3))
        let wrap = try CLI.launch(setup.wrap(["--restart-max-delay", "0.1", "--metrics-address", "127.0.0.1:0"]), in: setup.temp)
        let address = try await MetricsTests.address(of: wrap)
        try await setup.waitForEvent("start", "1.0.0")
        try setup.temp.write(
            "provider_target: \"1.1.0\"\nprovider_min: \"1.0.0\"\nconsumer_target: \"1.1.0\"\nconsumer_min: \"1.0.0\"\n", to: "versions.yml"
        )
        try await waitUntil("1.0.0 started again, events: \(setup.recorded)") {
            setup.recorded.filter { $0.prefix(2) == ["start", "1.0.0"] }.count == 2
        }
        #expect(setup.recorded.filter { $0.prefix(2) == ["start", "1.1.0"] }.count == 3)
        #expect(setup.store.currentVersion() == v("1.0.0"))
        let samples = try await MetricsTests.samples(address)
        #expect(samples.contains(.init(name: "lavavisor_rollbacks_total", labels: [:], value: 1)), "\(samples)")
        #expect(samples.contains(.init(name: "lavavisor_restarts_total", labels: [:], value: 2)))
        #expect(samples.contains(.init(name: "lavavisor_upgrades_total", labels: [:], value: 1)))

        let status = try await CLI.run(["status"] + setup.flags, in: setup.temp)
        #expect(status.output.contains("bad: 1.1.0 ended 3 times within"), "\(status.output)")
        #expect(status.output.contains("rolled back to 1.0.0 at "))
        #expect(status.output.contains("(skipped while the target is 1.1.0)"))
        let json = try await CLI.run(["status", "--json"] + setup.flags, in: setup.temp)
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let bad = try #require((object["bad"] as? [[String: Any]])?.first, "\(json.output)")
        #expect(bad["version"] as? String == "1.1.0")
        #expect(bad["rolledBackTo"] as? String == "1.0.0")
        #expect(bad["target"] as? String == "1.1.0")
        #expect((bad["markedAt"] as? String)?.hasPrefix("20") == true)

        wrap.process.signal(SIGTERM)
        #expect(try await wrap.exit() == .exited(0))
        #expect(wrap.logs.contains("rolled back to 1.0.0, which meets the chain's minimum 1.0.0"), "\(wrap.logs)")
    }
}
