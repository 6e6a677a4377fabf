import Core
import TestSupport
import Testing

@Suite struct PluginRegistryTests {
    final class OtherScripted: VersionSource {
        static let id = "scripted"
        static let summary = "a second plugin with a taken id"
        static func make(context: PluginContext) throws -> OtherScripted { OtherScripted() }
        func read() async throws -> VersionReading { throw TestFailure("unused") }
    }

    @Test func rejectsDuplicateIds() {
        #expect(throws: RegistryError.duplicate(point: .versionSource, id: "scripted")) {
            try PluginRegistry(versionSources: [ScriptedVersionSource.self, OtherScripted.self], binarySources: [], processBackends: [])
        }
    }

    @Test func reportsUnknownIdsWithTheKnownOnes() throws {
        let registry = try PluginRegistry(
            versionSources: [ScriptedVersionSource.self], binarySources: [StandInBinarySource.self], processBackends: [])
        #expect(throws: RegistryError.unknown(point: .binarySource, id: "git", available: ["stand-in"])) {
            try registry.binarySource("git")
        }
        do { _ = try registry.processBackend("systemd") } catch {
            #expect(error.description == "unknown backend 'systemd'; available: none")
        }
        #expect(try registry.versionSource("scripted") == ScriptedVersionSource.self)
    }

    @Test func listsEntriesByExtensionPoint() throws {
        let registry = try PluginRegistry(
            versionSources: [ScriptedVersionSource.self], binarySources: [StandInBinarySource.self], processBackends: [])
        #expect(registry.entries.map(\.id) == ["scripted", "stand-in"])
        #expect(registry.entries.map(\.point) == [.versionSource, .binarySource])
        #expect(registry.ids(.binarySource) == ["stand-in"])
    }
}
