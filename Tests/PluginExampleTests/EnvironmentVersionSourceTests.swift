import ArgumentParser
import Core
import Foundation
import TestSupport
import Testing

/// The composition root of a build with the example plugin: one line mounts it.
struct ExamplePlugins: ParsableArguments {
    @OptionGroup(title: EnvironmentVersionSource.optionsTitle) var env: EnvironmentVersionSource.Options
}

@Suite struct EnvironmentVersionSourceTests {
    @Test func readsTheVersionFromTheEnvironment() async throws {
        let source = EnvironmentVersionSource { ["LAVA_REQUIRED_VERSION": "6.2.5"] }
        let reading = try await source.read()
        #expect(reading.versions.target == v("6.2.5"))
        #expect(reading.versions.minimum == v("6.2.5"))
    }

    @Test func aMissingOrBadVariableIsAClearError() async throws {
        await #expect(throws: EnvironmentVersionMissing(variable: "LAVA_REQUIRED_VERSION")) {
            try await EnvironmentVersionSource { [:] }.read()
        }
        await #expect(throws: VersionParseError(text: "latest")) {
            try await EnvironmentVersionSource { ["LAVA_REQUIRED_VERSION": "latest"] }.read()
        }
        #expect(throws: (any Error).self) { try EnvironmentVersionSource.Options.parse(["--version-variable", "A=B"]) }
    }

    @Test func itsFlagsAreMountedUnderItsTitleAndReachTheFactory() async throws {
        let registry = try PluginRegistry(mounted: [ExamplePlugins.self])
        #expect(try registry.versionSource("env") == EnvironmentVersionSource.self)
        #expect(ExamplePlugins.helpMessage().uppercased().contains("ENV VERSION SOURCE"))
        #expect(ExamplePlugins.helpMessage().contains("--version-variable"))

        let parsed = try ExamplePlugins.parse(["--version-variable", "MY_VERSION"])
        let temp = try TemporaryDirectory()
        let source = try registry.makeVersionSource(
            "env", options: PluginOptionValues(collecting: parsed),
            context: PluginContext(store: Store(directory: temp.url), logger: CapturedLogs().logger()))
        #expect((source as? EnvironmentVersionSource)?.variable == "MY_VERSION")
    }

    @Test func registersBesideOthersAndDrivesTheMonitor() async throws {
        let registry = try PluginRegistry(
            versionSources: [EnvironmentVersionSource.self], binarySources: [StandInBinarySource.self], processBackends: [])
        #expect(try registry.versionSource("env") == EnvironmentVersionSource.self)

        let temp = try TemporaryDirectory()
        let store = Store(directory: temp.url)
        try store.prepare()
        let monitor = Monitor(
            source: EnvironmentVersionSource { ["LAVA_REQUIRED_VERSION": "1.1.0"] },
            binaries: StandInBinarySource([v("1.0.0"), v("1.1.0")]), store: store, autoDownload: true,
            logger: CapturedLogs().logger())
        #expect(await monitor.check() == .switchTo(v("1.1.0")))
        #expect(store.currentVersion() == v("1.1.0"))
    }
}
