/// What one client of the metrics server may hold: a few connections, for a few seconds, with a small request.
public struct MetricsServerLimits: Sendable, Hashable {
    /// At most this many connections are held at once (more wait in the kernel's backlog, or take the place of an idle one).
    public var connections: Int
    /// A connection is closed this long after it was accepted, whether or not its request came and its answer left.
    public var timeout: Duration
    /// A request of more bytes is answered 431 and closed (the server reads one GET per connection).
    public var requestBytes: Int

    /// 16 connections (a quarter of `descriptorLimit` when that is below 64), 5 s, 8 KiB: room for
    /// Prometheus and the kubelet's probes, and never more than a quarter of the descriptors the
    /// monitor needs for its checks, downloads and lavap.
    public static func standard(descriptorLimit: Int) -> MetricsServerLimits {
        MetricsServerLimits(connections: max(1, min(16, descriptorLimit / 4)), timeout: .seconds(5), requestBytes: 8192)
    }
}
