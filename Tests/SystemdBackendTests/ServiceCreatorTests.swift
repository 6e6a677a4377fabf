import Core
import Foundation
import SystemdBackend
import TestSupport
import Testing

/// create-service's files: the config copy, the unit, the link, config.yml; and what it refuses.
@Suite struct ServiceCreatorTests {
    let temp: TemporaryDirectory
    let store: Store
    let systemctl: StandInSystemctl
    let units: URL

    init() throws {
        temp = try TemporaryDirectory()
        store = Store(directory: temp.path("home"))
        systemctl = try StandInSystemctl(in: temp)
        units = temp.path("units")
        try FileManager.default.createDirectory(at: units, withIntermediateDirectories: true)
    }

    func creator(user: Bool = false) -> ServiceCreator {
        ServiceCreator(
            store: store, systemctl: Systemctl(program: systemctl.url.path, user: user), unitFolder: units, logger: CapturedLogs().logger())
    }

    func request(_ file: String = "provider/lava_example.yml", from: String = "alice", link: Bool = false) -> ServiceRequest {
        ServiceRequest(kind: .provider, config: Repository.fixture("lava-configs/\(file)"), from: from, createLink: link)
    }

    /// Every file under the store and the unit folder, relative.
    func files() -> [String] {
        var found: [String] = []
        for root in [store.root, units] {
            let items = FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []
            found += items.map { "\(root.lastPathComponent)/\($0)" }
        }
        return found.sorted()
    }

