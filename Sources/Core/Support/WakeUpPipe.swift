import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Wakes a dedicated thread blocked in `poll(2)`: the thread polls its file and this pipe's read end,
/// and `wake()` (from a task cancellation handler, say) makes the read end readable.
///
/// The owning thread calls `close()` when it is done; a `wake()` after that does nothing, so it can
/// never write to a descriptor number that has been reused.
final class WakeUpPipe: Sendable {
    /// The end to poll.
    let readEnd: Int32
    private let writeEnd: Mutex<Int32?>

    init() throws(SystemError) {
        guard let pipe = Posix.pipe() else { throw SystemError("creating a pipe") }
        readEnd = pipe.read
        writeEnd = Mutex(pipe.write)
    }

    /// Makes `readEnd` readable; idempotent.
    func wake() {
        writeEnd.withLock { fd in
            guard let fd else { return }
            var byte: UInt8 = 1
            _ = write(fd, &byte, 1)
        }
    }

    /// Closes both ends.
    func close() {
        writeEnd.withLock { fd in
            guard let open = fd else { return }
            _ = Glibc.close(open)
            _ = Glibc.close(readEnd)
            fd = nil
        }
    }

    /// Blocks until `fd` is readable (or at its end); throws `CancellationError` once `wake()` was called.
    func waitUntilReadable(_ fd: Int32) throws {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { throw SystemError("waiting for input") }
            if fds[1].revents != 0 { throw CancellationError() }
            if fds[0].revents != 0 { return }
        }
    }
}
