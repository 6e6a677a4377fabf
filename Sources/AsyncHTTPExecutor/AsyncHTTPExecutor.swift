public import AsyncHTTPClient
public import Core
import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Core's `HTTPExecutor` on AsyncHTTPClient: per-request deadlines, a connect timeout, bounded bodies.
///
/// Clients live as long as the process (one per connect timeout, on the shared event loop group),
/// so nobody has to shut them down.
public final class AsyncHTTPExecutor: HTTPExecutor {
    /// The underlying client.
    public let client: HTTPClient

    private static let clients = Mutex<[Duration: AsyncHTTPExecutor]>([:])

    private init(connectTimeout: Duration) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(Self.nanoseconds(connectTimeout)))
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// The process-wide executor with this connect timeout.
    public static func shared(connectTimeout: Duration) -> AsyncHTTPExecutor {
        clients.withLock { clients in
            if let existing = clients[connectTimeout] { return existing }
            let created = AsyncHTTPExecutor(connectTimeout: connectTimeout)
            clients[connectTimeout] = created
            return created
        }
    }

    public func execute(_ request: HTTPRequest, timeouts: HTTPTimeouts, maxBodyBytes: Int) async throws -> HTTPResponse {
        let url = request.url.absoluteString
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = request.method == .post ? .POST : .GET
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let deadline = NIODeadline.now() + .nanoseconds(Self.nanoseconds(timeouts.total))
        do {
            let response = try await client.execute(outgoing, deadline: deadline)
            let body = try await response.body.collect(upTo: maxBodyBytes)
            return HTTPResponse(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: Array(buffer: body))
        } catch let error as HTTPTransportError {
            throw error
        } catch {
            throw HTTPTransportError(url: url, problem: Self.explain(error, timeouts: timeouts, maxBodyBytes: maxBodyBytes))
        }
    }

    /// One sentence for the errors AsyncHTTPClient and NIO throw.
    static func explain(_ error: any Error, timeouts: HTTPTimeouts, maxBodyBytes: Int) -> String {
        switch error {
        case let error as HTTPClientError:
            if [.deadlineExceeded, .readTimeout, .writeTimeout].contains(error) {
                return "no complete answer within \(timeouts.total) (--request-timeout)"
            }
            if error == .connectTimeout { return "could not connect within \(timeouts.connect) (--connect-timeout)" }
            if error == .remoteConnectionClosed { return "the server closed the connection before the answer was complete" }
            if [.invalidURL, .emptyHost, .emptyScheme].contains(error) { return "the URL is not a valid http or https URL" }
            return "\(error)"
        case is NIOTooManyBytesError:
            return "the answer is larger than \(maxBodyBytes) bytes"
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
