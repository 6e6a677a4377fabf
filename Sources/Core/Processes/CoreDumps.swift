#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the keyring password out of core files: once a secret is read or held, the process is
/// not dumpable (`PR_SET_DUMPABLE` 0: no core file, no ptrace by the same user, `/proc/<pid>/mem`
/// closed to others) for the rest of its life, since freed memory may still hold copies of it.
public enum CoreDumps {
    /// `PR_GET_DUMPABLE` and `PR_SET_DUMPABLE` of `<linux/prctl.h>`.
    private static let (getDumpable, setDumpable): (Int32, Int32) = (3, 4)

    /// Turns dumping off for good; a process-wide setting the kernel keeps, so no state here.
    public static func forbid() { _ = Posix.prctl?(setDumpable, 0, 0, 0, 0) }

    /// Whether the process may be dumped now (`PR_GET_DUMPABLE`).
    public static var processIsDumpable: Bool { (Posix.prctl?(getDumpable, 0, 0, 0, 0) ?? 1) != 0 }
}
