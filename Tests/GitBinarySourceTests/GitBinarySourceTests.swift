import Core
import Foundation
import GitBinarySource
import TestSupport
import Testing

/// The git source against real repositories made in a temp folder, whose build writes a stand-in lavap.
@Suite struct GitBinarySourceTests {
    let temp: TemporaryDirectory
    let repository: URL
    let logs = CapturedLogs()

    init() throws {
        temp = try TemporaryDirectory()
        repository = temp.path("lava")
        try temp.write(
            """
            #!/bin/sh
            # Stand-in build: writes a stand-in lavap reporting the checked-out VERSION.
            echo "building stand-in lavap $(cat VERSION)"
            printf '#!/bin/sh\\nif [ "$1" = version ]; then echo %s; exit 0; fi\\nexit 0\\n' "$(cat VERSION)" > "$LAVAVISOR_OUT"
            """, to: "lava/build.sh")
        try git("init", "--quiet", "--initial-branch=main")
        for (version, tags) in [("1.0.0", ["v1.0.0"]), ("1.1.0", ["v1.1.0", "latest", "v1.2.0-rc1"]), ("1.1.1", ["Specs-0.6.0"])] {
            try temp.write(version + "\n", to: "lava/VERSION")
            try git("add", ".")
            try git("commit", "--quiet", "-m", "version \(version)")
            for tag in tags { try git("tag", tag) }
        }
    }

    @discardableResult
    func git(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", repository.path, "-c", "user.name=test", "-c", "user.email=test@example.com"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("git \(arguments) failed: \(output)") }
        return output
    }

    func source(build: String? = "sh build.sh", searchPath: String? = nil) -> GitBinarySource {
        GitBinarySource(
            repository: repository.path, buildCommand: build,
            searchPath: searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", logger: logs.logger())
    }

    /// A folder holding only a link to git: a PATH without go.
    func pathWithGitOnly() throws -> String {
        let folder = temp.path("only-git")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let git = try #require(
            (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/git" }
                .first { FileManager.default.isExecutableFile(atPath: $0) })
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("git").path, withDestinationPath: git)
        return folder.path
    }

    @Test func listsTheReleaseTagsOnly() async throws {
        #expect(try await source().availableVersions() == [v("1.0.0"), v("1.1.0")])
    }

    @Test func buildsTheTagIntoTheStoreAndCleansTheCheckout() async throws {
        let store = Store(directory: temp.url)
        let source = source()
        try await store.install(v("1.1.0"), logger: logs.logger()) { try await source.fetch(v("1.1.0"), to: $0) }
        #expect(store.installedVersions() == [v("1.1.0")])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.folder(for: v("1.1.0")).path) == ["lavap"])
        #expect(await BinaryProbe.version(of: store.binary(for: v("1.1.0")).path) == v("1.1.0"))
        #expect(logs.text.contains("INF [Lavavisor] build: building stand-in lavap 1.1.0"))
        try await store.install(v("1.0.0"), logger: logs.logger()) { try await source.fetch(v("1.0.0"), to: $0) }
        #expect(await BinaryProbe.version(of: store.binary(for: v("1.0.0")).path) == v("1.0.0"))
    }

    @Test func aFailingBuildIsAClearErrorWithItsOutputLogged() async throws {
        let store = Store(directory: temp.url)
        let source = source(build: "echo 'compile error: missing module' >&2; exit 3")
        do {
            try await store.install(v("1.1.0"), logger: logs.logger()) { try await source.fetch(v("1.1.0"), to: $0) }
            Issue.record("the build should fail")
        } catch {
            #expect("\(error)".contains("building 1.1.0 failed with exit status 3: compile error: missing module"))
        }
        #expect(logs.text.contains("build: compile error: missing module"))
        #expect(store.installedVersions().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.staging.path).isEmpty)
    }

    @Test func aBuildThatWritesNothingOrAMissingTagIsAClearError() async throws {
        await #expect(throws: GitSourceError.self) { try await source(build: "true").fetch(v("1.1.0"), to: temp.path("out")) }
        do {
            try await source().fetch(v("9.9.9"), to: temp.path("out2"))
            Issue.record("cloning a missing tag should fail")
        } catch {
            #expect("\(error)".contains("cannot clone v9.9.9 of \(repository.path)"))
            #expect("\(error)".contains("fatal:") || "\(error)".contains("warning:"), "git's own line: \(error)")
        }
    }

