import Core
import Foundation
import TestSupport
import Testing

/// Configuration once: settings from the environment, the store's settings file and the recorded
/// source settings, with the built binary.
@Suite struct SettingsTests {
    /// Runs `lavavisor arguments…` with `environment` added, to its end.
    func run(_ arguments: [String], in temp: TemporaryDirectory, environment: [String: String] = [:]) async throws -> CLI.Finished {
        let running = try CLI.launch(arguments, in: temp, environment: environment)
        let exit = try await running.exit()
        return CLI.Finished(exit: exit, output: running.output, logs: running.logs)
    }

    /// `lavavisor config --json …`'s settings, by name.
    func settings(_ finished: CLI.Finished) throws -> [String: [String: String]] {
        let object = try JSONSerialization.jsonObject(with: Data(finished.output.utf8)) as? [String: Any]
        let list = object?["settings"] as? [[String: Any]] ?? []
        var byName: [String: [String: String]] = [:]
        for entry in list {
            guard let name = entry["name"] as? String else { continue }
            byName[name] = entry.compactMapValues { $0 as? String }
        }
        return byName
    }

    /// A store folder with `text` as its settings file.
    func home(in temp: TemporaryDirectory, settings text: String?) throws -> URL {
        let home = temp.path("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".lavavisor"), withIntermediateDirectories: true)
        if let text { try temp.write(text, to: "home/.lavavisor/settings.yml") }
        return home
    }

    @Test func aFlagBeatsTheEnvironmentWhichBeatsTheFileWhichBeatsTheDefault() async throws {
        let temp = try TemporaryDirectory()
        let home = try home(
            in: temp,
            settings: "poll-interval: 30s\nnode: http://file.example:26657\nauto-download: true\nstop-timeout: 20\nchain-id: lava-file\n")
        let finished = try await run(
            ["config", "--json", "wrap", "--directory", home.path, "--node", "http://flag.example:26657"], in: temp,
            environment: ["LAVAVISOR_POLL_INTERVAL": "2m", "LAVAVISOR_NODE": "http://env.example:26657", "LAVAVISOR_CHAIN_ID": ""])
        #expect(finished.exit == .exited(0), "\(finished.logs)")
        let settings = try settings(finished)
        #expect(settings["node"]?["value"] == "http://flag.example:26657")
        #expect(settings["node"]?["from"] == "flag")
        #expect(settings["poll-interval"]?["value"] == "2m")
        #expect(settings["poll-interval"]?["from"] == "env")
        #expect(settings["poll-interval"]?["origin"] == "LAVAVISOR_POLL_INTERVAL")
        #expect(settings["auto-download"]?["value"] == "true")
        #expect(settings["auto-download"]?["from"] == "file")
        #expect(settings["auto-download"]?["origin"] == home.appendingPathComponent(".lavavisor/settings.yml").path)
        #expect(settings["stop-timeout"]?["value"] == "20")
        // An empty variable is unset: the file's value stands.
        #expect(settings["chain-id"]?["value"] == "lava-file")
        #expect(settings["chain-id"]?["from"] == "file")
        #expect(settings["restart"]?["from"] == "default")
        #expect(settings["restart"]?["variable"] == "LAVAVISOR_RESTART")
        #expect(settings["directory"]?["from"] == "flag")

        let text = try await run(["config", "wrap", "--directory", home.path], in: temp, environment: ["LAVAVISOR_POLL_INTERVAL": "2m"])
        #expect(text.exit == .exited(0))
        #expect(text.output.contains("poll-interval"))
        #expect(text.output.contains("env LAVAVISOR_POLL_INTERVAL"), "\(text.output)")
    }

    @Test func theEnvironmentAloneSelectsThePluginsOfACommand() async throws {
        let setup = try Quickstart(versions: "1.1.0")
        let environment = [
            "LAVAVISOR_DIRECTORY": setup.temp.path("home").path, "LAVAVISOR_VERSION_SOURCE": "file",
            "LAVAVISOR_VERSIONS_FILE": setup.versions.path, "LAVAVISOR_SOURCE": "local", "LAVAVISOR_BINARIES_DIR": setup.bin.path,
        ]
        try FileManager.default.createDirectory(at: setup.temp.path("home"), withIntermediateDirectories: true)
        let status = try await run(["status", "--json"], in: setup.temp, environment: environment)
        #expect(status.exit == .exited(0), "\(status.logs)\(status.output)")
        let report = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        let source = report?["source"] as? [String: Any]
        #expect(source?["id"] as? String == "file")
        #expect(source?["location"] as? String == setup.versions.path)
        #expect(report?["available"] as? [String] == ["1.0.0", "1.1.0"])
    }

    @Test func initRecordsItsSourcesSoLaterCommandsNeedOnlyTheDirectory() async throws {
        let setup = try Quickstart(versions: "1.0.0")
        let home = setup.temp.path("home").path
        let initialized = try await run(["init", "--auto-download"] + setup.flags, in: setup.temp)
        #expect(initialized.exit == .exited(0), "\(initialized.logs)")
        let recorded = try String(contentsOf: setup.store.root.appendingPathComponent("recorded.yml"), encoding: .utf8)
        #expect(recorded.contains("version-source: \"file\""), "\(recorded)")
        #expect(recorded.contains("binaries-dir: \"\(setup.bin.path)\""), "\(recorded)")

        // No source flag: without the record, status would ask a node on localhost.
        try setup.require("1.1.0")
        let status = try await run(["status", "--json", "--directory", home], in: setup.temp)
        #expect(status.exit == .exited(0), "\(status.logs)")
        let report = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        #expect((report?["source"] as? [String: Any])?["location"] as? String == setup.versions.path)
        #expect((report?["required"] as? [String: Any])?["provider_target"] as? String == "1.1.0", "\(status.output)")

        let versions = try await run(["versions", "--directory", home], in: setup.temp)
        #expect(versions.exit == .exited(0), "\(versions.logs)")
        let install = try await run(["install", "1.1.0", "--directory", home], in: setup.temp)
        #expect(install.exit == .exited(0), "\(install.logs)")
        #expect(setup.store.installedVersions() == [v("1.0.0"), v("1.1.0")])
        let prune = try await run(["prune", "--dry-run", "--directory", home], in: setup.temp)
        #expect(prune.exit == .exited(0), "\(prune.logs)")

        let config = try await run(["config", "--json", "install", "--directory", home], in: setup.temp)
        let settings = try settings(config)
        #expect(settings["source"]?["value"] == "local")
        #expect(settings["source"]?["from"] == "recorded")
        #expect(settings["binaries-dir"]?["origin"] == setup.store.root.appendingPathComponent("recorded.yml").path)

        // A flag still wins over the record, and a new value given is recorded over the old.
        let other = setup.temp.path("other-bin")
        try StandIn.install(version: "1.2.0", at: other.appendingPathComponent("v1.2.0/lavap"), events: setup.events)
        let fromOther = try await run(["install", "1.2.0", "--directory", home, "--binaries-dir", other.path], in: setup.temp)
        #expect(fromOther.exit == .exited(0), "\(fromOther.logs)")
        #expect(try String(contentsOf: setup.store.root.appendingPathComponent("recorded.yml"), encoding: .utf8).contains(setup.bin.path))
    }

    @Test func wrapRecordsTheSourcesItRunsWith() async throws {
        let setup = try Quickstart(versions: "1.0.0")
        let wrap = try CLI.launch(setup.wrap(), in: setup.temp)
        try await setup.waitForEvent("start", "1.0.0")
        let file = setup.store.root.appendingPathComponent("recorded.yml")
        try await waitUntil("recorded.yml") { FileManager.default.fileExists(atPath: file.path) }
        wrap.process.signal(SIGTERM)
        _ = try await wrap.exit()
        let recorded = try String(contentsOf: file, encoding: .utf8)
        #expect(recorded.contains("versions-file: \"\(setup.versions.path)\""), "\(recorded)")
        #expect(recorded.contains("source: \"local\""))
        // Not a source setting: the poll interval of one wrapper is not every command's.
        #expect(!recorded.contains("poll-interval"))
    }

    @Test func aMistypedVariableOrFileSettingIsAnErrorThatNamesIt() async throws {
        let temp = try TemporaryDirectory()
        let home = try home(in: temp, settings: nil)
        let variable = try await run(
            ["status", "--directory", home.path], in: temp, environment: ["LAVAVISOR_POLL_INTERVALL": "30s"])
        #expect(variable.exit == .exited(64))
        #expect(variable.logs.contains("the environment variable LAVAVISOR_POLL_INTERVALL is not a lavavisor setting"), "\(variable.logs)")

        // What lavavisor hands to a hook is not a setting, and not an error either.
        let hooked = try await run(
            ["config", "wrap", "--directory", home.path], in: temp,
            environment: ["LAVAVISOR_HOOK": "post-upgrade", "LAVAVISOR_COMMAND": "lavap rpcprovider", "LAVAVISOR_SUPERVISED": "x"])
        #expect(hooked.exit == .exited(0), "\(hooked.logs)")

        try temp.write("pol-interval: 30s\n", to: "home/.lavavisor/settings.yml")
        let key = try await run(["status", "--directory", home.path], in: temp)
        #expect(key.exit == .exited(64))
        #expect(key.logs.contains("has 'pol-interval', which no lavavisor command knows"), "\(key.logs)")

        try temp.write("directory: /elsewhere\n", to: "home/.lavavisor/settings.yml")
        let directory = try await run(["status", "--directory", home.path], in: temp)
        #expect(directory.exit == .exited(64))
        #expect(directory.logs.contains("sets 'directory'"), "\(directory.logs)")

        try temp.write("poll-interval: [1, 2]\n", to: "home/.lavavisor/settings.yml")
        let list = try await run(["config", "--directory", home.path], in: temp)
        #expect(list.exit == .exited(64))
        #expect(list.logs.contains("the setting 'poll-interval' in"), "\(list.logs)")
    }

    @Test func aBadValueFromTheEnvironmentIsRefusedNamingWhereItCameFrom() async throws {
        let temp = try TemporaryDirectory()
        let home = try home(in: temp, settings: "stop-timeout: 10s\n")
        let duration = try await run(
            ["wrap", "--directory", home.path, "--cmd", "lavap rpcprovider"], in: temp, environment: ["LAVAVISOR_POLL_INTERVAL": "soon"])
        #expect(duration.exit == .exited(64))
        #expect(duration.logs.contains("--poll-interval came from env LAVAVISOR_POLL_INTERVAL"), "\(duration.logs)")
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent(".lavavisor/recorded.yml").path))

        let flag = try await run(
            ["status", "--directory", home.path], in: temp, environment: ["LAVAVISOR_NO_SUBSCRIBE": "maybe"])
        #expect(flag.exit == .exited(64))
        #expect(flag.logs.contains("no-subscribe from env LAVAVISOR_NO_SUBSCRIBE is a flag: give true or false, got 'maybe'"))

        let config = try await run(
            ["config", "wrap", "--directory", home.path], in: temp, environment: ["LAVAVISOR_POLL_INTERVAL": "soon"])
        #expect(config.exit == .exited(1))
        #expect(config.output.contains("error:"), "\(config.output)")
    }
}
