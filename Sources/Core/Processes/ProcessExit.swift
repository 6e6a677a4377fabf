/// How a managed process ended.
public enum ProcessExit: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this status code.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)

    /// The exit code a wrapper should end with: the code, or 128 + the signal as shells do.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "signal \(signal)"
        }
    }
}
