import Core
import Foundation
import TestSupport
import Testing

/// `lavavisor versions`: what is installed and what marks it, as a table and as JSON.
@Suite struct VersionsCommandTests {
    @Test func marksCurrentRunningBadAndTheChainsVersionsAsATableAndAsJSON() async throws {
        let versions = try VersionStore(demanded: "1.3.0")
        try versions.prepare(installed: ["1.0.0", "1.1.0", "1.2.0", "1.3.0"], current: "1.2.0")
        let child = try RecordedChild(store: versions.store, version: "1.2.0")
        let marked = Date(timeIntervalSince1970: 1_800_000_000)
        try await versions.store.updateState(logger: CapturedLogs().logger()) {
            $0.marking(
                StoreState.BadVersion(
                    version: v("1.1.0"), target: v("1.1.0"), rolledBackTo: v("1.0.0"), reason: "ended 3 times within 60 s", markedAt: marked
                ))
        }

        // Without a version source, the chain is not read.
        let plain = try await versions.run("versions")
        #expect(plain.exit == .exited(0), "\(plain.logs)")
        let lines = plain.output.split(separator: "\n").map(String.init)
        #expect(lines[0] == "store: \(versions.store.root.path)")
        #expect(lines[1] == "current: 1.2.0")
        #expect(lines[2].hasPrefix("VERSION  SIZE    INSTALLED "), "\(plain.output)")
        #expect(lines[2].hasSuffix("  NOTES"))
        #expect(!plain.output.contains("chain"))
        let columns = lines[2].range(of: "NOTES")!.lowerBound.utf16Offset(in: lines[2])
        let rows = Dictionary(uniqueKeysWithValues: lines[3...].map { (String($0.prefix { $0 != " " }), $0) })
        #expect(rows.keys.sorted() == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"])
        #expect(rows["1.2.0"]?.dropFirst(columns) == "current, running (pid \(child.process.pid))", "aligned: \(plain.output)")
        #expect(rows["1.3.0"]?.dropFirst(columns) == "installed ahead")
        #expect(
            rows["1.1.0"]?.dropFirst(columns)
                == "bad since 2027-01-15T08:00:00Z: ended 3 times within 60 s (rolled back to 1.0.0)")
        #expect(rows["1.0.0"]?.count == columns - 2, "no notes, no trailing spaces: \(plain.output)")

        // With a version source: the role's target and minimum are marked.
        try versions.temp.write(
            "provider_target: \"1.3.0\"\nprovider_min: \"1.1.0\"\nconsumer_target: \"1.2.0\"\nconsumer_min: \"1.0.0\"\n", to: "versions.yml"
        )
        let flags = ["--version-source", "file", "--versions-file", versions.setup.versions.path]
        let chain = try await versions.run("versions", flags + ["--role", "provider"])
        #expect(chain.output.contains("chain (file \(versions.setup.versions.path)): role provider: target 1.3.0, minimum 1.1.0"))
        #expect(chain.output.contains("installed ahead, chain target"))

        let json = try await versions.run("versions", flags + ["--role", "consumer", "--json"])
        #expect(json.exit == .exited(0))
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["current"] as? String == "1.2.0")
        let entries = try #require(object["versions"] as? [[String: Any]])
        #expect(entries.map { $0["version"] as? String } == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"])
        #expect(entries.map { $0["current"] as? Bool } == [false, false, true, false])
        #expect(entries[2]["running"] as? [Int] == [Int(child.process.pid)])
        #expect(entries[0]["chain"] as? [String] == ["minimum"])
        #expect(entries[2]["chain"] as? [String] == ["target"])
        #expect((entries[1]["bad"] as? [String: Any])?["reason"] as? String == "ended 3 times within 60 s")
        #expect((entries[1]["bad"] as? [String: Any])?["markedAt"] as? String == "2027-01-15T08:00:00Z")
        #expect(entries.allSatisfy { ($0["sizeBytes"] as? Int ?? 0) > 0 && $0["installedAt"] is String })
        #expect((object["chain"] as? [String: Any])?["target"] as? String == "1.2.0")
    }

    @Test func anEmptyStoreAndAFailingVersionSourceAreSaidPlainly() async throws {
        let versions = try VersionStore()
        try versions.prepare(installed: [], current: nil)
        let json = try await versions.run("versions", ["--json"])
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object.keys.contains("current") && object["current"] is NSNull, "current is a key even without a link")
        #expect((object["versions"] as? [Any])?.isEmpty == true)

        // A file that cannot be used (a missing one is refused before anything runs).
        let broken = try versions.temp.write("provider_target: [\n", to: "broken.yml")
        let failing = try await versions.run("versions", ["--version-source", "file", "--versions-file", broken.path])
        #expect(failing.exit == .exited(1))
        #expect(failing.output.contains("no version is installed in \(versions.store.root.path)/upgrades"))
        #expect(failing.output.contains("chain (file): error: "), "\(failing.output)")
    }
}
