import AsyncHTTPClient
public import Core
import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Core's `HTTPExecutor` on AsyncHTTPClient: per-request deadlines, connect and idle timeouts,
/// bounded bodies, streamed downloads with backpressure.
///
/// One facade for the process; behind it one client per (connect, idle) pair of timeouts, on the
/// shared event loop group, living as long as the process, so nobody has to shut them down.
public final class AsyncHTTPExecutor: HTTPExecutor {
    /// The executor of this process.
    public static let shared = AsyncHTTPExecutor()

    private struct ClientKey: Hashable {
        let connect: Duration
        let idle: Duration?
    }
    private let clients = Mutex<[ClientKey: HTTPClient]>([:])

    private init() {}

    /// The client with these timeouts, made on first use.
    private func client(for timeouts: HTTPTimeouts) -> HTTPClient {
        clients.withLock { clients in
            let key = ClientKey(connect: timeouts.connect, idle: timeouts.idle)
            if let existing = clients[key] { return existing }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(
                connect: .nanoseconds(Self.nanoseconds(timeouts.connect)), read: timeouts.idle.map { .nanoseconds(Self.nanoseconds($0)) })
            configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
            let created = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = created
            return created
        }
    }

    public func execute(_ request: HTTPRequest, timeouts: HTTPTimeouts, maxBodyBytes: Int) async throws -> HTTPResponse {
        try await translatingErrors(request, timeouts: timeouts, maxBodyBytes: maxBodyBytes) {
            let response = try await client(for: timeouts).execute(outgoing(request), deadline: Self.deadline(timeouts))
            let body = try await response.body.collect(upTo: maxBodyBytes)
            return HTTPResponse(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: Array(buffer: body))
        }
    }

    public func stream(
        _ request: HTTPRequest, timeouts: HTTPTimeouts, head: (HTTPResponseHead) throws -> Void,
        body: ([UInt8]) async throws -> Void
    ) async throws {
        try await translatingErrors(request, timeouts: timeouts, maxBodyBytes: .max) {
            let response = try await client(for: timeouts).execute(outgoing(request), deadline: Self.deadline(timeouts))
            try head(HTTPResponseHead(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }))
            for try await buffer in response.body {
                try await body(Array(buffer.readableBytesView))
            }
        }
    }

    private func outgoing(_ request: HTTPRequest) -> HTTPClientRequest {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method =
            switch request.method {
            case .get: .GET
            case .head: .HEAD
            case .post: .POST
            }
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        return outgoing
    }

    /// Runs `body`; errors of the client and of NIO become one `HTTPTransportError` sentence,
    /// errors thrown by lavavisor's own code pass through.
    private func translatingErrors<T>(
        _ request: HTTPRequest, timeouts: HTTPTimeouts, maxBodyBytes: Int, _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch let error as HTTPClientError {
            throw HTTPTransportError(
                url: request.url.absoluteString, problem: Self.explain(error, timeouts: timeouts, maxBodyBytes: maxBodyBytes))
        } catch let error where Self.isTransport(error) {
            throw HTTPTransportError(
                url: request.url.absoluteString, problem: Self.explain(error, timeouts: timeouts, maxBodyBytes: maxBodyBytes))
        }
    }

    /// Whether an error comes from the network stack (SwiftNIO's or AsyncHTTPClient's modules)
    /// rather than from a caller's closure.
    private static func isTransport(_ error: any Error) -> Bool {
        let module = String(reflecting: Swift.type(of: error)).prefix { $0 != "." }
        return module.hasPrefix("NIO") || module == "AsyncHTTPClient"
    }

    private static func deadline(_ timeouts: HTTPTimeouts) -> NIODeadline {
        NIODeadline.now() + .nanoseconds(nanoseconds(timeouts.total))
    }

    /// One sentence for the errors AsyncHTTPClient and NIO throw.
    static func explain(_ error: any Error, timeouts: HTTPTimeouts, maxBodyBytes: Int) -> String {
        switch error {
        case let error as HTTPClientError:
            if error == .readTimeout, let idle = timeouts.idle {
                return "the server sent nothing for \(idle)"
            }
            if [.deadlineExceeded, .readTimeout, .writeTimeout].contains(error) {
                return "no complete answer within \(timeouts.total) (--request-timeout)"
            }
            if error == .connectTimeout { return "could not connect within \(timeouts.connect) (--connect-timeout)" }
            if error == .remoteConnectionClosed { return "the server closed the connection before the answer was complete" }
            if [.invalidURL, .emptyHost, .emptyScheme].contains(error) { return "the URL is not a valid http or https URL" }
            return "\(error)"
        case is NIOTooManyBytesError:
            return "the answer is larger than \(maxBodyBytes) bytes"
        case let error as IOError where error.errnoCode == ECONNRESET || error.errnoCode == EPIPE:
            return "the server closed the connection before the answer was complete"
        case let error as IOError where error.errnoCode == ECONNREFUSED:
            return "connection refused: is the node running and listening there?"
        case let error as IOError:
            return "\(error.description)"
        case is CancellationError:
            return "cancelled"
        default:
            let text = "\(error)"
            if text.contains("uncleanShutdown") || text.contains("truncated") || text.contains("stream ended at an unexpected time") {
                return "the server closed the connection before the answer was complete"
            }
            if text.contains("connectionRefused") || text.contains("Connection refused") {
                return "connection refused: is the node running and listening there?"
            }
            return text
        }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
