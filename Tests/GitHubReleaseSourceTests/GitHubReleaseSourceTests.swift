import Core
import Foundation
import GitHubReleaseSource
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct GitHubReleaseSourceTests {
    let temp: TemporaryDirectory
    let logs = CapturedLogs()

    init() throws { temp = try TemporaryDirectory() }

    func source(_ host: FakeReleaseHost, platform: String = "linux/amd64", skipChecksum: Bool = false) throws -> GitHubReleaseSource {
        GitHubReleaseSource(
            releaseURL: URL(string: host.releaseURL)!, releasesAPI: URL(string: host.releasesAPI)!,
            platform: try Platform(parsing: platform),
            skipChecksum: skipChecksum, http: testHTTP, timeouts: testTimeouts, retries: testRetries,
            downloadTimeouts: HTTPTimeouts(connect: .seconds(30), total: .seconds(120), idle: .seconds(60)), logger: logs.logger())
    }

    /// A mirror without a listing, as `--release-url` alone makes it.
    func mirror(_ url: String, http: any HTTPExecutor = testHTTP, skipChecksum: Bool = false) throws -> GitHubReleaseSource {
        GitHubReleaseSource(
            releaseURL: URL(string: url)!, releasesAPI: nil, platform: try Platform(parsing: "linux/amd64"), skipChecksum: skipChecksum,
            http: http, timeouts: testTimeouts, retries: testRetries, logger: logs.logger())
    }

    @Test func listsOnlyPublishedReleasesWithThisPlatformsAsset() async throws {
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.0.0")
        host.publishStandIn("1.0.11")
        host.publishStandIn("1.2.0", platform: "darwin-arm64")
        host.publishStandIn("1.3.0-rc1")
        #expect(try await source(host).availableVersions() == [v("1.0.0"), v("1.0.11")])
        #expect(try await source(host, platform: "darwin/arm64").availableVersions() == [v("1.2.0")])
        // Cached: a second listing asks the API no more.
        let cached = try source(host)
        _ = try await cached.availableVersions()
        _ = try await cached.availableVersions()
        #expect(host.requests("/api/releases").count == 3)
        await host.stop()
    }

    @Test func downloadsAndVerifiesTheAsset() async throws {
        let host = try await FakeReleaseHost()
        let bytes = host.publishStandIn("1.1.0")
        let destination = temp.path("lavap")
        try await source(host).fetch(v("1.1.0"), to: destination)
        #expect(try Data(contentsOf: destination) == Data(bytes))
        #expect(host.requests("/download/v1.1.0/lavap-v1.1.0-linux-amd64").count == 1)
        #expect(host.requests("/download/v1.1.0/sha256sum.txt").count == 1)
        #expect(logs.text.contains("verified lavap-v1.1.0-linux-amd64 sha256=\(FakeReleaseHost.sha256(bytes))"))
        await host.stop()
    }

    @Test func aWrongChecksumIsRefusedAndTheStoreKeepsNothing() async throws {
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.1.0")
        host.setFile("/download/v1.1.0/sha256sum.txt", Array("\(String(repeating: "ab", count: 32))  lavap-v1.1.0-linux-amd64\n".utf8))
        let store = Store(directory: temp.url)
        let source = try source(host)
        await expectError(containing: "does not match its published checksum (expected sha256 abab") {
            try await store.install(v("1.1.0"), logger: logs.logger()) { try await source.fetch(v("1.1.0"), to: $0) }
        }
        #expect(!FileManager.default.fileExists(atPath: store.folder(for: v("1.1.0")).path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.staging.path).isEmpty)
        await host.stop()
    }

    @Test func aMissingChecksumIsRefusedUnlessSkipped() async throws {
        let host = try await FakeReleaseHost()
        host.publish(
            "1.1.0", asset: "lavap-v1.1.0-linux-amd64", bytes: Array(StandIn.script(version: "1.1.0", events: nil).utf8), listed: false)
        host.publish("1.1.0", asset: "other-file", bytes: [1, 2, 3])
        await expectError(containing: "lists no checksum for lavap-v1.1.0-linux-amd64; refusing an unverified binary") {
            try await source(host).fetch(v("1.1.0"), to: temp.path("a"))
        }
        host.setFile("/download/v1.1.0/sha256sum.txt", nil)
        await expectError(containing: "the release has no sha256sum.txt") {
            try await source(host).fetch(v("1.1.0"), to: temp.path("b"))
        }
        #expect(!FileManager.default.fileExists(atPath: temp.path("b").path))
        try await source(host, skipChecksum: true).fetch(v("1.1.0"), to: temp.path("c"))
        #expect(FileManager.default.fileExists(atPath: temp.path("c").path))
        #expect(logs.text.contains("WRN [Lavavisor] --skip-checksum: lavap-v1.1.0-linux-amd64 is installed without checking its SHA-256"))
        await host.stop()
    }

    @Test func resumesADroppedDownloadWithARange() async throws {
        let host = try await FakeReleaseHost()
        let padding = String(repeating: "# padding\n", count: 20_000)
        let bytes = Array((StandIn.script(version: "1.1.0", events: nil) + padding).utf8)
        host.publish("1.1.0", asset: "lavap-v1.1.0-linux-amd64", bytes: bytes)
        host.fault("/download/v1.1.0/lavap-v1.1.0-linux-amd64", .dropOnceAfter(bytes: 70_000))
        let destination = temp.path("lavap")
        try await source(host).fetch(v("1.1.0"), to: destination)
        #expect(try Data(contentsOf: destination) == Data(bytes))
        let requests = host.requests("/download/v1.1.0/lavap-v1.1.0-linux-amd64")
        #expect(requests.count == 2)
        // The drop happens at most 70000 bytes in (the kernel may lose some of what was in flight).
        let range = try #require(requests.last?.header("Range"))
        let resumedAt = try #require(Int(range.dropFirst("bytes=".count).dropLast()))
        #expect(range == "bytes=\(resumedAt)-")
        #expect(resumedAt > 0 && resumedAt <= 70_000)
        #expect(logs.text.contains("interrupted at \(resumedAt) bytes; resuming"))
        await host.stop()
    }

    @Test func startsOverWhenTheServerIgnoresRanges() async throws {
        let bytes = Array(String(repeating: "x", count: 100_000).utf8)
        let calls = Counter()
        let server = try await FakeHTTPServer { _ in
            calls.increment()
            return calls.value == 1
                ? .truncated(declared: bytes.count, body: Array(bytes.prefix(30_000))) : .respond(status: 200, body: bytes)
        }
        let downloader = Downloader(
            http: testHTTP, timeouts: HTTPTimeouts(connect: .seconds(30), total: .seconds(120), idle: .seconds(60)), logger: logs.logger())
        let result = try await downloader.download(URL(string: server.baseURL + "/asset")!, to: temp.path("asset"))
        #expect(result == Downloader.Result(bytes: bytes.count, sha256: FakeReleaseHost.sha256(bytes)))
        #expect(try Data(contentsOf: temp.path("asset")) == Data(bytes))
        // The cut comes after 30,000 bytes were sent; on a loaded machine the client may have read
        // none of them, and then it starts at 0 without a Range. Either way the file is whole.
        let resumedAt = logs.text.firstRange(of: "interrupted at ").map { logs.text[$0.upperBound...].prefix { $0.isNumber } } ?? ""
        let range = server.requests.last?.header("Range")
        #expect(resumedAt == "0" ? range == nil : range == "bytes=\(resumedAt)-", "resumed at \(resumedAt), Range \(range ?? "none")")
        #expect(server.requests.count == 2)
        await server.stop()
    }

    @Test(arguments: [
        (FakeReleaseHost.Fault.reply(.respond(status: 404, body: [])), "nothing is published at", 1),
        (.reply(.respond(status: 500, body: Array("oops".utf8))), "answered HTTP 500", 4),
        (.reply(.respond(status: 403, body: Array("rate limited".utf8))), "answered HTTP 403", 1),
        (.reply(.truncated(declared: 5000, body: [35, 33])), "closed the connection", 4),
    ])
    func badAnswersAreClearErrors(_ fault: FakeReleaseHost.Fault, _ message: String, _ tries: Int) async throws {
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.1.0")
        host.fault("/download/v1.1.0/lavap-v1.1.0-linux-amd64", fault)
        await expectError(containing: message) { try await source(host).fetch(v("1.1.0"), to: temp.path("lavap")) }
        #expect(host.requests("/download/v1.1.0/lavap-v1.1.0-linux-amd64").count == tries)
        await host.stop()
    }

    /// A mirror that declared 10 GiB had it written to staging/ in full before the checksum was
    /// compared: the declared size is refused before a byte is written, and never retried.
    @Test func aDeclaredSizeAboveTheLimitIsRefusedBeforeWriting() async throws {
        let server = try await FakeHTTPServer { _ in .truncated(declared: 10 << 30, body: Array(repeating: 1, count: 4096)) }
        let downloader = Downloader(
            http: testHTTP, timeouts: HTTPTimeouts(connect: .seconds(30), total: .seconds(120)), logger: logs.logger())
        await expectError(containing: "declares 10.7 GB, more than the 536.9 MB allowed; refused before writing") {
            _ = try await downloader.download(URL(string: server.baseURL + "/asset")!, to: temp.path("asset"))
        }
        #expect(try FileManager.default.attributesOfItem(atPath: temp.path("asset").path)[.size] as? Int == 0)
        #expect(server.requests.count == 1)
        await server.stop()
    }

    /// A body streamed without end is cut at the limit.
    @Test func aBodyThatStreamsPastTheLimitIsCutThere() async throws {
        let server = try await FakeHTTPServer { _ in .endless(chunk: 64 << 10, upTo: 64 << 20) }
        let downloader = Downloader(
            http: testHTTP, timeouts: HTTPTimeouts(connect: .seconds(30), total: .seconds(120)), maxBytes: 1 << 20, logger: logs.logger())
        await expectError(containing: "sent more than the 1.0 MB allowed; stopped") {
            _ = try await downloader.download(URL(string: server.baseURL + "/asset")!, to: temp.path("asset"))
        }
        let written = try #require(try FileManager.default.attributesOfItem(atPath: temp.path("asset").path)[.size] as? Int)
        #expect(written <= 1 << 20)
        #expect(server.requests.count == 1)
        await server.stop()
    }

    /// A declared size that the file system cannot hold (with the reserve) is refused up front.
    @Test func aDownloadLargerThanTheFreeSpaceIsRefusedUpFront() async throws {
        var info = statvfs()
        #expect(statvfs(temp.url.path, &info) == 0)
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        let server = try await FakeHTTPServer { _ in .truncated(declared: free, body: []) }
        let downloader = Downloader(
            http: testHTTP, timeouts: HTTPTimeouts(connect: .seconds(30), total: .seconds(120)), maxBytes: .max, logger: logs.logger())
        await expectError(containing: "not enough free space for \(temp.path("asset").path)") {
            _ = try await downloader.download(URL(string: server.baseURL + "/asset")!, to: temp.path("asset"))
        }
        await server.stop()
    }

    @Test func aStalledDownloadTimesOut() async throws {
        let server = try await FakeHTTPServer { _ in .silent }
        let downloader = Downloader(
            http: testHTTP, timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(20), idle: .milliseconds(300)), attempts: 1,
            logger: logs.logger())
        await expectError(containing: "the server sent nothing for 0.3 seconds") {
            _ = try await downloader.download(URL(string: server.baseURL + "/asset")!, to: temp.path("asset"))
        }
        await server.stop()
    }

    @Test(arguments: [
        ("<html>404 page</html>", "Exec format error"),
        (StandIn.script(version: "1.0.9", events: nil), "it reports version 1.0.9"),
    ])
    func assetsThatAreNotTheRightLavapAreRefused(_ content: String, _ message: String) async throws {
        let host = try await FakeReleaseHost()
        host.publish("1.1.0", asset: "lavap-v1.1.0-linux-amd64", bytes: Array(content.utf8))
        let store = Store(directory: temp.url)
        let source = try source(host)
        await expectError(containing: message) {
            try await store.install(v("1.1.0"), logger: logs.logger()) { try await source.fetch(v("1.1.0"), to: $0) }
        }
        #expect(store.installedVersions().isEmpty)
        await host.stop()
    }

    @Test func theMonitorFallsBackAcrossPublishedVersionsWhenTheTargetIsMissing() async throws {
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.0.0")
        host.publishStandIn("1.0.10")
        host.publishStandIn("1.0.11")
        host.fault("/download/v1.0.11/lavap-v1.0.11-linux-amd64", .reply(.respond(status: 404, body: [])))
        let store = Store(directory: temp.url)
        try store.prepare()
        let monitor = Monitor(
            source: ScriptedVersionSource(required(target: "1.0.12", min: "1.0.1")), binaries: try source(host), store: store,
            autoDownload: true, logger: logs.logger())
        #expect(await monitor.check() == .switchTo(v("1.0.10")))
        #expect(host.requests("/download/v1.0.12/lavap-v1.0.12-linux-amd64").isEmpty)
        #expect(host.requests("/download/v1.0.11/lavap-v1.0.11-linux-amd64").count == 1)
        #expect(host.requests("/download/v1.0.0/lavap-v1.0.0-linux-amd64").isEmpty)
        await host.stop()
    }

    @Test func withoutAListingTheHighestVersionBetweenIsFoundByProbingTheMirror() async throws {
        let host = try await FakeReleaseHost()
        for version in ["1.0.0", "1.0.10", "1.1.2"] { host.publishStandIn(version) }
        let source = try mirror(host.releaseURL)
        let requirement = VersionRequirement(target: v("1.2.0"), minimum: v("1.0.0"))
        #expect(try await source.availableVersions(for: requirement) == [v("1.0.0"), v("1.1.2"), v("1.2.0")])
        // Highest first, and the first one found ends the search: 1.0.10 is never asked.
        #expect(host.server.requests.map(\.uri) == (2...12).reversed().map { "/download/v1.1.\($0)/sha256sum.txt" })
        // Found and absent versions are both cached: the next poll asks nothing.
        #expect(try await source.availableVersions(for: requirement) == [v("1.0.0"), v("1.1.2"), v("1.2.0")])
        #expect(host.server.requests.count == 11)
        await host.stop()
    }

    @Test func probesAreBoundedAndAbsentVersionsAreCached() async throws {
        let host = try await FakeReleaseHost()
        host.publishStandIn("1.0.0")
        let source = try mirror(host.releaseURL)
        let requirement = VersionRequirement(target: v("1.2.0"), minimum: v("1.0.0"))
        #expect(try await source.availableVersions(for: requirement) == [v("1.0.0"), v("1.2.0")])
        // At most 16 probes: 1.1.12 down to 1.1.0, then 1.0.12 down to 1.0.10; neither target nor minimum.
        let expected = (0...12).reversed().map { "1.1.\($0)" } + ["1.0.12", "1.0.11", "1.0.10"]
        #expect(host.server.requests.map(\.uri) == expected.map { "/download/v\($0)/sha256sum.txt" })
        #expect(try await source.availableVersions(for: requirement) == [v("1.0.0"), v("1.2.0")])
        #expect(host.server.requests.count == 16)
        // Nothing lies strictly between a minimum and a target one patch apart.
        #expect(
            try await source.availableVersions(for: VersionRequirement(target: v("1.0.1"), minimum: v("1.0.0"))) == [
                v("1.0.0"), v("1.0.1"),
            ])
        #expect(host.server.requests.count == 16)
        await host.stop()
    }

    @Test func withSkipChecksumTheAssetItselfIsProbed() async throws {
        let host = try await FakeReleaseHost()
        let padding = String(repeating: "# padding\n", count: 200_000)
        host.publish(
            "1.1.2", asset: "lavap-v1.1.2-linux-amd64", bytes: Array((StandIn.script(version: "1.1.2", events: nil) + padding).utf8))
        host.setFile("/download/v1.1.2/sha256sum.txt", nil)
        let requirement = VersionRequirement(target: v("1.1.4"), minimum: v("1.1.0"))
        #expect(try await mirror(host.releaseURL).availableVersions(for: requirement) == [v("1.1.0"), v("1.1.4")])
        #expect(
            try await mirror(host.releaseURL, skipChecksum: true).availableVersions(for: requirement) == [
                v("1.1.0"), v("1.1.2"), v("1.1.4"),
            ])
        #expect(host.requests("/download/v1.1.2/lavap-v1.1.2-linux-amd64").count == 1)
        await host.stop()
    }

    @Test func anUnreachableMirrorStopsTheProbingAndOffersTargetAndMinimum() async throws {
        let refusing = try RefusingPort()
        let http = CountingHTTP()
        let source = try mirror(refusing.url + "/download", http: http)
        let requirement = VersionRequirement(target: v("1.2.0"), minimum: v("1.0.0"))
        #expect(try await source.availableVersions(for: requirement) == [v("1.0.0"), v("1.2.0")])
        // One refused probe ends the search, without retries; the next poll leaves the mirror alone.
        #expect(http.count == 1)
        #expect(try await source.availableVersions(for: requirement) == [v("1.0.0"), v("1.2.0")])
        #expect(http.count == 1)
        #expect(logs.all.filter { $0.contains("the release mirror does not answer") }.count == 1)
    }

    @Test func aFailedListingIsNotAskedAgainForAWhile() async throws {
        let host = try await FakeReleaseHost()
        host.fault("/api/limited", .reply(.respond(status: 403, body: Array("rate limited".utf8))))
        let source = GitHubReleaseSource(
            releaseURL: URL(string: host.releaseURL)!, releasesAPI: URL(string: host.server.baseURL + "/api/limited")!,
            platform: try Platform(parsing: "linux/amd64"), http: testHTTP, timeouts: testTimeouts, retries: testRetries,
            logger: logs.logger())
        let requirement = VersionRequirement(target: v("1.2.0"), minimum: v("1.0.0"))
        // The same error each time, so that the monitor logs it once; the listing is asked once.
        await expectError(containing: "answered HTTP 403: rate limited") { _ = try await source.availableVersions(for: requirement) }
        await expectError(containing: "answered HTTP 403: rate limited") { _ = try await source.availableVersions(for: requirement) }
        #expect(host.requests("/api/limited").count == 1)
        await host.stop()
    }

    @Test func anUnreachableListingIsNotAskedAgainForAWhile() async throws {
        let refusing = try RefusingPort()
        let http = CountingHTTP()
        let source = GitHubReleaseSource(
            releaseURL: URL(string: refusing.url + "/download")!, releasesAPI: URL(string: refusing.url + "/api")!,
            platform: try Platform(parsing: "linux/amd64"), http: http, timeouts: testTimeouts, retries: testRetries, logger: logs.logger())
        let requirement = VersionRequirement(target: v("1.2.0"), minimum: v("1.0.0"))
        // A refused connection fails at once (no retry within the check) and is kept for a while.
        await expectError(containing: "connection refused") { _ = try await source.availableVersions(for: requirement) }
        #expect(testRetries.attempts > 1)
        #expect(http.count == 1)
        await expectError(containing: "connection refused") { _ = try await source.availableVersions(for: requirement) }
        #expect(http.count == 1)
    }

    @Test func theFactoryReadsTheFlags() throws {
        func make(_ flags: [String]) throws -> GitHubReleaseSource {
            try GitHubReleaseSource.make(
                options: .parse(flags), context: PluginContext(store: Store(directory: temp.url), logger: logs.logger()))
        }
        let defaults = try make([])
        #expect(defaults.releaseURL.absoluteString == GitHubReleaseSource.defaultReleaseURL)
        #expect(defaults.releasesAPI?.absoluteString == GitHubReleaseSource.defaultReleasesAPI)
        #expect(defaults.platform == Platform.current)
        let source = try make(["--platform", "darwin/arm64", "--release-url", "http://mirror.local/dl/"])
        #expect(source.assetName(v("6.2.5")) == "lavap-v6.2.5-darwin-arm64")
        #expect(source.releaseURL.absoluteString == "http://mirror.local/dl")
        // A mirror goes without the public listing unless one is named.
        #expect(source.releasesAPI == nil)
        let listed = try make(["--release-url", "http://mirror.local/dl", "--releases-api", "http://mirror.local/api"])
        #expect(listed.releasesAPI?.absoluteString == "http://mirror.local/api")
        #expect(try make(["--releases-api", ""]).releasesAPI == nil)
        #expect(throws: (any Error).self) { try GitHubReleaseSource.Options.parse(["--platform", "windows/x86"]) }
        #expect(throws: (any Error).self) { try GitHubReleaseSource.Options.parse(["--download-idle-timeout", "0"]) }
    }
}

/// The real client, counting the requests it is asked to send.
final class CountingHTTP: HTTPExecutor {
    private let sent = Mutex(0)

    /// The requests so far.
    var count: Int { sent.withLock { $0 } }

    func execute(_ request: HTTPRequest, timeouts: HTTPTimeouts, maxBodyBytes: Int) async throws -> HTTPResponse {
        sent.withLock { $0 += 1 }
        return try await testHTTP.execute(request, timeouts: timeouts, maxBodyBytes: maxBodyBytes)
    }

    func stream(
        _ request: HTTPRequest, timeouts: HTTPTimeouts, head: (HTTPResponseHead) throws -> Void, body: ([UInt8]) async throws -> Void
    ) async throws {
        sent.withLock { $0 += 1 }
        try await testHTTP.stream(request, timeouts: timeouts, head: head, body: body)
    }
}
