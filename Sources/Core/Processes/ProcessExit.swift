#if canImport(Glibc)
    import Glibc
#endif

/// How a managed process ended.
public enum ProcessExit: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this status code.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)
    /// It ended, but its status could not be read: waiting for it failed with this `errno`.
    case unknown(errno: Int32)

    /// The exit code a wrapper should end with: the code, or 128 + the signal as shells do.
    ///
    /// An unknown status gives 255: never 0, so a supervisor above (systemd, a shell script) sees a
    /// failure; above every 128 + signal that Linux has, so it cannot be mistaken for a signal death;
    /// and not 1, which lavap and lavavisor use for their own errors (ssh uses 255 the same way).
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        case .unknown: 255
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "signal \(signal)"
        case .unknown(let code): "an unknown status (it could not be read: \(String(cString: strerror(code))))"
        }
    }
}
