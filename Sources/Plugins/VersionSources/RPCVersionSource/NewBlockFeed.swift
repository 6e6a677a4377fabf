import Core
public import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
public import NIOSSL
import NIOWebSocket
import Synchronization
import TLSTrust

/// CometBFT's push of new blocks: `GET /websocket` upgraded to a websocket, then the JSON-RPC call
/// `subscribe` to `tm.event='NewBlockHeader'`; the first answer is `{"result":{}}`, then each block
/// comes with the same id and its height at `result.data.value.header.height` (a string).
///
/// Built on swift-nio's NIOWebSocket (already in the package): frames up to 1 MiB, whole messages
/// up to 1 MiB in at most 1024 fragments, the node's pings answered, a node that sends no whole
/// message nor ping for longer than `silence` (it pings every 27 s) taken for lost.
public struct NewBlockFeed: Sendable {
    /// The node's RPC URL: http for ws://, https for wss:// (the websocket goes to its host and
    /// port, path `/websocket`).
    public let node: URL
    /// The TLS of an https node: its certificate must verify (system CAs and `--ca-file`) and be
    /// for its host; nil for plain http.
    public let tls: NIOSSLContext?
    /// How long the node may stay silent (no frame, no ping) before the feed is taken for lost.
    public let silence: Duration
    /// How long the connection and the upgrade may take.
    public let connectTimeout: Duration

    /// A feed from `node`.
    public init(node: URL, tls: NIOSSLContext? = nil, silence: Duration = .seconds(35), connectTimeout: Duration = .seconds(5)) {
        self.node = node
        self.tls = tls
        self.silence = silence
        self.connectTimeout = connectTimeout
    }

