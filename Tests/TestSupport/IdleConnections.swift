import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A slowloris: TCP connections to a loopback port that never send a byte. `refill()` replaces
/// those the server closed, so that the server faces `count` of them for as long as the test wants.
/// Non-blocking sockets throughout: nothing here waits on the cooperative pool.
public final class IdleConnections: Sendable {
    /// The server's port.
    public let port: Int
    /// How many connections are kept open.
    public let count: Int
    private let sockets = Mutex<[Int32]>([])
    private let replaced = Mutex(0)

    /// `count` connections to 127.0.0.1:`port`, opened by `refill()`.
    public init(port: Int, count: Int) {
        self.port = port
        self.count = count
    }

    deinit { sockets.withLock { $0.forEach { _ = close($0) } } }

    /// How many connections the server has closed so far (each was replaced).
    public var closedByServer: Int { replaced.withLock { $0 } }

    /// How many of the connections the kernel has established (the server may not have accepted them).
    public var established: Int {
        sockets.withLock { sockets in
            sockets.filter { socket in
                var entry = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
                return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLOUT) != 0 && entry.revents & Int16(POLLERR) == 0
            }.count
        }
    }

    /// How many of the connections the server has closed (not replaced yet).
    public func closedPeers() -> Int { sockets.withLock { $0.filter(Self.closedByPeer).count } }

    /// Closes the connections the server ended and opens new ones until there are `count`, at most
    /// `limit` of them: a loop of refills must churn few enough that the machine's ephemeral ports
    /// (some 28,000, each held a minute in TIME_WAIT) last, for the other tests too.
    public func refill(atMost limit: Int = .max) throws {
        try sockets.withLock { sockets in
            let before = sockets.count
            sockets.removeAll { socket in
                guard Self.closedByPeer(socket) else { return false }
                close(socket)
                return true
            }
            replaced.withLock { $0 += before - sockets.count }
            var opened = 0
            while sockets.count < count, opened < limit {
                sockets.append(try Self.connect(port: port))
                opened += 1
            }
        }
    }

    /// Whether the peer closed (or reset) the connection: it is readable, and these never get data.
    public static func closedByPeer(_ socket: Int32) -> Bool {
        var entry = pollfd(fd: socket, events: Int16(POLLIN) | Self.pollReadHangUp, revents: 0)
        return poll(&entry, 1, 0) == 1 && entry.revents != 0
    }

    /// POLLRDHUP (Linux), which Glibc's Swift overlay does not import.
    private static let pollReadHangUp: Int16 = 0x2000

    /// Starts a non-blocking connection to 127.0.0.1:`port`.
    public static func connect(port: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 || errno == EINPROGRESS else {
            let code = errno
            close(socket)
            throw TestFailure("connect to 127.0.0.1:\(port) failed: errno \(code)")
        }
        return socket
    }
}
