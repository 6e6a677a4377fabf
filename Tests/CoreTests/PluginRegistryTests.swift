import ArgumentParser
import Core
import TestSupport
import Testing

@Suite struct PluginRegistryTests {
    final class OtherScripted: VersionSource {
        static let id = "scripted"
        static let summary = "a second plugin with a taken id"
        struct Options: PluginOptions {
            typealias Owner = OtherScripted
            @Option(name: .customLong("other-flag")) var flag = "default"
        }
        let flag: String
        init(flag: String) { self.flag = flag }
        static func make(options: Options, context: PluginContext) throws -> OtherScripted { OtherScripted(flag: options.flag) }
        func read() async throws -> VersionReading { throw TestFailure("unused") }
    }

    /// A composition root as the CLI's: one titled option group per plugin.
    struct Mounted: ParsableArguments {
        @OptionGroup(title: OtherScripted.optionsTitle) var other: OtherScripted.Options
        @OptionGroup(title: StandInBinarySource.optionsTitle) var standIn: StandInBinarySource.Options
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
        let error = #expect(throws: RegistryError.self) { try registry.processBackend("systemd") }
        #expect(error?.description == "unknown backend 'systemd'; available: none")
        #expect(try registry.versionSource("scripted") == ScriptedVersionSource.self)
    }

    @Test func listsEntriesByExtensionPoint() throws {
        let registry = try PluginRegistry(
            versionSources: [ScriptedVersionSource.self], binarySources: [StandInBinarySource.self], processBackends: [])
        #expect(registry.entries.map(\.id) == ["scripted", "stand-in"])
        #expect(registry.entries.map(\.point) == [.versionSource, .binarySource])
        #expect(registry.ids(.binarySource) == ["stand-in"])
    }

    @Test func isReadFromTheMountedOptionGroups() throws {
        let registry = try PluginRegistry(mounted: [Mounted.self])
        #expect(registry.ids(.versionSource) == ["scripted"])
        #expect(registry.ids(.binarySource) == ["stand-in"])
        #expect(try registry.versionSource("scripted") == OtherScripted.self)
        let help = Mounted.helpMessage()
        #expect(help.uppercased().contains("SCRIPTED VERSION SOURCE"))
        #expect(help.contains("--other-flag"))
    }

    @Test func buildsThePluginFromItsParsedFlagsOrItsDefaults() throws {
        let registry = try PluginRegistry(mounted: [Mounted.self])
        let context = PluginContext(store: Store(directory: try TemporaryDirectory().url), logger: CapturedLogs().logger())
        let parsed = PluginOptionValues(collecting: try Mounted.parse(["--other-flag", "given"]))
        let built = try registry.makeVersionSource("scripted", options: parsed, context: context)
        #expect((built as? OtherScripted)?.flag == "given")
        let defaulted = try registry.makeVersionSource("scripted", options: PluginOptionValues(), context: context)
        #expect((defaulted as? OtherScripted)?.flag == "default")
        #expect(throws: RegistryError.self) { try registry.makeVersionSource("nope", options: parsed, context: context) }
    }

    @Test func theDefaultListingOfABinarySourceSaysItCannotList() async throws {
        await #expect(throws: ListingUnavailable(source: "stand-in")) {
            _ = try await StandInBinarySource([v("1.0.0")]).availableVersions()
        }
        #expect(
            "\(ListingUnavailable(source: "stand-in"))" == "--source stand-in cannot list the versions it has; name the version (X.Y.Z)")
    }
}
