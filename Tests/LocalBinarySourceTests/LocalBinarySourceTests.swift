import Core
import Foundation
import LocalBinarySource
import TestSupport
import Testing

@Suite struct LocalBinarySourceTests {
    let temp: TemporaryDirectory
    let folder: URL

    init() throws {
        temp = try TemporaryDirectory()
        folder = temp.path("bin")
        try StandIn.install(version: "1.0.0", at: folder.appendingPathComponent("v1.0.0/lavap"), events: nil)
        try StandIn.install(version: "1.0.12", at: folder.appendingPathComponent("lavap-v1.0.12"), events: nil)
        // Both layouts for 2.0.0, told apart by their text: the folder layout must win.
        try StandIn.install(version: "2.0.0", at: folder.appendingPathComponent("lavap-v2.0.0"), events: temp.path("flat"))
        try StandIn.install(version: "2.0.0", at: folder.appendingPathComponent("v2.0.0/lavap"), events: nil)
        // Noise that must not be offered.
        try temp.write("not executable", to: "bin/v3.0.0/lavap")
        try StandIn.install(version: "4.0.0", at: folder.appendingPathComponent("v4.0.0-rc1/lavap"), events: nil)
        try StandIn.install(version: "5.0.0", at: folder.appendingPathComponent("latest/lavap"), events: nil)
        try StandIn.install(version: "6.0.0", at: folder.appendingPathComponent("v6.0.0/other"), events: nil)
    }

    @Test func listsBothLayoutsAndNothingElse() async throws {
        #expect(try await LocalBinarySource(folder: folder).availableVersions() == [v("1.0.0"), v("1.0.12"), v("2.0.0")])
    }

    @Test func fetchCopiesTheWholeBinary() async throws {
        let source = LocalBinarySource(folder: folder)
        for version in ["1.0.0", "1.0.12"] {
            let destination = temp.path("out-\(version)")
            try await source.fetch(v(version), to: destination)
            #expect(try Data(contentsOf: destination) == Data(StandIn.script(version: version, events: nil).utf8))
        }
        let preferred = temp.path("out-2")
        try await source.fetch(v("2.0.0"), to: preferred)
        #expect(try Data(contentsOf: preferred) == Data(contentsOf: folder.appendingPathComponent("v2.0.0/lavap")))
        #expect(try Data(contentsOf: preferred) != Data(contentsOf: folder.appendingPathComponent("lavap-v2.0.0")))
    }

    @Test func fetchRefusesToOverwrite() async throws {
        let destination = try temp.write("already here", to: "taken")
        await #expect(throws: SystemError.self) { try await LocalBinarySource(folder: folder).fetch(v("1.0.0"), to: destination) }
        #expect(try String(contentsOf: destination, encoding: .utf8) == "already here")
    }

    @Test func aMissingVersionOrFolderIsAClearError() async throws {
        let missing = await #expect(throws: LocalSourceError.self) {
            try await LocalBinarySource(folder: folder).fetch(v("9.9.9"), to: temp.path("x"))
        }
        #expect(missing?.description.contains("has no lavap for 9.9.9") == true)
        #expect(!FileManager.default.fileExists(atPath: temp.path("x").path))
        let unlisted = await #expect(throws: LocalSourceError.self) {
            try await LocalBinarySource(folder: temp.path("missing")).availableVersions()
        }
        #expect(unlisted?.description.contains("cannot list the binaries folder") == true)
        #expect(unlisted?.description.contains("--binaries-dir") == true)
    }

    @Test func theFactoryNeedsTheFlag() throws {
        let context = PluginContext(store: Store(directory: temp.url), logger: CapturedLogs().logger())
        #expect(throws: OptionError.self) { try LocalBinarySource.make(options: .parse([]), context: context) }
        #expect(try LocalBinarySource.make(options: .parse(["--binaries-dir", folder.path]), context: context).folder.path == folder.path)
    }
}
