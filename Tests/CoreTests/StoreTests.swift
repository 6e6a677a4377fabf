import Core
import Foundation
import TestSupport
import Testing

@Suite struct StoreTests {
    let temp: TemporaryDirectory
    let store: Store
    let logs = CapturedLogs()

    init() throws {
        temp = try TemporaryDirectory()
        store = Store(directory: temp.url)
        try store.prepare()
    }

    func standIn(_ version: String) -> (URL) async throws -> Void {
        { destination in try StandIn.install(version: version, at: destination, events: nil) }
    }

    @Test func prepareMakesTheLayoutAndKeepsAnExistingConfig() throws {
        for folder in ["upgrades", "staging", "locks"] {
            var isFolder: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: store.root.appendingPathComponent(folder).path, isDirectory: &isFolder))
            #expect(isFolder.boolValue)
        }
        #expect(try store.readConfig() == StoreConfig())
        try store.writeConfig(StoreConfig(services: ["alice-LAV1"]))
        try store.prepare()
        #expect(try store.readConfig().services == ["alice-LAV1"])
        #expect(try String(contentsOf: store.configFile, encoding: .utf8).contains("- alice-LAV1"))
    }

    @Test func aCreatedFileNeverReplacesOneThatIsThere() throws {
        // prepare() looks for config.yml, then creates it: the creation must not replace one that
        // another create-service wrote (with its service listed) between the look and the write.
        let file = temp.path("made.yml")
        #expect(try AtomicFile.create(Data("services: []\n".utf8), at: file, permissions: 0o640))
        #expect(try String(contentsOf: file, encoding: .utf8) == "services: []\n")
        #expect((try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int) == 0o640)
        try Data("services:\n- alice-LAV1.service\n".utf8).write(to: file)
        #expect(try !AtomicFile.create(Data("services: []\n".utf8), at: file), "there already: not created")
        #expect(try String(contentsOf: file, encoding: .utf8) == "services:\n- alice-LAV1.service\n")
        let left = try FileManager.default.contentsOfDirectory(atPath: temp.url.path).filter { $0.hasSuffix(".tmp") }
        #expect(left.isEmpty, "no temporary file is left: \(left)")
    }

    @Test func installsVerifiesAndPlacesTheBinary() async throws {
        let installed = try await store.install(v("1.1.0"), logger: logs.logger(), fetch: standIn("1.1.0"))
        #expect(installed)
        #expect(store.isInstalled(v("1.1.0")))
        #expect(store.installedVersions() == [v("1.1.0")])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.staging.path).isEmpty)
        let again = try await store.install(v("1.1.0"), logger: logs.logger()) { _ in Issue.record("fetched twice") }
        #expect(!again)
    }

    @Test func refusesABinaryThatReportsAnotherVersion() async throws {
        await #expect(throws: StoreError.self) {
            try await store.install(v("1.1.0"), logger: logs.logger(), fetch: standIn("1.0.0"))
        }
        #expect(!FileManager.default.fileExists(atPath: store.folder(for: v("1.1.0")).path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.staging.path).isEmpty)
    }

    @Test func refusesABinaryThatCannotTellItsVersion() async throws {
        do {
            try await store.install(v("1.1.0"), logger: logs.logger()) { destination in
                try Data("#!/bin/sh\necho 'unknown command'; exit 1\n".utf8).write(to: destination)
            }
            Issue.record("install should have failed")
        } catch {
            #expect("\(error)".contains("refusing the binary fetched for 1.1.0"))
            #expect("\(error)".contains("ended with exit status 1"))
        }
        #expect(store.installedVersions().isEmpty)
    }

    @Test func aFailedFetchLeavesNothingBehind() async throws {
        await #expect(throws: TestFailure("connection cut")) {
            try await store.install(v("1.1.0"), logger: logs.logger()) { destination in
                try Data("#!/bin/sh\necho half".utf8).write(to: destination)
                throw TestFailure("connection cut")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: store.folder(for: v("1.1.0")).path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.staging.path).isEmpty)
    }

    @Test func theNextInstallCleansLeftoversOfADeadOne() async throws {
        let leftover = store.staging.appendingPathComponent("v1.1.0.99999.1")
        try FileManager.default.createDirectory(at: leftover, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: leftover.appendingPathComponent("lavap"))
        try await store.install(v("1.1.0"), logger: logs.logger(), fetch: standIn("1.1.0"))
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(logs.text.contains("removing the leftovers of an interrupted install"))
    }

    @Test func concurrentInstallsOfOneVersionFetchOnce() async throws {
        let fetches = Counter()
        let fresh = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await store.install(v("2.0.0"), logger: logs.logger()) { destination in
                        fetches.increment()
                        try StandIn.install(version: "2.0.0", at: destination, events: nil)
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(fetches.value == 1)
        #expect(fresh.filter { $0 }.count == 1)
    }

    @Test func switchesCurrentAsARelativeLink() async throws {
        try await store.install(v("1.0.0"), logger: logs.logger(), fetch: standIn("1.0.0"))
        try await store.install(v("1.1.0"), logger: logs.logger(), fetch: standIn("1.1.0"))
        try store.switchCurrent(to: v("1.0.0"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: store.current.path) == "upgrades/v1.0.0")
        #expect(await store.currentBinaryVersion() == v("1.0.0"))
        try store.switchCurrent(to: v("1.1.0"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: store.current.path) == "upgrades/v1.1.0")
        #expect(store.currentVersion() == v("1.1.0"))
        #expect(await store.currentBinaryVersion() == v("1.1.0"))
        let strays = try FileManager.default.contentsOfDirectory(atPath: store.root.path).filter { $0.hasPrefix(".current") }
        #expect(strays.isEmpty)
    }

    @Test func refusesToSwitchToAVersionThatIsNotInstalled() throws {
        #expect(throws: StoreError.self) { try store.switchCurrent(to: v("9.9.9")) }
        #expect(store.currentVersion() == nil)
    }

    @Test func ignoresFoldersThatAreNotVersionsOrHoldNoBinary() throws {
        for name in ["latest", "v1.0.0-rc1", "v2.0.0"] {
            try FileManager.default.createDirectory(at: store.upgrades.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        try StandIn.install(version: "3.0.0", at: store.binary(for: v("3.0.0")), events: nil)
        #expect(store.installedVersions() == [v("3.0.0")])
    }

    @Test func aFolderNamedLavapIsNotAnInstalledVersion() throws {
        let folder = store.binary(for: v("2.0.0"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        #expect(!store.isInstalled(v("2.0.0")))
        #expect(store.installedVersions().isEmpty)
        #expect { try store.switchCurrent(to: v("2.0.0")) } throws: { "\($0)".contains("is not installed") }
        #expect(store.currentLink() == .none)
    }

    @Test func currentCountsOnlyAsALinkIntoThisStoresUpgrades() throws {
        try StandIn.install(version: "1.0.0", at: store.binary(for: v("1.0.0")), events: nil)
        func link(_ target: String) throws {
            try? FileManager.default.removeItem(at: store.current)
            #expect(symlink(target, store.current.path) == 0)
        }
        try link("upgrades/v1.0.0")
        #expect(store.currentLink() == .installed(v("1.0.0")))
        #expect(store.currentProblem() == nil)
        try link(store.upgrades.path + "/v1.0.0/")  // absolute, into this store: the same
        #expect(store.currentLink() == .installed(v("1.0.0")))
        // A copy of the same layout elsewhere: what status showed as fine and wrap could not start.
        let elsewhere = try TemporaryDirectory()
        try StandIn.install(version: "1.0.0", at: elsewhere.path("upgrades/v1.0.0/lavap"), events: nil)
        try link(elsewhere.path("upgrades/v1.0.0").path)
        #expect(store.currentLink() == .foreign(elsewhere.path("upgrades/v1.0.0").path))
        #expect(store.currentVersion() == nil)
        #expect(store.currentProblem()?.contains("not to a version in \(store.upgrades.path)") == true)
        try link("upgrades/v1.1.0")
        #expect(store.currentLink() == .dangling(v("1.1.0")))
        #expect(store.currentProblem()?.contains("lavavisor install 1.1.0") == true)
        try FileManager.default.removeItem(at: store.current)
        try FileManager.default.createDirectory(at: store.current, withIntermediateDirectories: true)
        #expect(store.currentLink() == .foreign("not a link"))
    }
}
