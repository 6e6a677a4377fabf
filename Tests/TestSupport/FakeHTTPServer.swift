import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
public import NIOSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1 and a port the kernel picks, for tests: fake Lava nodes and
/// release hosts. Each request goes to the test's handler, which says how to answer, or not to.
public final class FakeHTTPServer: Sendable {
    /// A request as the server received it.
    public struct Request: Sendable {
        /// GET, POST, …
        public let method: String
        /// The path and query.
        public let uri: String
        /// The header fields.
        public let headers: [(String, String)]
        /// The body.
        public let body: [UInt8]

        /// The body as text.
        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The first value of a header, compared without case.
        public func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
    }

    /// How to answer one request.
    public enum Reply: Sendable {
        /// A whole answer.
        case respond(status: Int, headers: [(String, String)] = [], body: [UInt8])
        /// Announces `declared` bytes, sends `body` (fewer), then closes the connection.
        case truncated(declared: Int, body: [UInt8])
        /// Never answers; the connection stays open until the server stops.
        case silent
        /// Closes the connection without a word.
        case close
        /// A 200 without a length, in chunks of `chunk` bytes until the client goes away or `upTo`
        /// bytes were sent (a mirror streaming without end, bounded for the test's sake).
        case endless(chunk: Int, upTo: Int)
        /// A whole answer sent in pieces, pausing between them.
        case slow(status: Int, headers: [(String, String)], chunks: [[UInt8]], pause: Duration)

        /// A JSON answer with status 200.
        public static func json(_ text: String, status: Int = 200) -> Reply {
            .respond(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
        }
    }

    /// The port the server listens on.
    public let port: Int
    /// Whether it speaks TLS (https).
    public let secure: Bool
    private let task: Task<Void, Never>
    private let log = RequestLog()

    /// `http://127.0.0.1:<port>`, or https with TLS.
    public var baseURL: String { "\(secure ? "https" : "http")://127.0.0.1:\(port)" }

    /// Every request received so far, in order.
    public var requests: [Request] { log.all }

    /// Starts a server whose answers come from `handler`; https when `tls` is given.
    public init(tls: NIOSSLContext? = nil, _ handler: @escaping @Sendable (Request) async -> Reply) async throws {
        secure = tls != nil
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        port = server.channel.localAddress?.port ?? 0
        let log = self.log
        task = Task {
            try? await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { try? await Self.serve(connection, handler: handler, log: log) }
                    }
                }
            }
        }
    }

    /// Stops listening and drops every connection.
    public func stop() async {
        task.cancel()
        await task.value
    }

    deinit { task.cancel() }

    /// Answers the requests of one connection with `handler`, noting each in `log`.
    static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        handler: @Sendable (Request) async -> Reply, log: RequestLog
    ) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let received):
                    head = received
                    body = []
                case .body(let buffer):
                    body.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let head else { return }
                    let request = Request(
                        method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body)
                    log.append(request)
                    // A HEAD answer is the head a GET would get, Content-Length included, without
                    // the body (NIO's encoder refuses body parts after a HEAD request).
                    let sendsBody = head.method != .HEAD
                    switch await handler(request) {
                    case .respond(let status, let headers, let bytes):
                        var fields = HTTPHeaders(headers)
                        fields.replaceOrAdd(name: "Content-Length", value: "\(bytes.count)")
                        try await outbound.write(
                            .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields)))
                        if sendsBody { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
                        try await outbound.write(.end(nil))
                    case .truncated(let declared, let bytes):
                        let fields = HTTPHeaders([("Content-Length", "\(declared)")])
                        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: fields)))
                        if sendsBody { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
                        return
                    case .silent:
                        try await Task.sleep(for: .seconds(3600))
                        return
                    case .close:
                        return
                    case .endless(let size, let limit):
                        let head = HTTPResponseHead(
                            version: .http1_1, status: .ok, headers: HTTPHeaders([("Transfer-Encoding", "chunked")]))
                        try await outbound.write(.head(head))
                        let chunk = ByteBuffer(repeating: 0x7f, count: size)
                        var sent = 0
                        while sent < limit, sendsBody {
                            try await outbound.write(.body(.byteBuffer(chunk)))
                            sent += size
                        }
                        try await outbound.write(.end(nil))
                    case .slow(let status, let headers, let chunks, let pause):
                        var fields = HTTPHeaders(headers)
                        fields.replaceOrAdd(name: "Content-Length", value: "\(chunks.reduce(0) { $0 + $1.count })")
                        try await outbound.write(
                            .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields)))
                        for chunk in chunks where sendsBody {
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
                            try await Task.sleep(for: pause)
                        }
                        try await outbound.write(.end(nil))
                    }
                }
            }
        }
    }
}

/// The requests a server received, shared with its connection tasks.
final class RequestLog: Sendable {
    private let requests = Mutex<[FakeHTTPServer.Request]>([])
    func append(_ request: FakeHTTPServer.Request) { requests.withLock { $0.append(request) } }
    var all: [FakeHTTPServer.Request] { requests.withLock { $0 } }
}

/// A port on 127.0.0.1 that refuses connections: a socket bound to it that never listens, held
/// for as long as this value lives, so that no other test's server can take the port meanwhile.
public final class RefusingPort: Sendable {
    private let descriptor: Int32
    /// The port.
    public let port: Int

    /// Binds a fresh port without listening on it.
    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw TestFailure("cannot bind a loopback port") }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }

    /// `http://127.0.0.1:<port>`.
    public var url: String { "http://127.0.0.1:\(port)" }
}
