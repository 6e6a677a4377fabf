import Crypto
public import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Downloads one file to disk in constant memory, hashing it (SHA-256) as the bytes arrive, and
/// resuming with a `Range` request after a dropped connection (or starting over when the server
/// does not do ranges).
public struct Downloader: Sendable {
    /// The HTTP client.
    public let http: any HTTPExecutor
    /// Connect, idle and total limits of each attempt.
    public let timeouts: HTTPTimeouts
    /// Attempts in all, the first included.
    public let attempts: Int
    /// The logger for progress and resumes.
    public let logger: Logger
    /// Whether progress may be a redrawn bar on a terminal, or plain lines only.
    public let output: OutputStyle
    /// The most bytes a download may have: a larger declared size is refused before anything is
    /// written, and a body that streams past it is cut there.
    public let maxBytes: Int
    /// The free space left on the destination's file system after the download, at least.
    public let reserve: Int

    /// The default `maxBytes`: a `lavap` release asset is about 100 MB; five times that leaves
    /// room for growth and still keeps a mirror that streams without end from filling the disk.
    public static let defaultMaxBytes = 512 << 20
    /// The default `reserve`: the download never takes the last 64 MiB of a file system.
    public static let defaultReserve = 64 << 20

    /// The default longest silence of a download.
    public static let defaultIdleTimeout: Duration = .seconds(60)
    /// The default limits: slow links are fine (2 hours in all), silent ones are not.
    public static let defaultTimeouts = HTTPTimeouts(connect: .seconds(10), total: .seconds(7200), idle: defaultIdleTimeout)

    /// A downloader; the defaults allow slow links but not silent ones.
    public init(
        http: any HTTPExecutor, timeouts: HTTPTimeouts = defaultTimeouts,
        attempts: Int = 4, maxBytes: Int = defaultMaxBytes, reserve: Int = defaultReserve, logger: Logger,
        output: OutputStyle = .interactive
    ) {
        self.http = http
        self.timeouts = timeouts
        self.attempts = max(1, attempts)
        self.maxBytes = maxBytes
        self.reserve = reserve
        self.logger = logger
        self.output = output
    }

    /// What a finished download is.
    public struct Result: Sendable, Equatable {
        /// Its size.
        public var bytes: Int
        /// The SHA-256 of its bytes, lowercase hex.
        public var sha256: String

