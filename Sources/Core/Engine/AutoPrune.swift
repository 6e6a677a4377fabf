public import Logging
import Synchronization

/// `--auto-prune`: once an upgrade has stayed up for the restart policy's reset window, removes old
/// versions by the rules of `lavavisor prune` (`Store.prune`), logging what went.
///
/// It prunes only if the version running after the wait is still the one upgraded to: a rollback
/// or a later upgrade during the wait cancels it (a later upgrade waits anew). The wait runs in a
/// task of its own, so version checks go on meanwhile; it is cancelled when this value goes away.
public final class AutoPrune: Sendable {
    /// The store to prune.
    public let store: Store
    /// How many versions older than `current` stay (`--keep`).
    public let keep: Int
    /// How long an upgrade must stay up first (`--restart-reset-after`).
    public let wait: Duration
    private let running: @Sendable () async -> SemanticVersion?
    private let logger: Logger
    private let pending = Mutex<Task<Void, Never>?>(nil)

    /// Prunes `store` keeping `keep` rollback targets, `wait` after each upgrade; `running` tells the
    /// version the processes run now.
    public init(
        store: Store, keep: Int, wait: Duration, running: @escaping @Sendable () async -> SemanticVersion?, logger: Logger
    ) {
        self.store = store
        self.keep = keep
        self.wait = wait
        self.running = running
        self.logger = logger
    }

    deinit { pending.withLock { $0?.cancel() } }

    /// Called after the processes were restarted on `version`: prunes after the wait, unless
    /// another upgrade comes first.
    public func upgraded(to version: SemanticVersion) {
        let task = Task { [store, keep, wait, running, logger] in
            do { try await Task.sleep(for: wait) } catch { return }
            await Self.prune(store: store, keep: keep, after: version, running: running, logger: logger)
        }
        pending.withLock { previous in
            previous?.cancel()
            previous = task
        }
    }

    /// Waits for the pending prune, if any (for tests and orderly ends).
    public func settle() async { await pending.withLock { $0 }?.value }

    /// Prunes if `running` still reports `version`.
    static func prune(
        store: Store, keep: Int, after version: SemanticVersion, running: @Sendable () async -> SemanticVersion?, logger: Logger
    ) async {
        let now = await running()
        guard now == version else {
            logger.info(
                "not pruning: lavap runs \(now.map(\.description) ?? "nothing") now, not \(version) as after the upgrade")
            return
        }
        do {
            let report = try await store.prune(keep: keep, logger: logger)
            for removal in report.removed {
                logger.info("auto-prune removed \(removal.version)", metadata: ["freed": "\(ByteCount.text(removal.size))"])
            }
            logger.info(
                "auto-prune after \(version) stayed up: \(report.removed.isEmpty ? "nothing to remove" : "freed \(ByteCount.text(report.freed))")",
                metadata: ["keep": "\(keep)"])
        } catch {
            logger.error("auto-prune failed; nothing more is removed until the next upgrade", metadata: ["error": "\(error)"])
        }
    }
}
