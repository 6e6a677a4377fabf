import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the keyring password out of core files: while any secret is held, the process is not
/// dumpable (`PR_SET_DUMPABLE` 0: no core file, no ptrace by the same user, `/proc/<pid>/mem`
/// closed to others); when the last one goes, the setting it had before comes back.
public enum CoreDumps {
    private struct State {
        var holders = 0
        var previous: Int32 = 1
    }
    private static let state = Mutex(State())
    /// `PR_GET_DUMPABLE` and `PR_SET_DUMPABLE` of `<linux/prctl.h>`.
    private static let (getDumpable, setDumpable): (Int32, Int32) = (3, 4)

    /// One more holder of a secret; the first turns dumping off.
    public static func hold() {
        state.withLock { state in
            if state.holders == 0, let prctl = Posix.prctl {
                state.previous = max(0, prctl(getDumpable, 0, 0, 0, 0))
                _ = prctl(setDumpable, 0, 0, 0, 0)
            }
            state.holders += 1
        }
    }

    /// One holder fewer; the last brings back the setting from before the first.
    public static func release() {
        state.withLock { state in
            state.holders = max(0, state.holders - 1)
            if state.holders == 0, let prctl = Posix.prctl { _ = prctl(setDumpable, UInt(state.previous), 0, 0, 0) }
        }
    }

    /// Whether the process may be dumped now (`PR_GET_DUMPABLE`).
    public static var processIsDumpable: Bool { (Posix.prctl?(getDumpable, 0, 0, 0, 0) ?? 1) != 0 }
}
