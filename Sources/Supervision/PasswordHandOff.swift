public import Core
import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Hands the keyring password and a newline to a new child on its stdin pipe, then closes the pipe.
///
/// It never blocks the supervisor: the writes are non-blocking and run on a thread of their own,
/// which waits for room in the pipe (a password larger than the pipe's buffer is read in pieces)
/// for at most `timeout` in all. A child that does not read its stdin within that time gets the
/// pipe closed (it reads end of file) and a warning is logged; one that closed its stdin (EPIPE)
/// is left alone. The secret's lock is held only while bytes are copied into the pipe, never while
/// waiting, so a wipe at exit is not held up.
public enum PasswordHandOff {
    /// Starts the hand-off of `password` to the pipe `input`, which it owns from now on.
    public static func start(_ password: Secret, to input: Int32, within timeout: Duration, logger: Logger) {
        _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK)
        Thread.detach(name: "lavavisor-password", stackSize: 64 * 1024) {
            defer { close(input) }
            switch write(password, to: input, within: timeout) {
            case .done, .closedByChild: break
            case .timedOut(let written, let total):
                logger.warning(
                    "lavap did not read the keyring password from its stdin within \(timeout.brief) (\(written) of \(total) bytes taken); its stdin is closed",
                    metadata: ["timeout": "\(timeout.brief)"])
            case .failed(let code):
                logger.warning(
                    "cannot hand the keyring password to lavap: \(String(cString: strerror(code))); its stdin is closed")
            }
        }
    }

    /// How a hand-off ended.
    enum Outcome: Equatable {
        /// Every byte and the newline are in the pipe.
        case done
        /// The child closed its end (or ended) before taking every byte.
        case closedByChild
        /// The child took only `written` of `total` bytes within the time.
        case timedOut(written: Int, total: Int)
        /// A write failed with this errno.
        case failed(Int32)
    }

    /// Writes the password, then a newline, to the non-blocking `input`, waiting for room at most `timeout` in all.
    static func write(_ password: Secret, to input: Int32, within timeout: Duration) -> Outcome {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let total = password.count + 1
        var written = 0
        while written < total {
            // One non-blocking write under the secret's lock: the password's bytes, then the newline.
            let count: Int = password.withBytes { bytes in
                if bytes.isEmpty && total > 1 { return 0 }  // wiped meanwhile: nothing more is sent
                if written < bytes.count {
                    return Glibc.write(input, bytes.baseAddress! + written, bytes.count - written)
                }
                var newline: UInt8 = 0x0a
                return Glibc.write(input, &newline, 1)
            }
            if count > 0 {
                written += count
                continue
            }
            if count == 0 { return .done }
            switch errno {
            case EINTR: continue
            case EPIPE: return .closedByChild
            case EAGAIN:
                let left = deadline - clock.now
                guard left > .zero else { return .timedOut(written: written, total: total) }
                var wanted = pollfd(fd: input, events: Int16(POLLOUT), revents: 0)
                _ = poll(&wanted, 1, left.pollMilliseconds)
            default: return .failed(errno)
            }
        }
        return .done
    }
}
