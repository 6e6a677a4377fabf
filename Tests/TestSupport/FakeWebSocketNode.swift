import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
public import NIOSSL
import NIOWebSocket
import Synchronization

/// A loopback fake of CometBFT's websocket (`GET /websocket`): it answers the `subscribe` call to
/// `tm.event='NewBlockHeader'` with `{"result":{}}` and then pushes the blocks the test publishes,
/// with the same id, the height as a string at `result.data.value.header.height`, as the node does.
public final class FakeWebSocketNode: Sendable {
    /// How the fake behaves towards new subscribers.
    public enum Mode: Sendable {
        /// Answers and pushes blocks.
        case serve
        /// Refuses the upgrade (HTTP 404).
        case refuse
        /// Answers the subscription with a JSON-RPC error, as a node at its subscription limit does.
        case error
        /// Upgrades, then never sends anything.
        case silent
    }

    private struct State {
        var mode = Mode.serve
        var subscribers: [Int: NIOAsyncChannelOutboundWriter<WebSocketFrame>] = [:]
        var next = 0
        var upgrades = 0
        var pongs = 0
        var calls: [String] = []
    }
    private final class Box: Sendable {
        let value = Mutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { value.withLock { body(&$0) } }
    }
    private let state = Box()
    private let task: Task<Void, Never>
    private let log = RequestLog()
    /// The port on 127.0.0.1.
    public let port: Int
    /// Whether it speaks TLS (wss, and https for other requests).
    public let secure: Bool

    /// `http://127.0.0.1:<port>` (https with TLS): give it as the websocket's node URL.
    public var url: String { "\(secure ? "https" : "http")://127.0.0.1:\(port)" }

    /// The requests other than the websocket's that `http` answered.
    public var requests: [FakeHTTPServer.Request] { log.all }

    private enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused(NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>)
    }

    /// Starts the fake; with `tls`, it speaks only TLS (wss); with `http`, the requests that are
    /// not the websocket's are answered by it (as a node serves its RPC and its websocket on one
    /// port), else with 404.
    public init(
        tls: NIOSSLContext? = nil, http: (@Sendable (FakeHTTPServer.Request) async -> FakeHTTPServer.Reply)? = nil
    ) async throws {
        let state = self.state
        let log = self.log
        secure = tls != nil
        let server: NIOAsyncChannel<EventLoopFuture<Upgrade>, Never> = try await ServerBootstrap(
            group: MultiThreadedEventLoopGroup.singleton
        )
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: "127.0.0.1", port: 0) { channel in
            channel.eventLoop.makeCompletedFuture {
                if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                    maxFrameSize: 1 << 20,
                    shouldUpgrade: { channel, head in
                        let refuse = state.withLock { $0.mode == .refuse } || head.uri != "/websocket"
                        return channel.eventLoop.makeSucceededFuture(refuse ? nil : HTTPHeaders())
                    },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
                        }
                    })
                let configuration = NIOTypedHTTPServerUpgradeConfiguration(
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            .refused(
                                try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                                    wrappingChannelSynchronously: channel))
                        }
                    })
                return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                    configuration: .init(upgradeConfiguration: configuration))
            }
        }
        port = server.channel.localAddress?.port ?? 0
        task = Task {
            try? await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await upgrade in connections {
                        group.addTask { try? await Self.serve(upgrade, state: state, http: http, log: log) }
                    }
                }
            }
        }
    }

    private static func serve(
        _ upgrade: EventLoopFuture<Upgrade>, state: Box, http handler: (@Sendable (FakeHTTPServer.Request) async -> FakeHTTPServer.Reply)?,
        log: RequestLog
    ) async throws {
        switch try await upgrade.get() {
        case .refused(let http):
            if let handler {
                try await FakeHTTPServer.serve(http, handler: handler, log: log)
                return
            }
            try await http.executeThenClose { inbound, outbound in
                for try await part in inbound {
                    guard case .end = part else { continue }
                    let head = HTTPResponseHead(version: .http1_1, status: .notFound, headers: ["Content-Length": "0"])
                    try await outbound.write(.head(head))
                    try await outbound.write(.end(nil))
                    return
                }
            }
        case .websocket(let socket):
            let id = state.withLock { state in
                state.upgrades += 1
                defer { state.next += 1 }
                return state.next
            }
            defer { _ = state.withLock { $0.subscribers.removeValue(forKey: id) } }
            try await socket.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    switch frame.opcode {
                    case .text:
                        let call = String(buffer: frame.unmaskedData)
                        let mode = state.withLock { state in
                            state.calls.append(call)
                            return state.mode
                        }
                        guard call.contains(#""method":"subscribe""#), mode != .silent else { continue }
                        if mode == .error {
                            try await outbound.write(
                                Self.text(
                                    #"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"max_subscriptions_per_client 5 reached"}}"#
                                ))
                            continue
                        }
                        try await outbound.write(Self.text(#"{"jsonrpc":"2.0","id":1,"result":{}}"#))
                        state.withLock { $0.subscribers[id] = outbound }
                    case .pong:
                        state.withLock { $0.pongs += 1 }
                    case .connectionClose:
                        return
                    default:
                        continue
                    }
                }
            }
        }
    }

    private static func text(_ text: String) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))
    }

    /// Pushes a new block at `height` to every subscriber.
    public func publish(height: Int64) async {
        let message =
            #"{"jsonrpc":"2.0","id":1,"result":{"query":"tm.event='NewBlockHeader'","data":{"type":"tendermint/event/NewBlockHeader","value":{"header":{"version":{"block":"11"},"chain_id":"lava-testnet-2","height":"\#(height)","time":"2026-11-26T03:00:00Z"}}},"events":{"tm.event":["NewBlockHeader"]}}}"#
        for writer in state.withLock({ Array($0.subscribers.values) }) { try? await writer.write(Self.text(message)) }
    }

    /// Sends a ping to every subscriber (the node does every 27 s).
    public func ping() async {
        for writer in state.withLock({ Array($0.subscribers.values) }) {
            try? await writer.write(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "beat")))
        }
    }

    /// Sends every subscriber `count` non-final fragments of `size` bytes and never the final
    /// one, as a hostile node would; returns how many fragments were written before the
    /// subscriber's connection ended.
    public func flood(fragments count: Int, size: Int) async -> Int {
        var sent = 0
        let payload = ByteBuffer(repeating: UInt8(ascii: " "), count: size)
        for writer in state.withLock({ Array($0.subscribers.values) }) {
            for index in 0..<count {
                let frame = WebSocketFrame(fin: false, opcode: index == 0 ? .text : .continuation, data: payload)
                do { try await writer.write(frame) } catch { break }
                sent += 1
            }
        }
        return sent
    }

    /// Drops every subscriber's connection; they stop counting as subscribers at once, whenever
    /// their connection ends.
    public func dropAll() async {
        let dropped = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for writer in dropped {
            try? await writer.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer()))
            writer.finish()
        }
    }

    /// Changes how new subscribers are treated.
    public func set(_ mode: Mode) { state.withLock { $0.mode = mode } }

    /// The subscribers now.
    public var subscribers: Int { state.withLock { $0.subscribers.count } }
    /// The websocket upgrades so far.
    public var upgrades: Int { state.withLock { $0.upgrades } }
    /// The pongs received so far.
    public var pongs: Int { state.withLock { $0.pongs } }
    /// The calls received so far.
    public var calls: [String] { state.withLock { $0.calls } }

    /// Stops the fake.
    public func stop() async {
        task.cancel()
        await task.value
    }
}
