import Core
import Foundation
import SystemdBackend
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// As root, `create-service` and `start` refuse what another user could change.
@Suite(.enabled(if: OtherUser.testsRunAsRoot, "the ownership checks apply to root only; run the tests as root"))
struct ServiceOwnershipTests {
    let safety: ServiceSafetyTests
    var store: Store { safety.store }
    var config: URL { Repository.fixture("lava-configs/provider/lava_example.yml") }

    init() throws { safety = try ServiceSafetyTests() }

    @Test func createServiceRefusesAStoreOthersMayWriteBeforeWritingAnything() async throws {
        try store.prepare()
        try OtherUser.chmod(store.root, 0o777)
        let error = await #expect(throws: OwnershipError.self) { try await safety.creator().create(safety.request(config, link: true)) }
        #expect(
            error?.description
                == "lavavisor runs as root and refuses the store \(store.root.path): it may be written by its group or others (mode 777); run 'chmod go-w \(store.root.path)' (or 'chmod +t \(store.root.path)' if others must create files in it)"
        )
        #expect(!FileManager.default.fileExists(atPath: safety.creator().servicesFolder.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: safety.units.path).isEmpty)
    }

    @Test func createServiceRefusesAServicesFolderOrUnitFolderAnotherUserOwns() async throws {
        let creator = safety.creator()
        try FileManager.default.createDirectory(at: creator.servicesFolder, withIntermediateDirectories: true)
        try OtherUser.give(creator.servicesFolder)
        let services = await #expect(throws: OwnershipError.self) { try await creator.create(safety.request(config)) }
        #expect(services?.path == creator.servicesFolder.path && services?.what == "the store")
        _ = lchown(creator.servicesFolder.path, 0, gid_t.max)
        try OtherUser.give(safety.units)
        let units = await #expect(throws: OwnershipError.self) { try await creator.create(safety.request(config, link: true)) }
        #expect(
            units?.description.hasPrefix("lavavisor runs as root and refuses the unit folder \(safety.units.path): it belongs to") == true)
        // Not linking: the unit folder is not used, and the service is made.
        _ = try await creator.create(safety.request(config))
    }

    @Test func startRefusesAUnitOrABinaryAnotherUserCanChangeBeforeAnySystemctl() async throws {
        let created = try await safety.creator().create(safety.request(config, link: true))
        try StandIn.install(version: "1.0.0", at: store.binary(for: v("1.0.0")), events: nil)
        try store.switchCurrent(to: v("1.0.0"))
        let before = safety.systemctl.calls.count
        try OtherUser.chmod(created.unitFile, 0o666)
        let unit = await #expect(throws: OwnershipError.self) { try await safety.backend().runWithoutCommands() }
        #expect(
            unit?.description
                == "lavavisor runs as root and refuses the unit \(created.link?.path ?? ""): \(created.unitFile.path) may be written by its group or others (mode 666); run 'chmod go-w \(created.unitFile.path)'"
        )
        try OtherUser.chmod(created.unitFile, 0o644)
        try OtherUser.give(store.binary(for: v("1.0.0")))
        let binary = await #expect(throws: OwnershipError.self) { try await safety.backend().runWithoutCommands() }
        #expect(binary?.checked == store.currentBinary.path && binary?.path == store.binary(for: v("1.0.0")).path)
        #expect(safety.systemctl.calls.count == before, "\(safety.systemctl.calls)")
        _ = lchown(store.binary(for: v("1.0.0")).path, 0, gid_t.max)
        try await safety.backend().runWithoutCommands()
        #expect(safety.systemctl.calls.contains(["restart", "--", created.name]))
    }
}
