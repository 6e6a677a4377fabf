public import ArgumentParser
public import Core
public import Foundation
public import Logging
import Synchronization

/// The `github` binary source (default for `pod`): the release asset `lavap-vX.Y.Z-<os>-<arch>`,
/// verified against the release's `sha256sum.txt` while it streams to the staging file.
///
/// Published versions come from the releases API (only releases that carry this platform's asset),
/// cached for a few minutes so that polling never runs into the API's rate limit. A mirror without
/// a listing is probed instead: a few released-looking versions below the target (`MirrorProbes`).
public struct GitHubReleaseSource: BinarySource {
    public static let id = "github"
    public static let summary = "downloads release assets (--release-url), verified against the release's sha256sum.txt"

    /// The default `--release-url`.
    public static let defaultReleaseURL = "https://github.com/lavanet/lava/releases/download"
    /// The default `--releases-api`.
    public static let defaultReleasesAPI = "https://api.github.com/repos/lavanet/lava/releases?per_page=100"

    /// The flags of the `github` binary source.
    public struct Options: PluginOptions {
        public typealias Owner = GitHubReleaseSource

        /// `--release-url`.
        @Option(
            name: .customLong("release-url"),
            help:
                "Where assets are: URL/vX.Y.Z/lavap-vX.Y.Z-<os>-<arch> and URL/vX.Y.Z/sha256sum.txt (default: GitHub's releases of lavanet/lava)."
        )
        public var releaseURL: String?

        /// `--releases-api`.
        @Option(
            name: .customLong("releases-api"),
            help:
                "The release listing (GitHub's JSON); '' for none. Default: GitHub's, unless --release-url names a mirror, which is then used without a listing."
        )
        public var releasesAPI: String?

        /// `--platform`.
        @Option(help: "The asset platform os/arch (default: this machine's).")
        public var platform: String?

        /// `--skip-checksum`.
        @Flag(name: .customLong("skip-checksum"), help: "Accept assets without checking them against sha256sum.txt (unsafe).")
        public var skipChecksum = false

        /// `--download-idle-timeout`.
        @Option(
            name: .customLong("download-idle-timeout"),
            help: "How long a download may stall before it is resumed (default: \(Downloader.defaultIdleTimeout.flagText)).",
            transform: DurationText.seconds)
        public var downloadIdleTimeout: Double = Downloader.defaultIdleTimeout.seconds

        /// `--max-download-size`.
        @Option(
            name: .customLong("max-download-size"),
            help:
                "The largest asset accepted, e.g. 512MiB or 1GB; a larger one is refused before it is written (a lavap release is about 100 MB)."
        )
        public var maxDownloadSize = "512MiB"

        /// The defaults.
        public init() {}

        /// Checks the values that need no network.
        public func validate() throws {
            try DurationText.requirePositive(["--download-idle-timeout": downloadIdleTimeout])
            if let platform { _ = try Platform(parsing: platform) }
            guard let size = ByteCount.parse(maxDownloadSize), size > 0 else {
                throw ValidationError(
                    "--max-download-size must be a size such as 512MiB, 1GB or a number of bytes, got '\(maxDownloadSize)'")
            }
        }
    }

    /// Where assets are: `BASE/vX.Y.Z/<asset>`.
    public let releaseURL: URL
    /// The release listing (GitHub's JSON); nil when there is none.
    public let releasesAPI: URL?
    /// The platform of the asset.
    public let platform: Platform
    /// Whether to accept binaries without checking their SHA-256 (`--skip-checksum`).
    public let skipChecksum: Bool
    private let http: any HTTPExecutor
    private let timeouts: HTTPTimeouts
    private let retries: RetryPolicy
    private let downloader: Downloader
    private let logger: Logger
    private let listing = ListingCache()
    private let probes = MirrorProbes()

    /// A source; `downloadTimeouts` apply to the asset, `timeouts` to the small files and the listing.
    public init(
        releaseURL: URL, releasesAPI: URL?, platform: Platform = .current, skipChecksum: Bool = false, http: any HTTPExecutor,
        timeouts: HTTPTimeouts = HTTPTimeouts(), retries: RetryPolicy = RetryPolicy(),
        downloadTimeouts: HTTPTimeouts = Downloader.defaultTimeouts, maxDownloadBytes: Int = Downloader.defaultMaxBytes,
        logger: Logger, output: OutputStyle = .interactive
    ) {
        self.releaseURL = releaseURL
        self.releasesAPI = releasesAPI
        self.platform = platform
        self.skipChecksum = skipChecksum
        self.http = http
        self.timeouts = timeouts
        self.retries = retries
        self.downloader = Downloader(http: http, timeouts: downloadTimeouts, maxBytes: maxDownloadBytes, logger: logger, output: output)
        self.logger = logger
    }