    private enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused(HTTPResponseStatus?)
    }

    /// Opens the websocket and subscribes; the stream yields each new block's height and throws
    /// when the node refuses, errs, closes or goes silent.
    public func open() async throws -> AsyncThrowingStream<Int64, any Error> {
        let secure = node.scheme == "https"
        guard secure == (tls != nil), secure || node.scheme == "http" else {
            throw NewBlockFeedError(
                "the websocket of \(node.absoluteString) cannot be followed: ws:// needs an http node, wss:// an https node and TLS")
        }
        let host = node.host ?? "localhost"
        let port = node.port ?? (secure ? 443 : 80)
        let path = (node.path.hasSuffix("/") ? String(node.path.dropLast()) : node.path) + "/websocket"
        let place = "\(secure ? "wss" : "ws")://\(host):\(port)\(path)"
        let tls = self.tls
        // An address is checked against the certificate's IP entries; a name is sent (SNI) and checked.
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let serverName = (try? SocketAddress(ipAddress: bare, port: 0)) == nil ? host : nil
        let upgrade: Upgrade
        do {
            upgrade = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(connectTimeout.nanoseconds))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 20) { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
                            }
                        }
                        var headers = HTTPHeaders()
                        headers.add(name: "Host", value: "\(host):\(port)")
                        headers.add(name: "Content-Length", value: "0")
                        let configuration = NIOTypedHTTPClientUpgradeConfiguration(
                            upgradeRequestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers),
                            upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { .refused(nil) } })
                        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                            configuration: .init(upgradeConfiguration: configuration))
                    }
                }
                .get()
        } catch {
            let failure = TLSTrust.failure(error, host: "\(host):\(port)")
            throw failure.map { NewBlockFeedError("cannot follow new blocks at \(place): \($0.problem)") } ?? error
        }
        let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
        switch upgrade {
        case .websocket(let upgraded): channel = upgraded
        case .refused: throw NewBlockFeedError("the node at \(host):\(port) did not upgrade GET \(path) to a websocket")
        }
        let silence = self.silence
        return AsyncThrowingStream { continuation in
            let reader = Task {
                do {
                    try await channel.executeThenClose { inbound, outbound in
                        try await outbound.write(Self.text(Self.subscribeCall))
                        try await Self.follow(inbound, outbound, silence: silence, yield: { continuation.yield($0) })
                    }
                    continuation.finish(throwing: NewBlockFeedError("the node closed the websocket"))
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }

    /// The subscription call.
    static let subscribeCall = #"{"jsonrpc":"2.0","method":"subscribe","id":1,"params":{"query":"tm.event='NewBlockHeader'"}}"#

    /// A masked text frame, as a client sends them.
    private static func text(_ text: String) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
    }

    /// Reads frames until the node closes: pings answered, messages (fragments joined) parsed, and
    /// a watchdog that ends the read when nothing came for `silence`.
    private static func follow(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, _ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
        silence: Duration, yield: @escaping @Sendable (Int64) -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let heard = LastHeard()
            group.addTask {
                // The watchdog: wakes when the latest frame is `silence` old, and ends the feed if none came since.
                while true {
                    let deadline = heard.instant.withLock { $0 } + silence
                    guard ContinuousClock.now < deadline else {
                        throw NewBlockFeedError("the node sent nothing for \(silence.brief) (it pings every 27 s)")
                    }
                    try await Task.sleep(until: deadline)
                }
            }
            group.addTask {
                var message = MessageAssembler()
                for try await frame in inbound {
                    switch frame.opcode {
                    case .ping:
                        heard.instant.withLock { $0 = .now }
                        try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData))
                    case .pong:
                        heard.instant.withLock { $0 = .now }
                    case .connectionClose:
                        return
                    case .text, .binary, .continuation:
                        // Only a whole message counts as a sign of life: a node that streams
                        // fragments without end is cut at the message limit, not kept alive.
                        guard let whole = try message.add(frame) else { continue }
                        heard.instant.withLock { $0 = .now }
                        switch try NewBlockMessage(whole) {
                        case .block(let height): yield(height)
                        case .subscribed, .other: continue
                        }
                    default:
                        continue
                    }
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}

/// Joins the fragments of one websocket message, within limits on its size and on the number of
/// fragments: a node (or anyone on the path) that sends fragments without a final one is refused
/// at the limit instead of growing lavavisor's memory without end.
struct MessageAssembler {
    /// The largest whole message: a `NewBlockHeader` event is a few kilobytes.
    static let maxBytes = 1 << 20
    /// The most fragments one message may come in.
    static let maxFragments = 1024

    private var bytes: [UInt8] = []
    private var fragments = 0

    /// Adds a text, binary or continuation frame; returns the whole message at its final frame.
    mutating func add(_ frame: WebSocketFrame) throws(NewBlockFeedError) -> [UInt8]? {
        fragments += 1
        guard bytes.count + frame.length <= Self.maxBytes else {
            bytes = []
            throw NewBlockFeedError(
                "the node sent a websocket message larger than \(Self.maxBytes / 1024) KiB (a block header is a few KiB); dropped the connection"
            )
        }
        guard fragments <= Self.maxFragments else {
            bytes = []
            throw NewBlockFeedError("the node sent a websocket message in more than \(Self.maxFragments) fragments; dropped the connection")
        }
        bytes += frame.unmaskedData.readableBytesView
        guard frame.fin else { return nil }
        defer {
            bytes = []
            fragments = 0
        }
        return bytes
    }
}

/// When the node was last heard from, shared by the reader and the watchdog.
private final class LastHeard: Sendable {
    let instant = Mutex(ContinuousClock.now)
}

/// One message of the subscription.
enum NewBlockMessage: Equatable {
    /// `{"result":{}}`: the subscription holds.
    case subscribed
    /// A new block.
    case block(Int64)
    /// Something else (another id, an event without a height).
    case other

    /// Parses one JSON-RPC message; a JSON-RPC error is thrown with the node's words.
    init(_ bytes: [UInt8]) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw NewBlockFeedError("the node sent a websocket message that is not JSON")
        }
        if let error = object["error"] as? [String: Any] {
            let text = [error["message"], error["data"]].compactMap { $0.map { "\($0)" } }.joined(separator: ": ")
            throw NewBlockFeedError("the node refused the subscription: \(text)")
        }
        guard let result = object["result"] as? [String: Any] else {
            self = .other
            return
        }
        if result.isEmpty {
            self = .subscribed
            return
        }
        let header = ((result["data"] as? [String: Any])?["value"] as? [String: Any])?["header"] as? [String: Any]
        let height = (header?["height"] as? String).flatMap { Int64($0) } ?? (header?["height"] as? Int).map(Int64.init)
        self = height.map { .block($0) } ?? .other
    }
}

/// The new-block feed cannot be followed.
public struct NewBlockFeedError: Error, Sendable, CustomStringConvertible {
    /// The full sentence.
    public let description: String

    init(_ description: String) { self.description = description }
}
