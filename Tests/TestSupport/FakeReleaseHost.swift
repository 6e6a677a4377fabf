import Crypto
public import Foundation
public import NIOSSL
import Synchronization

/// A fake GitHub release host on loopback: assets and `sha256sum.txt` under
/// `/download/vX.Y.Z/`, and a GitHub-style listing at `/api/releases`, answering `Range` requests.
/// Tests can make any path misbehave and count the requests per path.
public final class FakeReleaseHost: Sendable {
    /// How one path misbehaves.
    public enum Fault: Sendable {
        /// Answer this instead.
        case reply(FakeHTTPServer.Reply)
        /// The first request gets only `bytes` bytes, then the connection drops; later ones work.
        case dropOnceAfter(bytes: Int)
        /// Ignore `Range` headers (always send the whole file with 200).
        case noRanges
        /// Send the body slowly, in `pieces` parts.
        case slow(pieces: Int, pause: Duration)
        /// Answer only once the gate opens (a download that waits for the test).
        case held(Gate)
    }

    /// The HTTP server.
    public let server: FakeHTTPServer
    private let state: ReleaseState

    /// Starts an empty host; https when `tls` is given.
    public init(tls: NIOSSLContext? = nil) async throws {
        let state = ReleaseState()
        self.state = state
        server = try await FakeHTTPServer(tls: tls) { request in
            if let gate = state.gate(request) { await gate.pass() }
            return state.answer(request)
        }
    }

    /// `--release-url` for this host.
    public var releaseURL: String { server.baseURL + "/download" }
    /// `--releases-api` for this host.
    public var releasesAPI: String { server.baseURL + "/api/releases" }

    /// Publishes `asset` of `version` with `bytes`, listing it in the release's `sha256sum.txt`.
    public func publish(_ version: String, asset: String, bytes: [UInt8], listed: Bool = true) {
        state.update { state in
            state.files["/download/v\(version)/\(asset)"] = bytes
            var sums = state.files["/download/v\(version)/sha256sum.txt"].map { String(decoding: $0, as: UTF8.self) } ?? ""
            if listed { sums += "\(Self.sha256(bytes))  \(asset)\n" }
            state.files["/download/v\(version)/sha256sum.txt"] = Array(sums.utf8)
        }
    }

    /// Publishes a stand-in lavap of `version` for linux/amd64 (or `platform`); returns its bytes.
    @discardableResult
    public func publishStandIn(_ version: String, platform: String = "linux-amd64", events: URL? = nil) -> [UInt8] {
        let bytes = Array(StandIn.script(version: version, events: events).utf8)
        publish(version, asset: "lavap-v\(version)-\(platform)", bytes: bytes)
        return bytes
    }

    /// Replaces or removes a file.
    public func setFile(_ path: String, _ bytes: [UInt8]?) { state.update { $0.files[path] = bytes } }

    /// Makes `path` misbehave.
    public func fault(_ path: String, _ fault: Fault?) { state.update { $0.faults[path] = fault } }

    /// The requests for `path` so far.
    public func requests(_ path: String) -> [FakeHTTPServer.Request] {
        server.requests.filter { $0.uri.split(separator: "?").first.map(String.init) == path }
    }

    /// Lowercase hex SHA-256.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Stops the host.
    public func stop() async { await server.stop() }
}

/// The host's files and faults, shared with the server's handler.
final class ReleaseState: Sendable {
    struct State {
        var files: [String: [UInt8]] = [:]
        var faults: [String: FakeReleaseHost.Fault] = [:]
        var dropped: Set<String> = []
    }
    private let state = Mutex(State())

    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }

    /// The gate a `.held` request waits at.
    func gate(_ request: FakeHTTPServer.Request) -> Gate? {
        let path = request.uri.split(separator: "?").first.map(String.init) ?? request.uri
        return state.withLock { state in
            if case .held(let gate) = state.faults[path] { return gate }
            return nil
        }
    }

    func answer(_ request: FakeHTTPServer.Request) -> FakeHTTPServer.Reply {
        let path = request.uri.split(separator: "?").first.map(String.init) ?? request.uri
        return state.withLock { state in
            if path == "/api/releases" { return listing(state.files) }
            let fault = state.faults[path]
            if case .reply(let reply) = fault { return reply }
            guard let file = state.files[path] else { return .respond(status: 404, body: Array("Not Found".utf8)) }
            switch fault {
            case .dropOnceAfter(let bytes) where !state.dropped.contains(path):
                state.dropped.insert(path)
                return .truncated(declared: file.count, body: Array(file.prefix(bytes)))
            case .slow(let pieces, let pause):
                let size = max(1, (file.count + pieces - 1) / pieces)
                let chunks = stride(from: 0, to: file.count, by: size).map { Array(file[$0..<min(file.count, $0 + size)]) }
                return .slow(status: 200, headers: [], chunks: chunks, pause: pause)
            default:
                break
            }
            if case .noRanges = fault { return .respond(status: 200, body: file) }
            if let range = request.header("Range"), range.hasPrefix("bytes="), let start = Int(range.dropFirst(6).prefix { $0 != "-" }),
                start < file.count
            {
                return .respond(
                    status: 206, headers: [("Content-Range", "bytes \(start)-\(file.count - 1)/\(file.count)")], body: Array(file[start...])
                )
            }
            return .respond(status: 200, body: file)
        }
    }

    /// GitHub's release listing for the published files: one release per version folder.
    private func listing(_ files: [String: [UInt8]]) -> FakeHTTPServer.Reply {
        var assets: [String: [String]] = [:]
        for path in files.keys {
            let parts = path.split(separator: "/")
            guard parts.count == 3 else { continue }
            assets[String(parts[1]), default: []].append(String(parts[2]))
        }
        let releases = assets.keys.sorted().map { tag in
            [
                "tag_name": tag, "draft": false, "prerelease": false,
                "assets": assets[tag]!.sorted().map { ["name": $0] },
            ] as [String: Any]
        }
        let data = (try? JSONSerialization.data(withJSONObject: releases)) ?? Data()
        return .json(String(decoding: data, as: UTF8.self))
    }
}