    @Test func namesTheServiceAfterFromAndTheFirstChainIDAndListsItOnce() async throws {
        try store.prepare()
        try Data("log: kept\nservices:\n  - alice-LAV1.service.old\n  - bob-ETH1.service\nother:\n  nested: [1, 2]\n".utf8).write(
            to: store.configFile)
        let created = try await creator().create(request(link: true))
        #expect(created.name == "alice-LAV1.service")
        #expect(created.unitFile == store.root.appendingPathComponent("services/alice-LAV1.service"))
        #expect(created.config == store.root.appendingPathComponent("services/protocol_yml_configs/alice-LAV1.yml"))
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: units.appendingPathComponent("alice-LAV1.service").path)
                == created.unitFile.path)
        // The same service again: updated in place, listed once; a name that merely contains it is another service.
        _ = try await creator().create(request(link: true))
        let config = try store.readConfig()
        #expect(config.services == ["alice-LAV1.service.old", "bob-ETH1.service", "alice-LAV1.service"])
        let text = try String(contentsOf: store.configFile, encoding: .utf8)
        #expect(text.contains("log: kept") && text.contains("nested:"))
        // systemctl was asked for its version (RestartSteps= needs 254), nothing else.
        #expect(systemctl.calls.allSatisfy { $0 == ["--version"] })
        #expect(try !String(contentsOf: created.unitFile, encoding: .utf8).contains("RestartSteps"))
    }

    @Test func aNewerSystemdGetsRestartStepsAndAUserUnitRunsAsItsManagersUser() async throws {
        let newer = try StandInSystemctl(in: temp, name: "systemctl-256", version: 256)
        let creator = ServiceCreator(
            store: store, systemctl: Systemctl(program: newer.url.path, user: true), unitFolder: units, logger: CapturedLogs().logger())
        let created = try await creator.create(request())
        let unit = try String(contentsOf: created.unitFile, encoding: .utf8)
        #expect(unit.contains("\nRestartSteps=5\n") && unit.contains("\nRestartMaxDelaySec=120\n"))
        #expect(!unit.contains("User=") && unit.contains("WantedBy=default.target"))
        #expect(newer.calls == [["--user", "--version"]])
    }

    @Test func everyBadInputIsOneClearErrorAndWritesNothing() async throws {
        let noEndpoints = try temp.write("metrics-listen-address: \":7779\"\n", to: "no-endpoints.yml")
        let noChain = try temp.write("endpoints:\n  - api-interface: rest\n", to: "no-chain.yml")
        let notYAML = try temp.write("endpoints: [\n", to: "broken.yml")
        let cases: [(ServiceRequest, String)] = [
            (
                ServiceRequest(kind: .consumer, config: temp.path("nope.yml"), from: "a"),
                "the consumer config \(temp.path("nope.yml").path) does not exist or cannot be read"
            ),
            (ServiceRequest(kind: .provider, config: noEndpoints, from: "a"), "the config \(noEndpoints.path) lists no endpoints"),
            (
                ServiceRequest(kind: .provider, config: noChain, from: "a"),
                "the first endpoint of the config \(noChain.path) has no chain-id"
            ),
            (ServiceRequest(kind: .provider, config: notYAML, from: "a"), "the config \(notYAML.path) is not valid YAML"),
            (request(from: "a b"), "the service name a b-LAV1.service (from --from and the config's chain-id) may hold only"),
            (
                ServiceRequest(
                    kind: .provider, config: Repository.fixture("lava-configs/provider/lava_example.yml"), from: "a", keyringBackend: "file"
                ),
                "--keyring-backend file needs the keyring password: pass --keyring-password-file PATH (mode 600)"
            ),
            (
                ServiceRequest(
                    kind: .provider, config: Repository.fixture("lava-configs/provider/lava_example.yml"), from: "a",
                    keyringPasswordFile: temp.path("missing-password")),
                "the keyring password file \(temp.path("missing-password").path) does not exist"
            ),
        ]
        for (request, message) in cases {
            let error = await #expect(throws: ServiceError.self) { try await creator().create(request) }
            #expect(error?.description.hasPrefix(message) == true, "\(String(describing: error))")
        }
        #expect(files().isEmpty, "\(files())")

        let readable = try temp.write("pw\n", to: "readable-password")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: readable.path)
        var withPassword = request()
        withPassword.keyringPasswordFile = readable
        let error = await #expect(throws: ServiceError.self) { try await creator().create(withPassword) }
        #expect(error?.description.contains("may be read by group or others (mode 644); run chmod 600") == true)
    }

    @Test func anUnwritableUnitFolderOrABrokenConfigYmlLeavesNothingHalfWritten() async throws {
        let missing = ServiceCreator(
            store: store, systemctl: Systemctl(program: systemctl.url.path), unitFolder: temp.path("no-such-folder"),
            logger: CapturedLogs().logger())
        let error = await #expect(throws: ServiceError.self) { try await missing.create(request(link: true)) }
        #expect(
            error?.description
                == "cannot link the unit into \(temp.path("no-such-folder").path): it does not exist or is not writable; run as root, pass --user, or choose --unit-dir"
        )
        #expect(files().isEmpty)

        try store.prepare()
        let broken = "services: [alice\nkept: 1\n"
        try Data(broken.utf8).write(to: store.configFile)
        let before = files()
        let yamlError = await #expect(throws: ServiceError.self) { try await creator().create(request(link: true)) }
        #expect(
            yamlError?.description.hasPrefix("cannot add alice-LAV1.service to \(store.configFile.path): it config.yml is not valid YAML")
                == false)
        #expect(yamlError?.description.hasPrefix("cannot add alice-LAV1.service to \(store.configFile.path): it is not valid YAML") == true)
        #expect(files() == before)
        #expect(try String(contentsOf: store.configFile, encoding: .utf8) == broken)
    }

    @Test func servicesCreatedAtOnceAreAllListed() async throws {
        let creator = creator()
        let names = (1...6).map { "user\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask { _ = try await creator.create(request(from: name)) }
            }
            try await group.waitForAll()
        }
        #expect(Set(try store.readConfig().services) == Set(names.map { "\($0)-LAV1.service" }))
        #expect(try store.readConfig().services.count == names.count)
    }

    @Test func configYmlEditsKeepOtherKeysAndCompareWholeNames() throws {
        func add(_ name: String, to text: String) throws -> String {
            String(decoding: try StoreConfig.adding(service: name, to: Data(text.utf8)), as: UTF8.self)
        }
        #expect(try StoreConfig.decode(Data(add("a.service", to: "").utf8)).services == ["a.service"])
        #expect(try StoreConfig.decode(Data(add("a.service", to: "services:\n").utf8)).services == ["a.service"])
        #expect(try StoreConfig.decode(Data("services:\nlog: x\n".utf8)).services == [])
        #expect(try StoreConfig.decode(Data("log: x\n".utf8)).services == [])
        #expect(try StoreConfig.decode(Data(add("a.service", to: "services: []\n").utf8)).services == ["a.service"])
        let listed = "# mine\nservices:\n  - a.service\nx: 1\n"
        #expect(try add("a.service", to: listed) == listed)
        #expect(try StoreConfig.decode(Data(add("a", to: listed).utf8)).services == ["a.service", "a"])
        #expect(try add("b", to: "x: 1\n").contains("x: 1"))
        #expect(throws: StoreConfigEditError.self) { try add("a", to: "services: a\n") }
        #expect(throws: StoreConfigEditError.self) { try add("a", to: "- a\n- b\n") }
        // Found by FuzzStoreConfig: a tagged key spelled `services` is another key to YAML, and
        // written back without its tag it made the file one that no longer reads.
        let tagged = try #require(#expect(throws: StoreConfigEditError.self) { try add("a", to: "!!map services:\n- b\n") })
        #expect(tagged.description == "config.yml has a 'services' key with a YAML tag; write it as a plain 'services:'")
        let collide = try #require(#expect(throws: StoreConfigEditError.self) { try add("a", to: "!!map x: 1\nx: 2\n") })
        #expect(collide.description == "config.yml cannot be written back as the same YAML (its keys carry tags); remove the tags")
        #expect(try StoreConfig.decode(Data(add("a", to: "!!str services: [b]\n").utf8)).services == ["b", "a"])
    }
}

extension ServiceCreatorTests {
    @Test func aStoreWhosePathSystemdCannotRunIsRefusedBeforeWriting() async throws {
        let odd = Store(directory: temp.path(#"it's "quoted""#))
        let creator = ServiceCreator(
            store: odd, systemctl: Systemctl(program: systemctl.url.path), unitFolder: units, logger: CapturedLogs().logger())
        let error = await #expect(throws: UnitValueError.self) { try await creator.create(request()) }
        #expect(error?.description.contains("systemd runs no program whose path has a quote, a backslash or a control character") == true)
        #expect(!FileManager.default.fileExists(atPath: odd.root.path))
    }
}