        /// A result.
        public init(bytes: Int, sha256: String) {
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    /// Downloads `url` into the new file `destination`; a 404 throws `DownloadNotFound`.
    public func download(_ url: URL, to destination: URL) async throws -> Result {
        let fd = open(destination.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("creating \(destination.path)") }
        defer { close(fd) }
        var state = State(fd: fd, path: destination.path, url: url.absoluteString, maxBytes: maxBytes, reserve: reserve)
        let progress = DownloadProgress(name: url.lastPathComponent, logger: logger, style: output)
        do {
            try await RetryPolicy(attempts: attempts).run(retryable: RetryPolicy.isTransient) { error, next in
                logger.warning(
                    "download of \(url.lastPathComponent) interrupted at \(state.written) bytes; resuming",
                    metadata: ["error": "\(error)", "attempt": "\(next)/\(attempts)"])
            } _: {
                try await once(url, state: &state, progress: progress)
            }
        } catch {
            progress.finish(bytes: nil)
            throw error
        }
        progress.finish(bytes: state.written)
        return Result(bytes: state.written, sha256: state.hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// The file being written and what is known of it.
    private struct State {
        let fd: Int32
        let path: String
        let url: String
        let maxBytes: Int
        let reserve: Int
        var written = 0
        var total: Int?
        var hasher = SHA256()

        mutating func restart() throws {
            guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw SystemError("truncating \(path)") }
            written = 0
            hasher = SHA256()
        }

        /// Takes the size the server declares: refused above `maxBytes` or above the free space
        /// (less the reserve), before a byte of it is written.
        mutating func declare(_ total: Int?) throws {
            self.total = total
            guard let total else { return }
            guard total <= maxBytes else { throw DownloadTooLarge(url: url, bytes: total, declared: true, limit: maxBytes) }
            var info = statvfs()
            guard fstatvfs(fd, &info) == 0 else { return }
            let free = Int(clamping: UInt64(info.f_bavail) &* UInt64(info.f_frsize))
            let needed = total - written
            guard needed + reserve <= free else {
                throw NotEnoughSpace(path: path, needed: needed, free: free, reserve: reserve)
            }
        }

        mutating func append(_ chunk: [UInt8]) throws {
            guard written + chunk.count <= maxBytes else {
                throw DownloadTooLarge(url: url, bytes: written + chunk.count, declared: false, limit: maxBytes)
            }
            guard chunk.withUnsafeBytes({ Posix.writeAll(fd, $0) }) else {
                guard errno == ENOSPC || errno == EDQUOT else { throw SystemError("writing \(path)") }
                throw NotEnoughSpace(path: path, needed: (total ?? written + chunk.count) - written, free: nil, reserve: reserve)
            }
            hasher.update(data: chunk)
            written += chunk.count
        }
    }

    private func once(_ url: URL, state: inout State, progress: DownloadProgress) async throws {
        let resumeFrom = state.written
        let headers: [(name: String, value: String)] = resumeFrom > 0 ? [("Range", "bytes=\(resumeFrom)-")] : []
        try await http.stream(HTTPRequest(.get, url, headers: headers), timeouts: timeouts) { head in
            switch head.status {
            case 200:
                if resumeFrom > 0 { try state.restart() }  // the server ignored the range: start over
                try state.declare(head.header("Content-Length").flatMap { Int($0) })
            case 206:
                guard let range = head.header("Content-Range"), range.hasPrefix("bytes \(resumeFrom)-") else {
                    try state.restart()
                    throw HTTPTransportError(url: url.absoluteString, kind: .cut, problem: "the server resumed at the wrong offset")
                }
                try state.declare(range.split(separator: "/").last.flatMap { Int($0) })
            case 404:
                throw DownloadNotFound(url: url.absoluteString)
            default:
                throw HTTPStatusError(url: url.absoluteString, status: head.status, body: [])
            }
        } body: { chunk in
            try state.append(chunk)
            progress.update(bytes: state.written, total: state.total)
        }
        if let total = state.total, state.written != total {
            throw HTTPTransportError(
                url: url.absoluteString, kind: .cut, problem: "the body ended after \(state.written) of \(total) bytes")
        }
    }
}

/// A download larger than `--max-download-size`, declared so or streamed past it.
public struct DownloadTooLarge: Error, Sendable, CustomStringConvertible {
    /// The URL.
    public let url: String
    /// The size declared, or the bytes received when the limit was crossed.
    public let bytes: Int
    /// Whether the server declared the size (nothing was written) or streamed past the limit.
    public let declared: Bool
    /// The limit.
    public let limit: Int

    public var description: String {
        let size = ByteCount.text(Int64(bytes))
        let limitText = ByteCount.text(Int64(limit))
        return declared
            ? "\(url) declares \(size), more than the \(limitText) allowed; refused before writing. If the release is really that large, raise --max-download-size"
            : "\(url) sent more than the \(limitText) allowed; stopped and removed what was written. If the release is really that large, raise --max-download-size"
    }
}

/// The file system of the store has no room for a download.
public struct NotEnoughSpace: Error, Sendable, CustomStringConvertible {
    /// The file being written.
    public let path: String
    /// The bytes still to write.
    public let needed: Int
    /// The bytes free (nil: the disk filled up while writing).
    public let free: Int?
    /// The space that must stay free.
    public let reserve: Int

    public var description: String {
        guard let free else {
            return
                "the disk filled up while writing \(path) (\(ByteCount.text(Int64(needed))) more were needed); free some space on that file system and the next check tries again"
        }
        return
            "not enough free space for \(path): \(ByteCount.text(Int64(needed))) needed plus \(ByteCount.text(Int64(reserve))) kept free, \(ByteCount.text(Int64(free))) available; free some space on that file system and the next check tries again"
    }
}

/// Nothing is published at a URL (HTTP 404).
public struct DownloadNotFound: Error, Sendable, CustomStringConvertible {
    /// The URL.
    public let url: String

    public var description: String { "nothing is published at \(url) (HTTP 404)" }
}
