#if canImport(Glibc)
    import Glibc
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`): the metrics server, downloads,
/// lock files and lavap's pipes all draw on it.
public enum DescriptorLimit {
    /// Below this soft limit, start-up warns: a busy metrics port and an upgrade may run short.
    public static let comfortable = 1024

    /// The soft limit now (`Int.max` when unlimited or unknown).
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return Int.max }
        return Int(clamping: limit.rlim_cur)
    }

    /// Raises the soft limit to the hard one, as Go programs (lavap among them) do at start; returns
    /// the soft limit in force afterwards. lavap inherits it.
    @discardableResult
    public static func raise() -> Int {
        var limit = rlimit()
        if getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            _ = setrlimit(resource, &raised)
        }
        return current
    }

    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
}
