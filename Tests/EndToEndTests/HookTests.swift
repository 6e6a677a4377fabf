import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The operator's hooks, run by the built binary: a recording script that notes the variables it
/// got and fails while a `hold` file exists.
@Suite struct HookTests {
    /// Writes the recording hook into `setup`'s folder; returns its path.
    func recordingHook(_ setup: Quickstart) throws -> String {
        let log = setup.temp.path("hooks.log").path
        let hold = setup.temp.path("hold").path
        return try setup.temp.write(
            """
            #!/bin/sh
            echo "$LAVAVISOR_HOOK from=$LAVAVISOR_FROM_VERSION to=$LAVAVISOR_TO_VERSION command=$LAVAVISOR_COMMAND" >> '\(log)'
            echo "said by the $LAVAVISOR_HOOK hook"
            [ ! -e '\(hold)' ]

            """, to: "hook.sh", executable: true
        ).path
    }

    func recorded(_ setup: Quickstart) -> [String] {
        ((try? String(contentsOf: setup.temp.path("hooks.log"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func aFailingPreSwitchHookHoldsTheSwitchUntilItSucceedsThenPostUpgradeRuns() async throws {
        let setup = try Quickstart()
        let hook = try recordingHook(setup)
        let lavavisor = try CLI.launch(
            setup.wrap(["--pre-switch-hook", hook, "--post-upgrade-hook", hook], command: "lavap rpcprovider p.yml"), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        #expect(recorded(setup).first == "pre-switch from= to=1.0.0 command=lavap rpcprovider p.yml", "\(recorded(setup))")
        try setup.temp.write("", to: "hold")
        try setup.require("1.1.0")
        try await lavavisor.waitForLog("the pre-switch hook failed: lavap is not moved to 1.1.0")
        #expect(lavavisor.logs.contains("pre-switch hook: said by the pre-switch hook"), "its output is in the log")
        #expect(setup.starts("1.1.0") == 0)
        #expect(setup.store.currentVersion() == v("1.0.0"))
        try FileManager.default.removeItem(at: setup.temp.path("hold"))
        try await setup.waitForEvent("start", "1.1.0")
        try await waitUntil("the post-upgrade hook: \(recorded(setup))") {
            recorded(setup).contains("post-upgrade from= to=1.1.0 command=lavap rpcprovider p.yml")
        }
        #expect(recorded(setup).filter { $0.hasPrefix("pre-switch from=1.0.0 to=1.1.0") }.count >= 2, "run again at each check")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)")
    }

    @Test func rollbackAndCrashLoopHooksAreToldAndChangeNothing() async throws {
        let setup = try Quickstart()
        let hook = try recordingHook(setup)
        try setup.temp.write("", to: "hold")  // these hooks fail: reported, and nothing waits for them
        try StandIn.install(
            version: "1.1.0", at: setup.bin.appendingPathComponent("v1.1.0/lavap"), events: setup.events, behaviour: .exit(3))
        let lavavisor = try CLI.launch(
            setup.wrap(
                [
                    "--on-rollback-hook", hook, "--on-crash-loop-hook", hook, "--upgrade-probation", "1", "--restart-max-delay", "0.1",
                    "--crash-loop-limit", "1",
                ], command: "lavap rpcprovider p.yml"),
            in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        // The target moves, the minimum stays: 1.1.0 ends at once and is rolled back from.
        try setup.require(target: "1.1.0", minimum: "1.0.0")
        try await waitUntil("the rollback hook: \(recorded(setup)) \(lavavisor.logs)") {
            recorded(setup).contains("on-rollback from=1.1.0 to=1.0.0 command=lavap rpcprovider p.yml")
        }
        try await lavavisor.waitForLog("the on-rollback hook failed with")
        // The hook runs beside the rollback, so its failure may be logged before 1.0.0 is started again.
        try await waitUntil("1.0.0 runs again whatever the hook says: \(lavavisor.logs)") { setup.starts("1.0.0") >= 2 }
        lavavisor.process.signal(SIGTERM)
        _ = try await lavavisor.exit()

        // A version that ends at every start, with nothing to fall back to: a crash loop.
        let looping = try Quickstart(binaries: ["1.0.0"], behaviour: .exit(3))
        let loopingHook = try recordingHook(looping)
        let finished = try await CLI.run(
            looping.wrap(
                ["--on-crash-loop-hook", loopingHook, "--restart-max-delay", "0.1", "--crash-loop-limit", "1"],
                command: "lavap rpcprovider p.yml"),
            in: looping.temp)
        #expect(finished.exit != .exited(0))
        #expect(
            recorded(looping).contains { $0.hasPrefix("on-crash-loop from=1.0.0 to= command=lavap rpcprovider p.yml") }, "\(finished.logs)")
        #expect(finished.logs.contains("on-crash-loop hook: said by the on-crash-loop hook"), "\(finished.logs)")
    }

    @Test func aHookThatIsNotAnExecutableIsRefusedBeforeAnythingStarts() async throws {
        let setup = try Quickstart()
        let run = try await CLI.run(setup.wrap(["--pre-switch-hook", "/nonexistent/hook"]), in: setup.temp)
        #expect(run.exit == .exited(64))
        #expect(run.logs.contains("--pre-switch-hook /nonexistent/hook is not an executable file"), "\(run.logs)")
        #expect(setup.starts("1.0.0") == 0)
    }
}

/// The hooks in examples/hooks/, run as lavavisor runs them (the same variables).
@Suite struct HookExampleTests {
    func run(_ script: String, _ environment: [String: String]) async throws -> ProcessRunner.Outcome {
        let path = Repository.root.appendingPathComponent("examples/hooks/\(script)").path
        return try await ProcessRunner.run(
            path, [], environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, timeout: .seconds(120))
    }

    @Test func theWebhookPostsTheEventAsJSON() async throws {
        let server = try await FakeHTTPServer { _ in .json("{}") }
        let outcome = try await run(
            "webhook.sh",
            [
                // Generous: a full parallel test run can keep the loopback server busy for seconds.
                "WEBHOOK_URL": server.baseURL + "/hook", "WEBHOOK_TIMEOUT": "90", "LAVAVISOR_HOOK": "on-rollback",
                "LAVAVISOR_FROM_VERSION": "6.2.5",
                "LAVAVISOR_TO_VERSION": "6.2.4", "LAVAVISOR_REASON": #"ended 3 times, "exit status 2""#,
            ])
        #expect(outcome.exit == .exited(0), "\(outcome.output)")
        let request = try #require(server.requests.first)
        #expect(request.method == "POST" && request.uri == "/hook")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String])
        #expect(object["text"]?.contains(#"on-rollback 6.2.5 -> 6.2.4: ended 3 times, "exit status 2""#) == true, "\(object)")
        await server.stop()
    }

    @Test func theMigrationRenamesTheKeyForASixAndHoldsOnAnEmptyConfig() async throws {
        let temp = try TemporaryDirectory()
        let config = try temp.write("endpoints:\n  - network-address: 0.0.0.0:2220\n", to: "provider.yml")
        let migrated = try await run("migrate-config.sh", ["PROVIDER_CONFIG": config.path, "LAVAVISOR_TO_VERSION": "6.2.5"])
        #expect(migrated.exit == .exited(0), "\(migrated.output)")
        #expect(try String(contentsOf: config, encoding: .utf8) == "endpoints:\n  - address: 0.0.0.0:2220\n")
        #expect(FileManager.default.fileExists(atPath: config.path + ".before-6.2.5"))
        let empty = try temp.write("", to: "empty.yml")
        let held = try await run("migrate-config.sh", ["PROVIDER_CONFIG": empty.path, "LAVAVISOR_TO_VERSION": "5.9.0"])
        #expect(held.exit == .exited(1), "a failing pre-switch hook holds the switch")
    }
}
