import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The POSIX calls of the control socket: a unix stream socket, bounded reads and writes, and the
/// peer's uid. Blocking calls: run them on a thread of their own, never on the cooperative pool.
enum UnixSocket {
    /// `struct ucred`, which Swift's Glibc module hides (it is built without `_GNU_SOURCE`).
    private struct PeerCredentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Runs `body` with the address of `path`. A path too long for `sun_path` is reached through
    /// its folder opened as `/proc/self/fd/N/`, so that no `--directory` is too deep for a socket.
    static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) throws -> T {
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        var name = path
        var folder: Int32 = -1
        defer { if folder >= 0 { close(folder) } }
        if path.utf8.count >= capacity {
            let url = URL(fileURLWithPath: path)
            folder = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard folder >= 0 else { throw SystemError("opening the folder of \(path)") }
            name = "/proc/self/fd/\(folder)/\(url.lastPathComponent)"
            guard name.utf8.count < capacity else { throw SystemError("naming \(path)", code: ENAMETOOLONG) }
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(name.utf8) + [0]) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.utf8.count + 1)
        return try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }

    /// A new unix stream socket, closed on exec.
    static func make() throws(SystemError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("creating a unix socket") }
        return fd
    }

    /// A socket listening at `path`, mode 0600 (the server checks the peer's uid as well).
    static func listen(at path: String) throws -> Int32 {
        let fd = try make()
        do {
            try withAddress(path) { address, length in
                guard bind(fd, address, length) == 0 else { throw SystemError("binding the control socket \(path)") }
            }
            guard chmod(path, 0o600) == 0 else { throw SystemError("making \(path) owner-only") }
            guard Glibc.listen(fd, 8) == 0 else { throw SystemError("listening on \(path)") }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// Accepts a client on `listener`, its descriptor closed on exec from the start (`accept4`, looked
    /// up at run time as `Posix.pipe` looks up `pipe2`): a lavap spawned meanwhile must not inherit it.
    static func accept(_ listener: Int32) -> Int32 {
        guard let accept4 = accept4Function else {
            errno = ENOSYS
            return -1
        }
        return accept4(listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
    }

    private static let accept4Function:
        (@convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "accept4") else { return nil }  // RTLD_DEFAULT
            return unsafeBitCast(
                symbol, to: (@convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32).self
            )
        }()

    /// A socket connected to `path`; the `SystemError`'s code says why not (`ECONNREFUSED`: nobody listens).
    static func connect(to path: String) throws(SystemError) -> Int32 {
        let fd = try make()
        do {
            try withAddress(path) { address, length in
                while Glibc.connect(fd, address, length) != 0 {
                    if errno == EINTR { continue }
                    throw SystemError("connecting to \(path)")
                }
            }
            return fd
        } catch {
            close(fd)
            throw error as? SystemError ?? SystemError("connecting to \(path)", code: EINVAL)
        }
    }

    /// The uid of the process at the other end of `fd`.
    static func peerUID(_ fd: Int32) -> uid_t? {
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
        return credentials.uid
    }

    /// Sets how long one `send` may block, so that a client that reads nothing cannot hold a thread.
    static func setSendTimeout(_ fd: Int32, _ timeout: Duration) {
        var value = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads one line (`what`: request or answer, for the errors), without its newline, of at most
    /// `limit` bytes before `timeout`; nil when the peer closed first. Bytes after the newline are ignored.
    static func readLine(_ fd: Int32, limit: Int, timeout: Duration, what: String = "request") -> Result<Data?, ControlError> {
        let deadline = ContinuousClock.now + timeout
        var line = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - .now
            guard left > .zero else { return .failure(ControlError("no complete \(what) line within \(timeout.brief)")) }
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(left.seconds * 1000 + 1, 60_000))
            let polled = poll(&ready, 1, milliseconds)
            if polled < 0, errno == EINTR { continue }
            guard polled >= 0 else {
                return .failure(ControlError("poll failed while waiting for the \(what): \(String(cString: strerror(errno)))"))
            }
            if polled == 0 { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            // The peer closed (or shut its side down): a line without its newline still counts.
            guard count > 0 else { return .success(line.isEmpty ? nil : line) }
            if let newline = buffer[0..<count].firstIndex(of: UInt8(ascii: "\n")) {
                line.append(contentsOf: buffer[0..<newline])
                guard line.count < limit else { break }
                return .success(line)
            }
            line.append(contentsOf: buffer[0..<count])
            guard line.count < limit else { break }
        }
        return .failure(ControlError("the \(what) is longer than \(limit) bytes"))
    }

    /// Writes all of `data`, bounded by the socket's send timeout; says whether it all went.
    @discardableResult
    static func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { Posix.writeAll(fd, $0, sendFlags: Int32(MSG_NOSIGNAL)) }
    }
}