    public static func make(options: Options, context: PluginContext) throws -> GitHubReleaseSource {
        let platform = try options.platform.map { try Platform(parsing: $0) } ?? .current
        // A mirror (a custom --release-url) is used without the public listing unless one is named:
        // an air-gapped host must not wait for api.github.com on every check.
        let listing: String? =
            switch options.releasesAPI {
            case .some(""): nil
            case .some(let url): url
            case .none: options.releaseURL == nil ? defaultReleasesAPI : nil
            }
        return GitHubReleaseSource(
            releaseURL: try HTTPURL.parse(options.releaseURL ?? defaultReleaseURL, flag: "--release-url"),
            releasesAPI: try listing.map { try HTTPURL.parse($0, flag: "--releases-api") },
            platform: platform, skipChecksum: options.skipChecksum, http: context.http, timeouts: context.timeouts,
            retries: context.retries,
            downloadTimeouts: HTTPTimeouts(
                connect: context.timeouts.connect, total: Downloader.defaultTimeouts.total, idle: .seconds(options.downloadIdleTimeout)),
            maxDownloadBytes: ByteCount.parse(options.maxDownloadSize) ?? Downloader.defaultMaxBytes,
            logger: context.logger, output: context.output)
    }

    /// The asset's file name for `version`.
    public func assetName(_ version: SemanticVersion) -> String { Self.assetName(version, platform: platform) }

    /// The published versions from the listing. Without a listing: the target and the minimum
    /// (unprobed: the monitor tries the next lower one when a fetch fails) and the highest version
    /// between them that a probe finds on the mirror (see `MirrorProbes`).
    public func availableVersions(for requirement: VersionRequirement) async throws -> [SemanticVersion] {
        guard releasesAPI != nil else {
            var versions: Set = [requirement.target, requirement.minimum]
            if let found = await probes.best(for: requirement, logger: logger, probe: probe) { versions.insert(found) }
            return versions.sorted()
        }
        return try await availableVersions()
    }

    /// The published versions that carry this platform's asset, from the listing: kept a few
    /// minutes, and a failed listing is not asked again for a few minutes (its error is thrown again).
    public func availableVersions() async throws -> [SemanticVersion] {
        if let cached = try listing.fresh() { return cached }
        guard let releasesAPI else { throw ReleaseListingUnavailable() }
        do {
            let versions = try await list(releasesAPI)
            listing.store(.success(versions))
            return versions
        } catch {
            if !(error is CancellationError) { listing.store(.failure(error)) }
            throw error
        }
    }

    /// Reads every page of the listing.
    private func list(_ releasesAPI: URL) async throws -> [SemanticVersion] {
        var versions: Set<SemanticVersion> = []
        var next: URL? = releasesAPI
        var pages = 0
        while let page = next, pages < 10 {
            pages += 1
            let request = HTTPRequest(.get, page, headers: [("Accept", "application/vnd.github+json"), ("User-Agent", "lavavisor")])
            let response = try await retries.run(retryable: RetryPolicy.isTransient) {
                try await http.execute(request, timeouts: timeouts, maxBodyBytes: 8 << 20)
            }
            versions.formUnion(try Self.versions(inListing: response, url: page, platform: platform))
            next = Self.nextPage(response.header("Link"))
        }
        return versions.sorted()
    }

    /// Whether the mirror has `version`: asks for its `sha256sum.txt` (with `--skip-checksum`, the
    /// asset) once, without retries, and reads only the status. A 2xx is found, another 4xx absent;
    /// a 5xx, a 429 or no answer throws (the mirror cannot be asked now). A HEAD request: no body.
    private func probe(_ version: SemanticVersion) async throws -> MirrorProbes.Answer {
        let file = skipChecksum ? assetName(version) : "sha256sum.txt"
        let url = releaseURL.appendingPathComponent(version.tag).appendingPathComponent(file)
        let status = try await http.execute(HTTPRequest(.head, url), timeouts: timeouts, maxBodyBytes: 1 << 16).status
        switch status {
        case 200..<300: return .found
        case 429, 500...: throw HTTPStatusError(url: url.absoluteString, status: status, body: [])
        default: return .absent
        }
    }

    public func fetch(_ version: SemanticVersion, to destination: URL) async throws {
        let folder = releaseURL.appendingPathComponent(version.tag)
        let asset = assetName(version)
        let expected: String?
        if skipChecksum {
            logger.warning("--skip-checksum: \(asset) is installed without checking its SHA-256")
            expected = nil
        } else {
            expected = try await checksum(of: asset, in: folder.appendingPathComponent("sha256sum.txt"))
        }
        logger.info("downloading \(asset)", metadata: ["url": "\(folder.appendingPathComponent(asset).absoluteString)"])
        let result = try await downloader.download(folder.appendingPathComponent(asset), to: destination)
        guard let expected else { return }
        guard result.sha256 == expected else { throw ChecksumMismatch(asset: asset, expected: expected, actual: result.sha256) }
        logger.info("verified \(asset)", metadata: ["sha256": "\(result.sha256)"])
    }

