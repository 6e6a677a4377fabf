import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct CommandTests {
    @Test func initInstallsAndLinksTheRequiredVersion() async throws {
        let setup = try Quickstart(versions: "1.1.0")
        let finished = try await CLI.run(["init", "--auto-download"] + setup.flags, in: setup.temp)
        #expect(finished.exit == .exited(0), "\(finished.logs)")
        #expect(setup.store.installedVersions() == [v("1.1.0")])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: setup.store.current.path) == "upgrades/v1.1.0")
        #expect(try setup.store.readConfig() == StoreConfig())
        #expect(finished.logs.contains("INF [Lavavisor] current links to 1.1.0"))
        // Again: nothing to fetch, same result.
        let again = try await CLI.run(["init", "--auto-download"] + setup.flags, in: setup.temp)
        #expect(again.exit == .exited(0))
        #expect(!again.logs.contains("fetching"))
    }

    @Test func initWithoutAutoDownloadSaysWhatToDo() async throws {
        let setup = try Quickstart(versions: "1.1.0")
        let finished = try await CLI.run(["init"] + setup.flags, in: setup.temp)
        #expect(finished.exit == .exited(1))
        #expect(finished.logs.contains("ERR [Lavavisor] 1.1.0 is required but not installed; rerun with --auto-download"))
        // init checks once: it does not say it waits for another lavavisor, nor asks one to fetch.
        #expect(!finished.logs.contains("waiting for a lavavisor"), "\(finished.logs)")
        #expect(setup.store.wantedVersions().isEmpty)
        #expect(FileManager.default.fileExists(atPath: setup.store.upgrades.path))
        #expect(setup.store.installedVersions().isEmpty)
    }

    @Test func initAutoStartNeedsACommandThenRunsLikeWrap() async throws {
        let setup = try Quickstart()
        let missing = try await CLI.run(["init", "--auto-download", "--auto-start"] + setup.flags, in: setup.temp)
        #expect(missing.exit == .exited(1))
        #expect(missing.logs.contains("init --auto-start without --cmd starts the services of"))
        #expect(missing.logs.contains("which lists none; create them with 'lavavisor create-service provider|consumer CONFIG …' first"))

        let lavavisor = try CLI.launch(
            ["init", "--auto-download", "--auto-start", "--poll-interval", "0.2", "--cmd", "lavap rpcconsumer c.yml"] + setup.flags,
            in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        lavavisor.process.signal(SIGINT)
        #expect(try await lavavisor.exit() == .exited(0))
        #expect(setup.recorded.contains { $0.prefix(2) == ["sigint", "1.0.0"] }, "SIGINT reaches lavap as SIGINT: \(setup.recorded)")
    }

    @Test func theCommandAfterDoubleDashIsTakenWordForWord() async throws {
        let setup = try Quickstart()
        // A quote or a $ in a word is the word's own: nothing is split, unquoted or expanded again.
        let lavavisor = try CLI.launch(
            ["wrap", "--auto-download", "--poll-interval", "0.2"] + setup.flags + [
                "--", "lavap", "rpcprovider", "my config.yml", "--from", "a'b\"$HOME",
            ],
            in: setup.temp)
        let started = try await setup.waitForEvent("start", "1.0.0")
        #expect(started.last == "rpcprovider my config.yml --from a'b\"$HOME", "\(started)")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)")

        let both = try await CLI.run(
            ["wrap"] + setup.flags + ["--cmd", "lavap rpcprovider p.yml", "--", "lavap", "rpcprovider"], in: setup.temp)
        #expect(both.exit == .exited(64))
        #expect(both.logs.contains("give the lavap command either with --cmd or after --, not both"), "\(both.logs)")
        let other = try await CLI.run(["wrap"] + setup.flags + ["--", "lavad", "start"], in: setup.temp)
        #expect(other.exit != .exited(0))
        #expect(
            other.logs.contains("the command after -- must start with lavap (it is replaced by the managed binary); got 'lavad'"),
            "\(other.logs)")
    }

    @Test func durationsTakeUnits() async throws {
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(
            ["wrap", "--auto-download", "--poll-interval", "200ms", "--stop-timeout", "1m", "--restart-max-delay", "1m30s"] + setup.flags
                + ["--cmd", "lavap rpcprovider p.yml"],
            in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        try setup.require("1.1.0")
        try await setup.waitForEvent("start", "1.1.0")  // checked within the 200 ms poll
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)")

        let wrong = try await CLI.run(["wrap", "--poll-interval", "2 weeks"] + setup.flags + ["--cmd", "lavap"], in: setup.temp)
        #expect(wrong.exit == .exited(64))
        #expect(wrong.logs.contains("'2 weeks' is not a duration: give seconds (1.5) or numbers with units"), "\(wrong.logs)")
        let help = try await CLI.run(["wrap", "--help"], in: setup.temp)
        #expect(help.output.contains("(default: 15s)"), "the default is shown with its unit: \(help.output)")
    }

    @Test func noHelpSaysADefaultTwice() async throws {
        let temp = try TemporaryDirectory()
        for command in ["init", "create-service", "start", "wrap", "pod", "status", "install", "versions", "prune", "ctl", "config"] {
            let help = try await CLI.run([command, "--help"], in: temp)
            // The help wraps lines: compare it as one line.
            let text = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let twice = text.firstMatch(of: /\(default: ([^)]*)\)\.? \(default: \1\)/)
            #expect(twice == nil, "\(command) --help: \(twice.map { String($0.output.0) } ?? "")")
        }
    }

    @Test func aMistypedCommandGetsTheClosestOne() async throws {
        let temp = try TemporaryDirectory()
        let typo = try await CLI.run(["stauts", "--json"], in: temp)
        #expect(typo.exit == .exited(64))
        #expect(typo.logs.contains("'stauts' is not a lavavisor command. Did you mean 'status'?"), "\(typo.logs)")
        let far = try await CLI.run(["frobnicate"], in: temp)
        #expect(far.exit == .exited(64))
        #expect(far.logs.contains("'frobnicate' is not a lavavisor command. 'lavavisor --help' lists them."), "\(far.logs)")
    }

    @Test func anUpgradeSpreadHoldsWhatTheMinimumDoesNotForce() async throws {
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(
            ["wrap", "--auto-download", "--poll-interval", "0.2", "--upgrade-spread", "1h"] + setup.flags
                + ["--cmd", "lavap rpcprovider p.yml"],
            in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        // The target moves, the minimum stays: fetched now, switched within the hour.
        try setup.require(target: "1.1.0", minimum: "1.0.0")
        try await lavavisor.waitForLog("so the switch waits")
        #expect(setup.store.isInstalled(v("1.1.0")))
        #expect(setup.store.currentVersion() == v("1.0.0"))
        #expect(setup.starts("1.1.0") == 0)
        // The wrapper says what waits, and until when.
        let held = try await CLI.run(["ctl", "status", "--directory", setup.temp.path("home").path], in: setup.temp)
        #expect(held.exit == .exited(0), "\(held.logs)")
        #expect(held.output.contains("1.1.0 waits its spread until "), "\(held.output)")
        // The minimum rises above what runs: at once.
        try setup.require("1.1.0")
        try await setup.waitForEvent("start", "1.1.0")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)")
    }

    @Test func anUpgradeSpreadSwitchesWithinItsWindow() async throws {
        let setup = try Quickstart()
        let lavavisor = try CLI.launch(
            ["wrap", "--auto-download", "--poll-interval", "0.1", "--upgrade-spread", "700ms"] + setup.flags
                + ["--cmd", "lavap rpcprovider p.yml"],
            in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        try setup.require(target: "1.1.0", minimum: "1.0.0")
        try await setup.waitForEvent("start", "1.1.0")
        // The drawn wait lies in the window, and the switch came only after it was logged.
        let logged = try #require(lavavisor.logs.split(separator: "\n").first { $0.contains("so the switch waits") }, "\(lavavisor.logs)")
        let seconds = try #require(logged.split(separator: "waits ").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(seconds >= 0 && seconds < 0.7, "\(logged)")
        let order = lavavisor.logs.components(separatedBy: "so the switch waits")
        #expect(order.count == 2 && order[1].contains("switched current to 1.1.0"), "\(lavavisor.logs)")
        lavavisor.process.signal(SIGTERM)
        #expect(try await lavavisor.exit() == .exited(0), "\(lavavisor.logs)")
    }

    @Test func statusShowsTheDecisionAsTextAndJSON() async throws {
        let setup = try Quickstart(versions: "1.0.0")
        _ = try await CLI.run(["init", "--auto-download"] + setup.flags, in: setup.temp)
        try setup.require("1.1.0")
        let text = try await CLI.run(["status"] + setup.flags, in: setup.temp)
        #expect(text.exit == .exited(0))
        #expect(text.output.contains("version source: file \(setup.versions.path)"))
        #expect(text.output.contains("current: 1.0.0\n"))
        #expect(text.output.contains("installed: 1.0.0\n"))
        #expect(text.output.contains("available: 1.0.0, 1.1.0\n"))
        #expect(text.output.contains("decision: upgrade to 1.1.0"))
        #expect(!text.output.contains("wanted:"))

        // A wrapper without --auto-download waits for 1.1.0: status says so.
        try setup.store.want(v("1.1.0"))
        let waiting = try await CLI.run(["status"] + setup.flags, in: setup.temp)
        #expect(
            waiting.output.contains("wanted: 1.1.0 (a lavavisor without --auto-download waits; one with it on this store fetches it)\n"))

        let json = try await CLI.run(["status", "--json"] + setup.flags, in: setup.temp)
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["current"] as? String == "1.0.0")
        #expect(object["installed"] as? [String] == ["1.0.0"])
        #expect(object["wanted"] as? [String] == ["1.1.0"])
        #expect((object["decision"] as? [String: Any])?["action"] as? String == "upgrade")
        #expect((object["decision"] as? [String: Any])?["version"] as? String == "1.1.0")
        #expect((object["required"] as? [String: Any])?["provider_target"] as? String == "1.1.0")
        #expect((object["source"] as? [String: Any])?["id"] as? String == "file")
    }

    @Test func statusExitsNonZeroWhenTheSourceFails() async throws {
        let setup = try Quickstart()
        try FileManager.default.createDirectory(at: setup.temp.path("home"), withIntermediateDirectories: true)
        try setup.temp.write("nonsense: [", to: "versions.yml")
        let finished = try await CLI.run(["status"] + setup.flags, in: setup.temp)
        #expect(finished.exit == .exited(1))
        #expect(finished.output.contains("error: versions file \(setup.versions.path) is neither JSON nor YAML"))
    }

    @Test func pluginsListsEveryRegisteredPlugin() async throws {
        let temp = try TemporaryDirectory()
        let finished = try await CLI.run(["plugins"], in: temp)
        #expect(finished.exit == .exited(0))
        let sections = finished.output.components(separatedBy: "\n").filter { !$0.hasPrefix("  ") }
        #expect(sections == ["version source (--version-source):", "source (--source):", "backend (--backend):", ""])
        let ids = finished.output.split(separator: "\n").filter { $0.hasPrefix("  ") }.map {
            $0.split(separator: " ").first.map(String.init) ?? ""
        }
        #expect(ids == ["file", "rest", "rpc", "git", "github", "local", "child", "pod", "systemd"])
        #expect(
            finished.output.contains("  github   downloads release assets (--release-url), verified against the release's sha256sum.txt"))
    }

    @Test(arguments: [
        (
            ["wrap", "--backend", "docker", "--cmd", "lavap x"],
            "unknown backend 'docker'; available: child, pod, systemd (choose with --backend"
        ),
        (["start", "--backend", "docker"], "unknown backend 'docker'; available: child, pod, systemd"),
        (
            ["wrap", "--backend", "systemd", "--cmd", "lavap x"],
            "the systemd backend runs the services in config.yml, not --cmd; create them with 'lavavisor create-service'"
        ),
        (["wrap", "--source", "ipfs", "--cmd", "lavap x"], "unknown source 'ipfs'; available: git, github, local"),
        (["status", "--version-source", "grpc"], "unknown version source 'grpc'; available: file, rest, rpc"),
    ])
    func pluginsThatAreNotBuiltYetFailPlainly(_ arguments: [String], _ message: String) async throws {
        let temp = try TemporaryDirectory()
        let finished = try await CLI.run(arguments + ["--directory", temp.url.path], in: temp)
        #expect(finished.exit == .exited(1))
        #expect(finished.logs.contains(message), "\(finished.logs)")
    }

    @Test func createServiceWritesTheUnitLinksItAndListsIt() async throws {
        let temp = try TemporaryDirectory()
        let config = Repository.fixture("lava-configs/provider/lava_example.yml").path
        let units = temp.path("units")
        try FileManager.default.createDirectory(at: units, withIntermediateDirectories: true)
        let systemctl = try StandInSystemctl(in: temp)
        let missing = try await CLI.run(["create-service", "provider", temp.path("nope.yml").path, "--from", "alice"], in: temp)
        #expect(missing.exit == .exited(1))
        #expect(missing.logs.contains("the provider config \(temp.path("nope.yml").path) does not exist"))
        let arguments = [
            "create-service", "provider", config, "--geolocation", "1", "--from", "alice", "--directory", temp.path("home").path,
            "--systemctl", systemctl.url.path, "--create-link", "--unit-dir", units.path,
        ]
        let finished = try await CLI.run(arguments + ["--log_level", "warn"], in: temp)
        #expect(finished.exit == .exited(0), "\(finished.logs)")
        let unit = temp.path("home/.lavavisor/services/alice-LAV1.service")
        #expect(finished.output == unit.path + "\n")
        let text = try String(contentsOf: unit, encoding: .utf8)
        #expect(text.contains(" \"--log_level\" \"warn\" "))
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: units.appendingPathComponent("alice-LAV1.service").path) == unit.path)
        // Again, with the other spelling of the log level flag: updated in place, listed once.
        let again = try await CLI.run(arguments + ["--log-level", "debug"], in: temp)
        #expect(again.exit == .exited(0), "\(again.logs)")
        #expect(try String(contentsOf: unit, encoding: .utf8).contains(" \"--log_level\" \"debug\" "))
        #expect(try Store(directory: temp.path("home")).readConfig().services == ["alice-LAV1.service"])

        let wrongKind = try await CLI.run(["create-service", "validator", config, "--from", "a"], in: temp)
        #expect(wrongKind.exit != .exited(0))
        #expect(wrongKind.logs.contains("provider") && wrongKind.logs.contains("consumer"), "\(wrongKind.logs)")
        let badGeolocation = try await CLI.run(["create-service", "provider", config, "--from", "a", "--geolocation", "0"], in: temp)
        #expect(badGeolocation.exit != .exited(0))
        #expect(badGeolocation.logs.contains("--geolocation must be a positive number, got 0"))
        let otherBackend = try await CLI.run(arguments + ["--backend", "child"], in: temp)
        #expect(otherBackend.exit == .exited(1))
        #expect(otherBackend.logs.contains("the child backend cannot create services; choose --backend systemd"))
    }

    @Test(arguments: [
        (["wrap", "--poll-interval", "0"], "--poll-interval must be a positive number"),
        (["wrap", "--log-format", "xml"], "--log-format must be text or json"),
        (
            ["wrap", "--version-source", "file", "--source", "local", "--binaries-dir", "b", "--cmd", "lavap x"],
            "--version-source file needs --versions-file"
        ),
        (
            ["wrap", "--version-source", "file", "--versions-file", "/dev/null", "--source", "local", "--cmd", "lavap x"],
            "--source local needs --binaries-dir"
        ),
        (
            ["wrap", "--version-source", "file", "--versions-file", "/dev/null", "--source", "local", "--binaries-dir", "b"],
            "needs --cmd 'lavap …'"
        ),
        (
            [
                "wrap", "--version-source", "file", "--versions-file", "/dev/null", "--source", "local", "--binaries-dir", "b", "--cmd",
                "lavad start",
            ], "--cmd must start with lavap"
        ),
        (
            [
                "wrap", "--version-source", "file", "--versions-file", "/dev/null", "--source", "local", "--binaries-dir", "b", "--cmd",
                "lavap 'x",
            ], "unterminated ' quote"
        ),
    ])
    func badFlagsAreClearErrors(_ arguments: [String], _ message: String) async throws {
        let temp = try TemporaryDirectory()
        let finished = try await CLI.run(arguments + ["--directory", temp.url.path], in: temp)
        #expect(finished.exit != .exited(0))
        #expect((finished.logs + finished.output).contains(message), "\(finished.logs)")
    }

    @Test func helpGroupsTheFlagsByPluginAndCompletionNamesTheIds() async throws {
        let temp = try TemporaryDirectory()
        let help = try await CLI.run(["wrap", "--help"], in: temp)
        #expect(help.output.contains("--version-source <file|rest|rpc>"))
        #expect(help.output.contains("--source <git|github|local>"))
        for title in ["RPC VERSION SOURCE:", "FILE VERSION SOURCE:", "GITHUB BINARY SOURCE:", "LOCAL BINARY SOURCE:", "GIT BINARY SOURCE:"]
        {
            #expect(help.output.contains(title), "\(title) missing in:\n\(help.output)")
        }
        let githubSection = help.output.components(separatedBy: "GITHUB BINARY SOURCE:")[1].components(separatedBy: "\n\n")[0]
        #expect(githubSection.contains("--release-url") && githubSection.contains("--skip-checksum"))
        #expect(!githubSection.contains("--binaries-dir"))
        let completion = try await CLI.run(["--generate-completion-script", "bash"], in: temp)
        for id in ["file", "rest", "rpc", "git", "github", "local", "child"] {
            #expect(completion.output.contains("'\(id)'"), "completion does not offer \(id)")
        }
    }

    @Test(arguments: [
        (
            "status", ["--node", "--versions-file", "--release-url", "--role", "--json"],
            ["--cmd", "--backend", "--stop-timeout", "--auto-download"]
        ),
        ("plugins", [], ["--node", "--source", "--directory", "--cmd"]),
        // The systemd backend runs the services of config.yml, which wrap and pod refuse: not their flags.
        ("wrap", ["--cmd", "--backend", "--node", "--release-url"], ["--sudo", "--unit-dir", "--systemctl", "--service-start-timeout"]),
        ("pod", ["--cmd", "--backend", "--release-url"], ["--user", "--sudo", "--unit-dir"]),
        ("init", ["--cmd", "--auto-start", "--sudo", "--unit-dir"], ["--json"]),
        ("version", [], ["--node", "--source", "--directory", "--cmd"]),
        (
            "create-service", ["--from", "--geolocation", "--backend", "--node", "--chain-id"],
            ["--versions-file", "--cmd", "--release-url"]
        ),
    ])
    func eachCommandShowsOnlyTheFlagsItUses(_ command: String, _ shown: [String], _ hidden: [String]) async throws {
        let temp = try TemporaryDirectory()
        let help = try await CLI.run([command, "--help"], in: temp)
        for flag in shown { #expect(help.output.contains(flag), "\(command) --help lacks \(flag)") }
        for flag in hidden { #expect(!help.output.contains(flag + " "), "\(command) --help shows \(flag)") }
        let positionals = command == "create-service" ? ["provider", "c.yml", "--from", "a"] : []
        let refused = try await CLI.run([command] + positionals + (hidden.first.map { [$0, "x"] } ?? []), in: temp)
        if let flag = hidden.first {
            #expect(refused.exit != .exited(0))
            #expect((refused.logs + refused.output).contains("Unknown option '\(flag)'"), "\(refused.logs)")
        }
    }

    @Test func versionPrintsLavavisorsVersion() async throws {
        let temp = try TemporaryDirectory()
        let finished = try await CLI.run(["version"], in: temp)
        #expect(finished.exit == .exited(0))
        #expect(try SemanticVersion(parsing: finished.output.trimmingCharacters(in: .whitespacesAndNewlines)) >= v("0.1.0"))
    }
}
