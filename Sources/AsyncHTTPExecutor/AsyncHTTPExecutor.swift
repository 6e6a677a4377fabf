import AsyncHTTPClient
public import Core
public import Foundation
import NIOCore
import NIOSSL
import Synchronization
import TLSTrust

/// Core's `HTTPExecutor` on AsyncHTTPClient: per-request deadlines, connect and idle timeouts,
/// bounded bodies, streamed downloads with backpressure.
///
/// One per process (the composition root makes it, trusting `--ca-file` when given); behind it one
/// client per (connect, idle) pair of timeouts, on the shared event loop group, shut down when the
/// executor goes. HTTPS verifies the server's certificate and host name against the system's CAs
/// and `--ca-file`'s.
public final class AsyncHTTPExecutor: HTTPExecutor {
    /// The TLS configuration of every client of this executor, or why `--ca-file` cannot be used.
    private let tls: Result<TLSConfiguration, CAFileError>

    private struct ClientKey: Hashable {
        let connect: Duration
        let idle: Duration?
    }
    private let clients = Mutex<[ClientKey: HTTPClient]>([:])

    /// An executor trusting the system's CAs and those in `caFile` (`--ca-file`). A file that
    /// cannot be used fails every request with an error naming it (the CLI checks the file before
    /// anything starts).
    public init(caFile: URL? = nil) {
        tls = Result { () throws(CAFileError) in try TLSTrust.clientConfiguration(caFile: caFile) }
    }

    deinit {
        // Each client stays alive until its shutdown completes.
        for client in clients.withLock({ Array($0.values) }) { client.shutdown { _ in } }
    }

    /// The client with these timeouts, made on first use.
    private func client(for timeouts: HTTPTimeouts) throws(CAFileError) -> HTTPClient {
        let tls = try tls.get()
        return clients.withLock { clients in
            let key = ClientKey(connect: timeouts.connect, idle: timeouts.idle)
            if let existing = clients[key] { return existing }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(
                connect: .nanoseconds(timeouts.connect.nanoseconds), read: timeouts.idle.map { .nanoseconds($0.nanoseconds) })
            // Redirects are followed here, by `send`, under Core's `Redirect` rules (AsyncHTTPClient
            // would follow one from https to plain http).
            configuration.redirectConfiguration = .disallow
            // A refused connection or a failed lookup fails the request at once, instead of being
            // retried with backoff until the connect timeout; the caller's RetryPolicy decides.
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.tlsConfiguration = tls
            let created = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = created
            return created
        }
    }

    public func execute(_ request: HTTPRequest, timeouts: HTTPTimeouts, maxBodyBytes: Int) async throws -> HTTPResponse {
        try await translatingErrors(request, timeouts: timeouts, maxBodyBytes: maxBodyBytes) {
            let response = try await send(request, timeouts: timeouts)
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
            let response = try await send(request, timeouts: timeouts)
            let received = HTTPResponseHead(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) })
            try await caller { try head(received) }
            for try await buffer in response.body {
                try await caller { try await body(Array(buffer.readableBytesView)) }
            }
        }
    }

    /// Sends `request` and follows its redirects (`Redirect`), all within one deadline; a 303, or
    /// a 301 or 302 after a POST, goes on as a GET without a body, as browsers and curl do.
    private func send(_ request: HTTPRequest, timeouts: HTTPTimeouts) async throws -> HTTPClientResponse {
        let deadline = NIODeadline.now() + .nanoseconds(timeouts.total.nanoseconds)
        var current = request
        var hop = 0
        while true {
            let response = try await client(for: timeouts).execute(outgoing(current), deadline: deadline)
            let status = Int(response.status.code)
            guard Redirect.statuses.contains(status), let location = response.headers.first(name: "Location") else { return response }
            hop += 1
            current.url = try Redirect.target(from: current.url, location: location, hop: hop, original: request.url)
            if status == 303 || (current.method == .post && (status == 301 || status == 302)) {
                current.method = .get
                current.body = nil
            }
            _ = try? await response.body.collect(upTo: 1 << 16)  // the redirect's own small body, so the connection can be reused
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

    /// An error thrown by the caller's `head` or `body` closure, carried through untouched.
    private struct CallerError: Error {
        let error: any Error
    }

    /// Runs the caller's closure, marking what it throws as the caller's.
    private func caller<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw CallerError(error: error) }
    }

    /// Runs `body`; errors of the client and of NIO become one `HTTPTransportError`, chosen by
    /// their type; cancellation and errors of the caller's closures pass through.
    private func translatingErrors<T>(
        _ request: HTTPRequest, timeouts: HTTPTimeouts, maxBodyBytes: Int, _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch let error as CallerError {
            throw error.error
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch {
            let failure = TransportFailure(url: request.url, timeouts: timeouts, maxBodyBytes: maxBodyBytes)
            guard let translated = failure.translate(error) else { throw error }
            throw translated
        }
    }
}
