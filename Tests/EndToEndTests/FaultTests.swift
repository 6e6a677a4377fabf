import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The commands when the store or the directory misbehave (issue 24).
@Suite struct FaultTests {
    @Test func statusJSONWritesEveryKeyWithNullWhenUnknown() async throws {
        let setup = try Quickstart()
        try FileManager.default.createDirectory(at: setup.temp.path("home"), withIntermediateDirectories: true)
        try setup.temp.write("nonsense: [", to: "versions.yml")
        let finished = try await CLI.run(["status", "--json"] + setup.flags, in: setup.temp)
        #expect(finished.exit == .exited(1))
        let object = try #require(JSONSerialization.jsonObject(with: Data(finished.output.utf8)) as? [String: Any], "\(finished.output)")
        let nullable = [
            "required", "requirement", "current", "currentError", "running", "decision", "step", "pendingError",
            "stateError", "availableError",
        ]
        for key in nullable {
            #expect(object.keys.contains(key) && object[key] is NSNull, "\(key) is null: \(finished.output)")
        }
        for key in ["source", "role", "store", "installed", "wanted", "children", "bad", "pending", "available", "services"] {
            #expect(object.keys.contains(key), "\(key) is written: \(finished.output)")
        }
        let source = try #require(object["source"] as? [String: Any])
        for key in ["location", "chainID", "height"] {
            #expect(source.keys.contains(key) && source[key] is NSNull, "source.\(key) is null: \(finished.output)")
        }
        #expect(source["error"] is String)
    }

    @Test func versionsJSONWritesEveryKeyWithNullWhenUnknown() async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: ["1.0.0"], current: "1.0.0")
        let json = try await versions.run("versions", ["--json"])
        #expect(json.exit == .exited(0), "\(json.logs)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        for key in ["chain", "stateError"] { #expect(object.keys.contains(key) && object[key] is NSNull, "\(key): \(json.output)") }
        let entry = try #require((object["versions"] as? [[String: Any]])?.first)
        #expect(entry.keys.contains("bad") && entry["bad"] is NSNull, "\(json.output)")
    }

    @Test func versionsJSONOnAMissingStoreIsStillJSON() async throws {
        let temp = try TemporaryDirectory()
        let nowhere = temp.path("nowhere")
        let finished = try await CLI.run(["versions", "--json", "--directory", nowhere.path], in: temp)
        #expect(finished.exit == .exited(1))
        let object = try #require(JSONSerialization.jsonObject(with: Data(finished.output.utf8)) as? [String: Any], "\(finished.output)")
        #expect(object["store"] as? String == nowhere.appendingPathComponent(".lavavisor").path)
        #expect((object["versions"] as? [Any])?.isEmpty == true)
        #expect(object["current"] is NSNull)
        #expect((object["error"] as? String)?.contains("there is no lavavisor store at") == true, "\(finished.output)")
        #expect(finished.logs.contains("there is no lavavisor store at"), "\(finished.logs)")
    }

    @Test func statusOnADirectoryThatDoesNotExistIsAnError() async throws {
        let setup = try Quickstart()
        let nowhere = setup.temp.path("nowhere").path
        let flags = [
            "--directory", nowhere, "--version-source", "file", "--versions-file", setup.versions.path, "--source", "local",
            "--binaries-dir", setup.bin.path,
        ]
        let finished = try await CLI.run(["status"] + flags, in: setup.temp)
        #expect(finished.exit == .exited(1), "\(finished.output)")
        #expect(finished.logs.contains("the directory \(nowhere) does not exist"), "\(finished.logs)")
        #expect(!FileManager.default.fileExists(atPath: nowhere))
    }

    @Test func statusWithADamagedConfigSaysSoAndFails() async throws {
        let setup = try Quickstart()
        _ = try await CLI.run(["init", "--auto-download"] + setup.flags, in: setup.temp)
        try setup.temp.write("services: [unclosed", to: "home/.lavavisor/config.yml")
        let text = try await CLI.run(["status"] + setup.flags, in: setup.temp)
        #expect(text.exit == .exited(1))
        #expect(text.output.contains("cannot read \(setup.store.configFile.path)"), "\(text.output)")
        #expect(text.output.contains("decision: keep 1.0.0"), "the rest is still shown: \(text.output)")
        let json = try await CLI.run(["status", "--json"] + setup.flags, in: setup.temp)
        #expect(json.exit == .exited(1))
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect((object["configError"] as? String)?.contains("cannot read \(setup.store.configFile.path)") == true, "\(json.output)")
    }

    /// `current` made by hand as an absolute link outside the store: `wrap` would refuse to start
    /// it, so `status` says so and fails instead of reporting it as fine.
    @Test func statusNamesACurrentThatLinksOutsideTheStore() async throws {
        let setup = try Quickstart()
        let initialised = try await CLI.run(["init", "--auto-download"] + setup.flags, in: setup.temp)
        #expect(initialised.exit == .exited(0), "\(initialised.logs)")
        let elsewhere = setup.temp.path("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: setup.store.binary(for: v("1.0.0")), to: elsewhere.appendingPathComponent("lavap"))
        try FileManager.default.removeItem(at: setup.store.current)
        try FileManager.default.createSymbolicLink(atPath: setup.store.current.path, withDestinationPath: elsewhere.path)
        let text = try await CLI.run(["status"] + setup.flags, in: setup.temp)
        #expect(text.exit == .exited(1), "\(text.output)")
        #expect(text.output.contains("a link to \(elsewhere.path), not to a version in \(setup.store.upgrades.path)"), "\(text.output)")
        let json = try await CLI.run(["status", "--json"] + setup.flags, in: setup.temp)
        #expect(json.exit == .exited(1))
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect((object["currentError"] as? String)?.contains("not to a version in") == true, "\(json.output)")
        #expect(object["current"] is NSNull, "a foreign current is no version: \(json.output)")
    }

    @Test func aFailedInstallLeavesNoLockFileBehind() async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: ["1.2.0"], current: "1.2.0")
        let missing = try await versions.run("install", ["9.9.9"] + versions.local)
        #expect(missing.exit == .exited(1))
        #expect(try FileManager.default.contentsOfDirectory(atPath: versions.store.locks.path).filter { $0.contains("9.9.9") } == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: versions.store.staging.path).isEmpty)
    }
}
