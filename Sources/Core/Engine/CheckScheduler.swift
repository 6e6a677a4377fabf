public import Logging

/// When the versions are checked: on every new block the version source announces (at most once
/// per block), and when a poll interval has passed since the last check, the interval doubled after
/// each failed check in a row (a node that cannot be reached) up to four times; the first success
/// resets it. While blocks come (one seen within two intervals), the poll waits two intervals
/// after the last check instead of one, so that a block a little late does not make two checks:
/// it never fires while blocks come, and is the safety net for when they stop.
/// It only wakes the checker up: what a check does is the `Monitor`'s.
public actor CheckScheduler {
    /// The source whose block feed wakes the checks.
    public nonisolated let source: any VersionSource
    /// The time between two checks when all goes well (`--poll-interval`).
    public nonisolated let interval: Duration
    private let logger: Logger
    /// Failed checks in a row.
    private var failures = 0
    /// When the last check ended (or the scheduler started).
    private var lastCheck = ContinuousClock.now
    /// When the last new block was announced.
    private var lastBlock: ContinuousClock.Instant?

    /// A scheduler following `source`'s blocks and polling every `interval`.
    public init(source: any VersionSource, interval: Duration, logger: Logger) {
        self.source = source
        self.interval = interval
        self.logger = logger
    }

    /// Calls `check` on every wake-up, one at a time, until cancelled: wake-ups that come during a
    /// check make one check after it, never a backlog. `check` answers whether it failed. Each of
    /// `nudges` (`lavavisor ctl`) wakes it up too.
    public func run(nudges: AsyncStream<Void>? = nil, _ check: @Sendable () async -> Bool) async {
        let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withDiscardingTaskGroup { group in
            if let nudges {
                group.addTask { for await _ in nudges { wake.yield() } }
            }
            group.addTask {
                await self.followBlocks {
                    await self.blockSeen()
                    wake.yield()
                }
            }
            group.addTask {
                while true {
                    // A check a block woke in the meantime moves the next poll on.
                    let remaining = await self.untilNextPoll()
                    if remaining > .zero {
                        do { try await Task.sleep(for: remaining) } catch { return }
                        continue
                    }
                    wake.yield()
                    do { try await Task.sleep(for: await self.nextWait()) } catch { return }
                }
            }
            for await _ in wakeUps {
                guard !Task.isCancelled else { break }
                let failed = await check()
                guard !Task.isCancelled else { break }
                failures = failed ? failures + 1 : 0
                lastCheck = .now
            }
            group.cancelAll()
        }
    }

    /// The wait before the next check: the interval, doubled after each failed check in a row, up
    /// to four times the interval.
    private func nextWait() -> Duration { interval * (1 << min(failures, 2)) }

    /// How long until a poll is due: the wait after the last check (twice that while blocks come),
    /// less the time since it ended.
    private func untilNextPoll() -> Duration {
        let wait = nextWait()
        let following = lastBlock.map { ContinuousClock.now - $0 < wait * 2 } ?? false
        return lastCheck + (following ? wait * 2 : wait) - .now
    }

    private func blockSeen() { lastBlock = .now }

    /// Follows the source's new blocks, calling `newBlock` once per new height, for as long as the
    /// task runs. A feed that cannot be opened, fails or ends is logged once (until it works again)
    /// and opened again after 1 s, 2 s, 4 s … up to 30 s; the poll goes on meanwhile.
    private nonisolated func followBlocks(_ newBlock: @Sendable () async -> Void) async {
        var backoff: Duration = .seconds(1)
        var failing = false
        var lastHeight: Int64 = .min
        while !Task.isCancelled {
            do {
                logger.debug("opening the new-block feed", metadata: ["source": "\(type(of: source).id)"])
                guard let blocks = try await source.blocks() else { return }
                if !failing {
                    logger.info(
                        "following new blocks: the versions are checked on each one, and every poll interval as well",
                        metadata: ["source": "\(type(of: source).id)"])
                }
                for try await height in blocks {
                    // The feed works: a later loss is logged again, and backs off from 1 s.
                    failing = false
                    backoff = .seconds(1)
                    guard height > lastHeight else { continue }
                    lastHeight = height
                    await newBlock()
                }
                guard !Task.isCancelled else { return }
                throw BlockFeedEnded()
            } catch {
                guard !Task.isCancelled else { return }
                logger.debug("the new-block feed failed; opening it again in \(backoff.brief)", metadata: ["error": "\(error)"])
                if !failing {
                    logger.warning(
                        "cannot follow new blocks; the versions are checked every poll interval meanwhile, and lavavisor reconnects with backoff up to 30 s",
                        metadata: ["error": "\(error)"])
                    failing = true
                }
                do { try await Task.sleep(for: backoff) } catch { return }
                backoff = min(backoff * 2, .seconds(30))
            }
        }
    }
}

/// The block feed ended without an error.
struct BlockFeedEnded: Error, CustomStringConvertible {
    var description: String { "the node closed the subscription" }
}
