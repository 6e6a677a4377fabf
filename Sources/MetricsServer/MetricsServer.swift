public import Core
import CoreMetrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

#if canImport(Glibc)
    import Glibc
#endif

/// `--metrics-address HOST:PORT`: serves `GET /metrics` (the Prometheus text format of what
/// `Telemetry` records, each series with its `# HELP`), `GET /livez` (lavavisor's checks go on:
/// the liveness probe) and `GET /readyz` (lavap runs on a version that meets the chain's minimum:
/// the readiness probe; `/healthz` is the same), each 200 `ok` or 503 with the reason from `Health`.
///
/// A small swift-nio server bound only where asked; it answers on its own event loop, so a scrape
/// never waits for the monitor and the monitor never waits for a scrape. Any other path is 404,
/// any other method 405. Every connection gets one answer and is closed; `MetricsServerLimits`
/// bounds how many are held and for how long, so that clients that connect and send nothing take
/// neither the descriptors the monitor needs nor a probe's turn.
public final class MetricsServer: Sendable {
    /// Where it listens, as `host:port` (the real port when 0 was asked).
    public let address: String
    private let channel: any Channel
    let gate: ConnectionGate

    private init(address: String, channel: any Channel, gate: ConnectionGate) {
        self.address = address
        self.channel = channel
        self.gate = gate
    }

    /// Bootstraps swift-metrics with a Prometheus registry and starts serving on `address`
    /// (`HOST:PORT`); throws a clear error when the address is malformed or cannot be bound.
    /// `version` is lavavisor's own (`lavavisor_build_info`).
    public static func start(
        at address: String, health: Health, version: String,
        limits: MetricsServerLimits = .standard(descriptorLimit: DescriptorLimit.current)
    ) async throws -> MetricsServer {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(DescribedMetricsFactory(registry: registry))
        Telemetry.start(version: version)
        return try await serve(at: address, health: health, limits: limits, registry: registry)
    }

    /// Serves `registry` on `address` within `limits`, leaving swift-metrics alone (it is bootstrapped once a process).
    static func serve(
        at address: String, health: Health, limits: MetricsServerLimits,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) async throws -> MetricsServer {
        let (host, port) = try parse(address: address)
        let gate = ConnectionGate(limits: limits)
        // One event loop for the listener and its connections: a connection's request is read in
        // step with the accepts that could evict it (a few per turn of the loop, never the 15 older
        // idle ones' worth), however busy the other loops' threads are.
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton.next())
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard gate.admit(channel) else { return channel.eventLoop.makeSucceededVoidFuture() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RequestSizeLimit(limit: limits.requestBytes, gate: gate))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(registry: registry, health: health, gate: gate))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            throw MetricsServerError(
                "cannot serve metrics on \(address): \(reason(of: error)); pick a free address for --metrics-address (e.g. 127.0.0.1:9184)")
        }
        let bound = channel.localAddress?.port.map { "\(host):\($0)" } ?? address
        return MetricsServer(address: bound, channel: channel, gate: gate)
    }

    /// The host and port of `address` (`HOST:PORT`, `[IPv6]:PORT`); checked by the flag before anything runs.
    public static func parse(address: String) throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port),
            colon > address.startIndex
        else {
            throw MetricsServerError("--metrics-address must be HOST:PORT, e.g. 127.0.0.1:9184; got '\(address)'")
        }
        return (String(address[..<colon]).trimmingCharacters(in: ["[", "]"]), port)
    }

    /// What went wrong in the system's words: NIO's `IOError` names its own function
    /// (`bind(descriptor:ptr:bytes:)`), which is not the operator's business.
    static func reason(of error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }

    /// Stops listening.
    public func stop() async {
        try? await channel.close()
    }
}

/// The metrics address cannot be used.
public struct MetricsServerError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    init(_ description: String) { self.description = description }
}

/// Answers one request per message: the path and method decide.
private final class Responder: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    let health: Health
    let gate: ConnectionGate

    init(registry: PrometheusCollectorRegistry, health: Health, gate: ConnectionGate) {
        self.registry = registry
        self.health = health
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        gate.requested(context.channel)
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let (status, type, body): (HTTPResponseStatus, String, [UInt8]) =
            switch (head.method, path) {
            case (.GET, "/metrics"): (.ok, "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
            case (.GET, "/livez"): Self.probe(health.liveness())
            case (.GET, "/readyz"), (.GET, "/healthz"): Self.probe(health.problem())
            case (_, "/metrics"), (_, "/livez"), (_, "/readyz"), (_, "/healthz"):
                (.methodNotAllowed, "text/plain; charset=utf-8", Array("only GET\n".utf8))
            default: (.notFound, "text/plain; charset=utf-8", Array("lavavisor serves /metrics, /livez, /readyz and /healthz\n".utf8))
            }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// A probe's answer: 200 `ok`, or 503 with the reason.
    private static func probe(_ problem: String?) -> (HTTPResponseStatus, String, [UInt8]) {
        guard let problem else { return (.ok, "text/plain; charset=utf-8", Array("ok\n".utf8)) }
        return (.serviceUnavailable, "text/plain; charset=utf-8", Array((problem + "\n").utf8))
    }
}
