import Foundation

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

    /// The reason of a failed file operation in the system's words ("No such file or directory"):
    /// Foundation's own text on Linux opens with "The operation could not be completed", which
    /// says nothing; its underlying POSIX error says what happened.
    public static func reason(of error: any Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error {
            let posix = underlying as NSError
            if posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
        }
        let text = ns.localizedDescription
        let vague = "The operation could not be completed. "
        return text.hasPrefix(vague) ? String(text.dropFirst(vague.count)) : text
    }
}

/// Small wrappers over the POSIX calls the store needs, each throwing a `SystemError`.
enum Posix {
    /// `prctl`, which Swift does not import (C variadic); glibc implements it as a plain five-argument system call.
    static let prctl: (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") else { return nil }  // RTLD_DEFAULT
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32).self)
    }()

    /// Flushes a file or directory to disk.
    static func fsync(path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("opening \(path) to flush it") }
        defer { close(fd) }
        guard Glibc.fsync(fd) == 0 else { throw SystemError("flushing \(path) to disk") }
    }

    /// Writes all of `bytes` to `fd`, again after EINTR; false (`errno` says why) when a write fails.
    /// With `sendFlags`, `fd` is a socket written with `send` (`MSG_NOSIGNAL`: no SIGPIPE).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, sendFlags: Int32? = nil) -> Bool {
        var written = 0
        while written < bytes.count {
            let (start, length) = (bytes.baseAddress! + written, bytes.count - written)
            let count = sendFlags.map { send(fd, start, length, $0) } ?? Glibc.write(fd, start, length)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            written += count
        }
        return true
    }

    /// Atomically renames `from` to `to` (same filesystem).
    static func rename(_ from: String, _ to: String) throws(SystemError) {
        guard Glibc.rename(from, to) == 0 else { throw SystemError("renaming \(from) to \(to)") }
    }

    /// Creates a pipe whose two ends are closed on exec; children get them only through dup2.
    ///
    /// `pipe2(O_CLOEXEC)` sets the flag atomically: a child that another thread spawns between the
    /// creation and a later `fcntl` would otherwise inherit both ends and keep the pipe open.
    static func pipe() -> (read: Int32, write: Int32)? {
        guard let pipe2 = pipe2Function else {
            errno = ENOSYS
            return nil
        }
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC) == 0 else { return nil }
        return (fds[0], fds[1])
    }

    /// glibc's `pipe2`, looked up at run time: Swift's Glibc module is built without `_GNU_SOURCE`,
    /// which hides its declaration, though glibc has exported it since 2.9. Never falls back to
    /// `pipe` + `fcntl`, whose window is the very race `pipe2` closes.
    private static let pipe2Function: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2") else { return nil }  // RTLD_DEFAULT
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    }()

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
