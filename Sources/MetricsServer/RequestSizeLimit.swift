import NIOCore

/// First in a connection's pipeline: a client that sends more than `limit` bytes (the server reads
/// one small GET per connection) is answered 431 (unless its request is being answered already)
/// and closed, before the HTTP decoder buffers more.
final class RequestSizeLimit: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limit: Int
    private let gate: ConnectionGate
    private var received = 0

    init(limit: Int, gate: ConnectionGate) {
        self.limit = limit
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard received <= limit else { return }
        received += unwrapInboundIn(data).readableBytes
        guard received > limit else { return context.fireChannelRead(data) }
        let channel = context.channel
        guard !gate.hasRequested(channel) else { return channel.close(promise: nil) }
        let answer = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: answer))).whenComplete { _ in channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension RequestSizeLimit: Sendable {}
