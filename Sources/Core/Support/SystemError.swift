#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A system call that failed, with what lavavisor was doing and the system's reason.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    /// What lavavisor was doing, e.g. "renaming /a to /b".
    public let action: String
    /// The `errno` value.
    public let code: Int32

    /// Captures the current `errno` for `action`.
    public init(_ action: String, code: Int32? = nil) {
        self.action = action
        self.code = code ?? errno
    }

    public var description: String { "\(action) failed: \(String(cString: strerror(code)))" }
}

/// Small wrappers over the POSIX calls the store needs, each throwing a `SystemError`.
enum Posix {
    /// Flushes a file or directory to disk.
    static func fsync(path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("opening \(path) to flush it") }
        defer { close(fd) }
        guard Glibc.fsync(fd) == 0 else { throw SystemError("flushing \(path) to disk") }
    }

    /// Atomically renames `from` to `to` (same filesystem).
    static func rename(_ from: String, _ to: String) throws(SystemError) {
        guard Glibc.rename(from, to) == 0 else { throw SystemError("renaming \(from) to \(to)") }
    }

    /// Creates a pipe whose two ends are closed on exec; children get them only through dup2.
    static func pipe() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { return nil }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Reads the target of a symbolic link, or nil when `path` is not one.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A name unique to this process and call, for temporary files beside their destination.
    static func uniqueSuffix() -> String {
        "\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
    }
}