    /// The SHA-256 listed for `asset` in the release's `sha256sum.txt`.
    private func checksum(of asset: String, in url: URL) async throws -> String {
        let response = try await retries.run(retryable: RetryPolicy.isTransient) {
            try await http.execute(HTTPRequest(.get, url), timeouts: timeouts, maxBodyBytes: 1 << 20)
        }
        guard response.status != 404 else {
            throw ChecksumUnavailable(url: url.absoluteString, problem: "the release has no sha256sum.txt")
        }
        guard (200..<300).contains(response.status) else {
            throw HTTPStatusError(url: url.absoluteString, status: response.status, body: response.body)
        }
        return try Self.checksum(of: asset, inSums: response.body, url: url.absoluteString)
    }

    /// The `rel="next"` URL of a GitHub `Link` header.
    static func nextPage(_ link: String?) -> URL? {
        guard let link else { return nil }
        for part in link.split(separator: ",") where part.contains(#"rel="next""#) {
            guard let start = part.firstIndex(of: "<"), let end = part.firstIndex(of: ">"), start < end else { continue }
            return URL(string: String(part[part.index(after: start)..<end]))
        }
        return nil
    }
}

/// An operating system and CPU architecture, as release assets name them.
public struct Platform: Sendable, Hashable, CustomStringConvertible {
    /// `linux` or `darwin`.
    public let os: String
    /// `amd64` or `arm64`.
    public let arch: String

    /// The machine lavavisor runs on.
    public static var current: Platform {
        #if os(macOS)
            let os = "darwin"
        #else
            let os = "linux"
        #endif
        #if arch(arm64)
            let arch = "arm64"
        #else
            let arch = "amd64"
        #endif
        return Platform(os: os, arch: arch)
    }

    public var description: String { "\(os)/\(arch)" }
}

extension Platform {
    /// Parses `--platform os/arch`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count == 2, ["linux", "darwin"].contains(parts[0]), ["amd64", "arm64"].contains(parts[1]) else {
            throw OptionError("--platform must be os/arch with os linux or darwin and arch amd64 or arm64; got '\(text)'")
        }
        self.init(os: parts[0], arch: parts[1])
    }
}

/// A release in GitHub's listing.
struct Release: Decodable {
    struct Asset: Decodable { let name: String }
    let tagName: String
    let draft: Bool
    let assets: [Asset]
    enum CodingKeys: String, CodingKey {
        case tagName = "tag_name"
        case draft, assets
    }
}

/// The release listing's last answer: a successful one is kept `lifetime`, a failed one
/// `failureLifetime`, so that polling neither runs into the API's rate limit nor asks a listing
/// that is down on every check, and the failure reads the same each time (the monitor logs it once).
final class ListingCache: Sendable {
    /// How long a successful listing is kept.
    static let lifetime = Duration.seconds(300)
    /// How long a failed listing is kept before the listing is asked again.
    static let failureLifetime = Duration.seconds(180)

    private let entry = Mutex<(at: ContinuousClock.Instant, result: Result<[SemanticVersion], any Error>)?>(nil)

    /// The kept answer while it is fresh: the versions, or the listing's error thrown again; nil when stale.
    func fresh() throws -> [SemanticVersion]? {
        let result: Result<[SemanticVersion], any Error>? = entry.withLock { entry in
            guard let entry else { return nil }
            let lifetime = (try? entry.result.get()) == nil ? Self.failureLifetime : Self.lifetime
            return ContinuousClock.now - entry.at < lifetime ? entry.result : nil
        }
        return try result?.get()
    }

    /// Keeps a listing's answer.
    func store(_ result: Result<[SemanticVersion], any Error>) { entry.withLock { $0 = (.now, result) } }
}

/// `availableVersions()` was asked of a source that has no release listing.
public struct ReleaseListingUnavailable: Error, Sendable, CustomStringConvertible {
    public var description: String {
        "no release listing: --release-url names a mirror without --releases-api, or --releases-api is ''; give --releases-api URL to list versions"
    }
}

/// A downloaded asset whose SHA-256 is not the published one.
public struct ChecksumMismatch: Error, Sendable, CustomStringConvertible {
    /// The asset.
    public let asset: String
    /// The published SHA-256.
    public let expected: String
    /// The SHA-256 of what arrived.
    public let actual: String

    public var description: String {
        "\(asset) does not match its published checksum (expected sha256 \(expected), got \(actual)); refusing it"
    }
}

/// No published checksum for an asset: the binary is refused unless `--skip-checksum` is given.
public struct ChecksumUnavailable: Error, Sendable, CustomStringConvertible {
    /// The checksum file's URL.
    public let url: String
    /// What is missing.
    public let problem: String

    public var description: String {
        "cannot verify the download: \(url): \(problem); refusing an unverified binary (--skip-checksum accepts it, at your risk)"
    }
}