    @Test func theDefaultBuildNeedsGoAndSaysHowToGetIt() async throws {
        let source = source(build: nil, searchPath: try pathWithGitOnly())
        do {
            try await source.fetch(v("1.1.0"), to: temp.path("out"))
            Issue.record("building without go should fail")
        } catch {
            #expect("\(error)".contains("go is not installed (not found on PATH): install Go 1.20 or later"))
            #expect("\(error)".contains("never downloads a toolchain"))
        }
        let withoutGit = self.source(searchPath: temp.path("only-git").appendingPathComponent("nothing").path)
        await #expect(throws: GitSourceError.self) { try await withoutGit.availableVersions() }
    }

    @Test func theDefaultBuildFollowsTheOriginalsLayout() {
        #expect(GitBinarySource.defaultBuildCommand(for: v("0.21.9")) == #"go build -o "$LAVAVISOR_OUT" ./cmd/lavad"#)
        #expect(GitBinarySource.defaultBuildCommand(for: v("0.22.0")) == #"go build -o "$LAVAVISOR_OUT" ./cmd/lavap"#)
        #expect(GitBinarySource.defaultBuildCommand(for: v("6.2.5")) == #"go build -o "$LAVAVISOR_OUT" ./cmd/lavap"#)
    }

    @Test func anUnreachableRepositoryIsAClearError() async throws {
        let missing = GitBinarySource(repository: temp.path("nope").path, logger: logs.logger())
        do {
            _ = try await missing.availableVersions()
            Issue.record("listing a missing repository should fail")
        } catch {
            #expect("\(error)".contains("cannot list the tags of \(temp.path("nope").path)"))
            // git's own cause, not its closing advice ("and the repository exists.").
            #expect("\(error)".contains(": fatal: '\(temp.path("nope").path)' does not appear to be a git repository"), "\(error)")
        }
    }
}

/// Issue 18: the repository (`--repo-url`), the tag and the checkout reach git after `--` or as
/// `--branch=TAG`, so that a value starting with `-` is never taken for one of git's options.
extension GitBinarySourceTests {
    /// A folder with a stand-in `git` (NOT the real one) that records its arguments, one per line, and a real `go`-less PATH.
    func recordingGit() throws -> (path: String, calls: URL) {
        let calls = temp.path("git-calls")
        try temp.write(
            """
            #!/bin/sh
            # STAND-IN for git, for tests: records its arguments, then fails.
            for word in "$@"; do printf '%s\\n' "$word"; done >> '\(calls.path)'
            echo END >> '\(calls.path)'
            exit 2
            """, to: "recording-git/git", executable: true)
        return (temp.path("recording-git").path, calls)
    }

    /// The recorded calls, each as its arguments.
    func recorded(_ calls: URL) throws -> [[String]] {
        let text = try String(contentsOf: calls, encoding: .utf8)
        return text.components(separatedBy: "END\n").dropLast().map {
            $0.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
    }

    @Test func theRepositoryAndCheckoutComeAfterDoubleDash() async throws {
        let git = try recordingGit()
        let repository = "--upload-pack=touch \(temp.path("PWNED").path); git-upload-pack \(repository.path)"
        let source = GitBinarySource(repository: repository, buildCommand: "true", searchPath: git.path, logger: logs.logger())
        await #expect(throws: GitSourceError.self) { try await source.availableVersions() }
        await #expect(throws: GitSourceError.self) { try await source.fetch(v("1.1.0"), to: temp.path("staging/lavap")) }
        let calls = try recorded(git.calls)
        #expect(calls.first == ["ls-remote", "--tags", "--refs", "--", repository])
        #expect(
            calls.last == ["clone", "--quiet", "--depth", "1", "--branch=v1.1.0", "--", repository, temp.path("staging/src").path])
    }

    @Test func aRepositoryThatLooksLikeAnOptionIsNeverRunAsOne() async throws {
        // With the real git: were it an option, git would run `touch` as its upload-pack.
        let pwned = temp.path("PWNED")
        let repository = "--upload-pack=touch \(pwned.path); git-upload-pack \(self.repository.path)"
        let source = GitBinarySource(repository: repository, buildCommand: "sh build.sh", logger: logs.logger())
        await #expect(throws: GitSourceError.self) { try await source.availableVersions() }
        await #expect(throws: GitSourceError.self) { try await source.fetch(v("1.1.0"), to: temp.path("staging/lavap")) }
        #expect(!FileManager.default.fileExists(atPath: pwned.path))
    }
}
