public import Foundation

/// One HTTP request, as plugins describe it to an `HTTPExecutor`.
public struct HTTPRequest: Sendable {
    /// GET, HEAD or POST.
    public enum Method: String, Sendable {
        /// GET.
        case get = "GET"
        /// HEAD: the status and headers a GET would get, without the body.
        case head = "HEAD"
        /// POST.
        case post = "POST"
    }

    /// The method.
    public var method: Method
    /// The absolute http or https URL.
    public var url: URL
    /// Header fields, in order.
    public var headers: [(name: String, value: String)]
    /// The body, for POST.
    public var body: [UInt8]?

    /// Builds a request.
    public init(_ method: Method = .get, _ url: URL, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A whole HTTP response, its body read up to a limit.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields, in order.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]

    /// Builds a response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The time limits every request has: to connect, for the whole exchange, and between two reads.
public struct HTTPTimeouts: Sendable, Hashable {
    /// The longest wait for a connection.
    public var connect: Duration
    /// The longest wait for the whole response, connection included.
    public var total: Duration
    /// The longest silence while a body streams in; nil leaves only `total`.
    public var idle: Duration?

    /// Limits; the defaults suit a node on a LAN or the internet.
    public init(connect: Duration = .seconds(5), total: Duration = .seconds(10), idle: Duration? = nil) {
        self.connect = connect
        self.total = total
        self.idle = idle
    }
}

/// The status and headers of a response whose body is streamed.
public struct HTTPResponseHead: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields, in order.
    public var headers: [(name: String, value: String)]

    /// Builds a head.
    public init(status: Int, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.headers = headers
    }
}

/// Something that carries HTTP header fields.
public protocol HTTPHeaderFields {
    /// Header fields, in order.
    var headers: [(name: String, value: String)] { get }
}

extension HTTPHeaderFields {
    /// The first value of a header, compared without case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

extension HTTPResponse: HTTPHeaderFields {}
extension HTTPResponseHead: HTTPHeaderFields {}

/// URLs given on the command line.
public enum HTTPURL {
    /// Parses an http or https URL with a host, without trailing slashes; the error names the flag.
    public static func parse(_ text: String, flag: String, example: String = "https://host:port") throws(OptionError) -> URL {
        var text = text.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else {
            throw OptionError("\(flag) must be an http:// or https:// URL with a host, e.g. \(example); got '\(text)'")
        }
        return url
    }
}

/// Sends HTTP requests. Core holds the protocol; the CLI picks the implementation
/// (AsyncHTTPClient), and tests use it against loopback servers.
///
/// Contract: every call ends within `timeouts.total`; transport failures (refused, reset, timed
/// out, truncated, too large) throw `HTTPTransportError` naming the URL and its kind; any status is
/// returned; errors thrown by `head` and `body` pass through unchanged.
public protocol HTTPExecutor: Sendable {
    /// Sends `request` and reads at most `maxBodyBytes` of the body.
    func execute(_ request: HTTPRequest, timeouts: HTTPTimeouts, maxBodyBytes: Int) async throws -> HTTPResponse

    /// Sends `request`, hands the status and headers to `head` (which may throw to stop), then the
    /// body chunk by chunk to `body`; the next chunk is read only when `body` returns (backpressure).
    func stream(
        _ request: HTTPRequest, timeouts: HTTPTimeouts, head: (HTTPResponseHead) throws -> Void,
        body: ([UInt8]) async throws -> Void
    ) async throws
}

/// A request that got no usable answer: the connection failed, timed out, was cut, or sent too much.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure it was; `RetryPolicy.isTransient` decides on it.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Nobody listens on that port (the host said so at once).
        case refused
        /// The host name has no address (DNS lookup failed).
        case nameResolution
        /// The network has no route to the host.
        case unreachable
        /// No connection within the connect timeout.
        case connectTimeout
        /// Connected, but no complete answer in time, or silence longer than the idle timeout.
        case timeout
        /// The connection was closed or reset before the answer was complete.
        case cut
        /// The answer is larger than the caller accepts.
        case tooLarge
        /// The answer is not valid HTTP.
        case malformed
        /// The URL cannot be asked.
        case invalidURL
        /// The server's TLS certificate does not verify (against the system's CAs and `--ca-file`),
        /// or is not for the host asked; never retried, never answered in plain text instead.
        case certificate
        /// Anything else (other TLS failures, redirect loops, …).
        case other
    }

    /// The URL asked.
    public let url: String
    /// What kind of failure it was.
    public let kind: Kind
    /// What went wrong, and what to do about it.
    public let problem: String

    /// Builds the error.
    public init(url: String, kind: Kind, problem: String) {
        self.url = url
        self.kind = kind
        self.problem = problem
    }

    /// Whether trying again at once may help: a cut connection or a timed-out answer. A host that
    /// refuses, has no address or no route, or did not connect within the connect timeout is left
    /// to the next check, so that one check does not wait it out several times.
    public var isTransient: Bool { kind == .cut || kind == .timeout }

    public var description: String { "no usable answer from \(url): \(problem)" }
}

/// The executor of a context that has no HTTP client: fails loudly, naming who asked.
public struct NoHTTPExecutor: HTTPExecutor {
    /// The executor.
    public init() {}

    public func execute(_ request: HTTPRequest, timeouts: HTTPTimeouts, maxBodyBytes: Int) async throws -> HTTPResponse {
        throw HTTPTransportError(
            url: request.url.absoluteString, kind: .other, problem: "this context has no HTTP client (a test forgot to give one)")
    }

    public func stream(
        _ request: HTTPRequest, timeouts: HTTPTimeouts, head: (HTTPResponseHead) throws -> Void,
        body: ([UInt8]) async throws -> Void
    ) async throws {
        _ = try await execute(request, timeouts: timeouts, maxBodyBytes: 0)  // throws the same error
    }
}

/// How often a failed request is tried again within one check, and how long to wait in between.
public struct RetryPolicy: Sendable, Equatable {
    /// Tries in all, at least 1.
    public var attempts: Int
    /// The wait before the second try; it doubles for each further try.
    public var backoff: Duration

    /// A policy; the default tries 3 times, waiting 0.5 s then 1 s.
    public init(attempts: Int = 3, backoff: Duration = .milliseconds(500)) {
        self.attempts = max(1, attempts)
        self.backoff = backoff
    }

    /// Runs `body` until it succeeds, it throws an error `retryable` refuses, or the tries run out;
    /// `onRetry` hears of each failure that is tried again, with the number of the next try.
    public func run<T: Sendable>(
        retryable: (any Error) -> Bool = { _ in true }, onRetry: (any Error, Int) -> Void = { _, _ in },
        _ body: () async throws -> T
    ) async throws -> T {
        var wait = backoff
        for attempt in 1... {
            do { return try await body() } catch {
                guard attempt < attempts, retryable(error), !(error is CancellationError) else { throw error }
                onRetry(error, attempt + 1)
            }
            try await Task.sleep(for: wait)
            wait *= 2
        }
        fatalError("unreachable: the loop returns or throws")
    }
}
