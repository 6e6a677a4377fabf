import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A wrapper fetching the version a proposal would require while it is voted on (the file source's `pending:`).
@Suite struct PrefetchEndToEndTests {
    @Test func theProposedVersionIsFetchedAheadShownByStatusAndTheUpgradeNeedsNoDownload() async throws {
        let setup = try Quickstart()
        // The proposals are read every 0.3 s here (5 minutes by default).
        let wrap = try CLI.launch(setup.wrap(["--proposals-interval", "0.3"]), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        try setup.temp.write(
            """
            provider_target: "1.0.0"
            provider_min: "1.0.0"
            consumer_target: "1.0.0"
            consumer_min: "1.0.0"
            pending:
              - proposal: 42
                voting_end_time: "2026-12-02T10:00:00Z"
                provider_target: "1.1.0"
                provider_min: "1.0.0"
                consumer_target: "1.1.0"
                consumer_min: "1.0.0"

            """, to: "versions.yml")
        try await wrap.waitForLog("1.1.0 is installed ahead: if the proposal passes, the upgrade needs no download")
        #expect(setup.store.isInstalled(v("1.1.0")))
        #expect(setup.store.currentVersion() == v("1.0.0"))
        #expect(setup.recorded.filter { $0.first == "start" }.count == 1, "the running lavap is untouched")

        let status = try await CLI.run(["status"] + setup.flags, in: setup.temp)
        #expect(
            status.output.contains("pending: proposal 42 would require 1.1.0, voting ends 2026-12-02T10:00:00Z; fetched"),
            "\(status.output)")
        let json = try await CLI.run(["status", "--json"] + setup.flags, in: setup.temp)
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let pending = try #require((object["pending"] as? [[String: Any]])?.first)
        #expect(pending["proposal"] as? String == "42")
        #expect(pending["fetched"] as? Bool == true)

        try setup.require("1.1.0")
        try await setup.waitForEvent("start", "1.1.0")
        #expect(!wrap.logs.contains("fetching 1.1.0"), "the switch downloaded nothing")
        wrap.process.signal(SIGTERM)
        #expect(try await wrap.exit() == .exited(0))
    }
}
