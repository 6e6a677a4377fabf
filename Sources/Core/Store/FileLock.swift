import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// An advisory `flock` held by this process; the kernel releases it when the process dies.
///
/// Waiting never blocks a thread: the lock is tried without blocking and retried after a short sleep.
public final class FileLock: Sendable {
    private let descriptor: Int32
    /// The lock file.
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Takes the exclusive lock on `path`, waiting at most `timeout`; logs while it waits.
    ///
    /// A lock file removed (`removeIfFree`) while this process waited on it is opened again: the
    /// lock taken is always on the file that is at `path` now.
    public static func acquire(
        _ path: String, timeout: Duration, logger: Logger, purpose: String
    ) async throws -> FileLock {
        let deadline = ContinuousClock.now + timeout
        var nextNotice = ContinuousClock.now
        while true {
            let fd = try openLockFile(path)
            while try !tryLock(fd, path, before: deadline, timeout: timeout, purpose: purpose) {
                if ContinuousClock.now >= nextNotice {
                    logger.info("waiting for another lavavisor to finish \(purpose)", metadata: ["lock": "\(path)"])
                    nextNotice = ContinuousClock.now + .seconds(30)
                }
                do { try await Task.sleep(for: .milliseconds(100)) } catch {
                    close(fd)
                    throw error
                }
            }
            if isStill(fd, at: path) { return FileLock(descriptor: fd, path: path) }
            close(fd)  // removed while we waited: lock the file that is there now
        }
    }

    /// Removes the lock file at `path` when no process holds its lock (a failed first install must
    /// not leave one behind); returns whether it did. Safe against a process that opened the file
    /// meanwhile: `acquire` sees that the file it locked is no longer at `path` and opens it again.
    @discardableResult
    public static func removeIfFree(_ path: String) -> Bool {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0, isStill(fd, at: path) else { return false }
        return unlink(path) == 0
    }

    /// Whether the open file `fd` is the file at `path`.
    private static func isStill(_ fd: Int32, at path: String) -> Bool {
        var opened = stat()
        var named = stat()
        guard fstat(fd, &opened) == 0, stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }

    /// Takes the exclusive lock on `path` for a step of milliseconds (a switch of `current`), from
    /// synchronous code: retried every millisecond up to `timeout`, never a blocking `flock` (a
    /// stopped holder would hang the caller).
    public static func acquireBriefly(_ path: String, timeout: Duration = .seconds(10), purpose: String) throws -> FileLock {
        let fd = try openLockFile(path)
        let deadline = ContinuousClock.now + timeout
        while try !tryLock(fd, path, before: deadline, timeout: timeout, purpose: purpose) { usleep(1000) }
        return FileLock(descriptor: fd, path: path)
    }

    /// Opens (creating it if needed) the lock file `path`.
    private static func openLockFile(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("opening lock file \(path)") }
        return fd
    }

    /// One try without blocking: true when `fd` now holds the lock, false when another holds it and
    /// there is time left before `deadline`; otherwise closes `fd` and throws (a timeout, or the error).
    private static func tryLock(_ fd: Int32, _ path: String, before deadline: ContinuousClock.Instant, timeout: Duration, purpose: String)
        throws -> Bool
    {
        guard flock(fd, LOCK_EX | LOCK_NB) != 0 else { return true }
        let code = errno
        guard code == EWOULDBLOCK || code == EINTR else {
            close(fd)
            throw SystemError("locking \(path)", code: code)
        }
        guard ContinuousClock.now < deadline else {
            close(fd)
            throw LockTimeoutError(path: path, purpose: purpose, timeout: timeout)
        }
        return false
    }

    /// Whether another process holds the lock on `path` now; never waits, and creates no file
    /// (a missing lock file is a free lock).
    public static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(fd, LOCK_UN)
        return false
    }
}

/// Another process held a lock for longer than lavavisor waits.
public struct LockTimeoutError: Error, Sendable, CustomStringConvertible {
    /// The lock file.
    public let path: String
    /// What the holder is doing.
    public let purpose: String
    /// How long lavavisor waited.
    public let timeout: Duration

    public var description: String {
        "gave up after \(timeout) waiting for another lavavisor to finish \(purpose) (lock \(path)); "
            + "check that process, or remove nothing: the lock frees itself when its holder exits"
    }
}
