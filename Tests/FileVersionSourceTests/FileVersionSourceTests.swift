import Core
import FileVersionSource
import Foundation
import TestSupport
import Testing

@Suite struct FileVersionSourceTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    func read(_ text: String, name: String = "versions.yml") async throws -> ProtocolVersion {
        let file = try temp.write(text, to: name)
        return try await FileVersionSource(path: file).read().versions
    }

    /// Ten lines of anchors and aliases stand for 9^10 values: refused at 10000, not expanded.
    @Test func anAliasBombIsRefusedNotExpanded() {
        let lines = (0..<10).map { level in
            "l\(level): &l\(level) [" + Array(repeating: level == 0 ? "x" : "*l\(level - 1)", count: 9).joined(separator: ", ") + "]"
        }
        let refused = #expect(throws: VersionFileError.self) { try FileVersionSource.parse(lines.joined(separator: "\n"), path: "/v.yml") }
        #expect(refused?.description.contains("more than 10000 values once its aliases are expanded") == true)
        let large = #expect(throws: VersionFileError.self) {
            try FileVersionSource.parse("provider_target: 6.2.5\n#" + String(repeating: "x", count: 2 << 20), path: "/v.yml")
        }
        #expect(large?.description.contains("is larger than 1 MiB") == true)
    }

    @Test func readsFlatYAML() async throws {
        let versions = try await read("provider_target: 6.2.5\nprovider_min: 5.5.1\nconsumer_target: \"6.2.5\"\nconsumer_min: '5.5.1'\n")
        #expect(
            versions == (try ProtocolVersion(providerTarget: "6.2.5", providerMin: "5.5.1", consumerTarget: "6.2.5", consumerMin: "5.5.1")))
    }

    @Test func readsTheRESTAnswerSavedAsJSON() async throws {
        let json =
            #"{"params":{"version":{"provider_target":"6.2.5","provider_min":"5.5.1","consumer_target":"6.2.5","consumer_min":"5.5.1"}}}"#
        let versions = try await read(json, name: "params.json")
        #expect(versions.target == v("6.2.5"))
        #expect(versions.minimum == v("5.5.1"))
    }

    @Test func readsTheProposalsValueUnderVersion() async throws {
        let versions = try await read(
            "version:\n  provider_target: 0.26.1\n  consumer_target: 0.26.1\n  provider_min: 0.26.0\n  consumer_min: 0.26.0\n")
        #expect(versions.target == v("0.26.1"))
    }

    @Test func reReadsTheFileOnEveryCall() async throws {
        let file = try temp.write("provider_target: 1.0.0\nprovider_min: 1.0.0\nconsumer_target: 1.0.0\nconsumer_min: 1.0.0\n", to: "v.yml")
        let source = FileVersionSource(path: file)
        #expect(try await source.read().versions.target == v("1.0.0"))
        try temp.write("provider_target: 1.1.0\nprovider_min: 1.0.0\nconsumer_target: 1.1.0\nconsumer_min: 1.0.0\n", to: "v.yml")
        let reading = try await source.read()
        #expect(reading.versions.target == v("1.1.0"))
        #expect(reading.location == file.path)
    }

    @Test(arguments: [
        ("provider_target: 1.0.0\nprovider_min: 1.0.0\nconsumer_target: 1.0.0\n", "has no consumer_min"),
        (
            "provider_target: latest\nprovider_min: 1.0.0\nconsumer_target: 1.0.0\nconsumer_min: 1.0.0\n",
            "provider_target: 'latest' is not a version"
        ),
        (
            "provider_target: 1.0\nprovider_min: 1.0.0\nconsumer_target: 1.0.0\nconsumer_min: 1.0.0\n",
            "provider_target: 1.0, which is not a version text"
        ),
        (
            "provider_target: 1.0.0\nprovider_min: 2.0.0\nconsumer_target: 1.0.0\nconsumer_min: 1.0.0\n",
            "2.0.0 is above provider_target 1.0.0"
        ),
        ("- 1.0.0\n- 2.0.0\n", "must hold a mapping"),
        ("{\"provider_target\": \"1.0.0\"", "is neither JSON nor YAML"),
        ("", "must hold a mapping"),
    ])
    func badFilesAreClearErrors(_ text: String, _ expected: String) async throws {
        let file = try temp.write(text, to: "bad.yml")
        do {
            _ = try await FileVersionSource(path: file).read()
            Issue.record("expected an error containing \(expected)")
        } catch {
            #expect("\(error)".contains(expected))
            #expect("\(error)".contains(file.path))
        }
    }

    @Test func aMissingFileSaysWhatToDo() async throws {
        let missing = temp.path("nope.yml")
        let error = await #expect(throws: VersionFileError.self) { try await FileVersionSource(path: missing).read() }
        #expect(error?.description.contains("cannot be read") == true)
        #expect(error?.description.contains("--versions-file") == true)
    }

    @Test func theFactoryNeedsTheFlagAndResolvesRelativePaths() throws {
        let context = PluginContext(store: Store(directory: temp.url), logger: CapturedLogs().logger(), workingDirectory: temp.url)
        #expect(throws: OptionError.self) { try FileVersionSource.make(options: .parse([]), context: context) }
        // Missing at start: a mistyped path, said at once instead of failing every poll.
        let missing = #expect(throws: OptionError.self) {
            try FileVersionSource.make(options: .parse(["--versions-file", "sub/v.yml"]), context: context)
        }
        #expect(missing?.description.hasPrefix("--versions-file \(temp.path("sub/v.yml").path) does not exist") == true)
        try temp.write("provider_target: \"1.0.0\"\n", to: "sub/v.yml")
        let source = try FileVersionSource.make(options: .parse(["--versions-file", "sub/v.yml"]), context: context)
        #expect(source.path == temp.path("sub/v.yml").standardizedFileURL)
    }

    /// Yams' `load` stops the process on a key that is a list or a mapping (found by FuzzVersionsFile).
    @Test(arguments: ["{[a]: b}", "x:\n  ? {a: b}\n  : c\n"])
    func refusesKeysThatAreNotNames(_ text: String) {
        #expect(throws: VersionFileError.self) { try FileVersionSource.parse(text, path: "v.yml") }
        #expect(FileVersionSource.pendingVersions(inText: "pending:\n- " + text).isEmpty)
    }
}
