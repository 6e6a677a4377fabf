public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Copies a file's bytes on a dedicated thread, so that a slow source (a network mount, a pipe)
/// never blocks the cooperative pool; memory stays at one buffer whatever the size.
public enum FileCopy {
    /// Copies `source` to a new file `destination` (which must not exist) and flushes it.
    ///
    /// Cancelling the task stops the copy promptly, even while the source has no data to give (a FIFO):
    /// the thread polls the source and a wake-up pipe, closes both files and ends, and this throws
    /// `CancellationError`. What was copied so far stays in `destination`.
    public static func copy(from source: URL, to destination: URL) async throws {
        let wakeUp = try WakeUpPipe()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                Thread.detach(stackSize: 256 * 1024) {
                    defer { wakeUp.close() }
                    do {
                        try copyBlocking(from: source.path, to: destination.path, wakeUp: wakeUp)
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            wakeUp.wake()
        }
    }

    private static func copyBlocking(from source: String, to destination: String, wakeUp: WakeUpPipe) throws {
        // Non-blocking: opening a FIFO waits for no writer, and a read never blocks past a wake-up.
        let input = open(source, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { throw SystemError("opening \(source)") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw SystemError("creating \(destination)") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            try wakeUp.waitUntilReadable(input)
            let count = read(input, &buffer, buffer.count)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count >= 0 else { throw SystemError("reading \(source)") }
            if count == 0 { break }
            guard buffer[0..<count].withUnsafeBytes({ Posix.writeAll(output, $0) }) else { throw SystemError("writing \(destination)") }
        }
        guard fsync(output) == 0 else { throw SystemError("flushing \(destination) to disk") }
    }
}
