import Foundation
public import Logging

/// The checker: one version check makes the plan, then carries it out (install if allowed, switch
/// `current`); it remembers what later checks need (failed installs and their backoff, marks it
/// could not write, the last requirement). `CheckScheduler` says when to check.
///
/// A failed read, listing, install or switch is logged and leaves `current` as it was, so a
/// healthy running `lavap` is never touched because of it.
public actor Monitor {
    /// Whether the binary source is asked on every plan or only when something may be fetched.
    public enum Listing: Sendable {
        /// Only when what runs is below the target (a release API has rate limits).
        case whenNeeded
        /// Always (for `status`).
        case always
    }

    /// The default time between two checks (`--poll-interval`), as the original's per-block polling.
    public static let defaultPollInterval: Duration = .seconds(15)

    /// Where the required versions come from.
    public nonisolated let source: any VersionSource
    /// Where binaries come from.
    public nonisolated let binaries: any BinarySource
    /// The `.lavavisor` store.
    public nonisolated let store: Store
    /// Whether this process may fetch missing versions (`--auto-download`).
    public nonisolated let autoDownload: Bool
    /// The logger.
    public nonisolated let logger: Logger
    /// The chain id the source must report, when `--chain-id` was given.
    public nonisolated let expectedChainID: String?
    /// The role of the supervised command.
    public nonisolated let role: Role
    /// Whether the binary of a version that a proposal in its voting period would require is
    /// fetched ahead (`--auto-download` without `--no-prefetch`).
    public nonisolated let prefetch: Bool
    var prefetchFailures: [SemanticVersion: ContinuousClock.Instant] = [:]
    var prefetchAttempts: [ContinuousClock.Instant] = []
    /// The time between two reads of the proposals (`--proposals-interval`): voting periods last
    /// hours to days, so a check on every block does not read them.
    public nonisolated let proposalsInterval: Duration
    /// When the proposals were last read, and the role's target then.
    var proposalsRead: (at: ContinuousClock.Instant, target: SemanticVersion)?

    /// The default `--proposals-interval`.
    public static let defaultProposalsInterval: Duration = .seconds(300)

    /// The most versions fetched ahead per `prefetchWindow`: a flood of proposals (anyone with
    /// the deposit can make one) must not turn into a flood of downloads.
    public static let prefetchLimit = 2
    /// The window of `prefetchLimit`.
    public static let prefetchWindow: Duration = .seconds(3600)
    private var lastOfferError: String?
    /// The versions of the last reading on the expected chain (every role's).
    var lastVersions: ProtocolVersion?
    /// The role's requirement of the last reading on the expected chain.
    var lastRequirement: VersionRequirement? { lastVersions.map(role.requirement) }
    /// Told when a check runs and when one succeeds (`/healthz`); nil: nobody asks.
    public nonisolated let health: Health?
    /// How long a version whose install failed is left alone.
    public nonisolated let installBackoff: InstallBackoff
    var installFailures = InstallFailures()
    /// Bad-version marks that could not be written to `state.json`: this process keeps them.
    var heldMarks: [StoreState.BadVersion] = []
    /// The version this process waits for another lavavisor to install, once the wait is logged.
    private var waitingFor: SemanticVersion?
    /// `--upgrade-spread`: an upgrade that the chain's minimum does not force waits a random time
    /// below this, drawn once per version, so that a fleet does not restart on one block; zero: off.
    public nonisolated let upgradeSpread: Duration
    /// Draws the wait of one upgrade in [0, `upgradeSpread`).
    let drawSpread: @Sendable (Duration) -> Duration
    /// The upgrade that waits out its spread, and when it may go.
    var spread: (version: SemanticVersion, at: ContinuousClock.Instant)?
    /// The operator's hooks (`--pre-switch-hook` …); nil: none.
    public nonisolated let hooks: Hooks?
    /// Whether a missing version is waited for, another lavavisor with `--auto-download` told
    /// (`wrap`); false for a command that checks once (`init`), which says what to do instead.
    nonisolated let waitsForOthers: Bool
    /// What `lavavisor ctl` holds (a pause, a pin), and the checks' results for it.
    public nonisolated let control = WrapperControl()

    /// Builds a monitor.
    public init(
        source: any VersionSource, binaries: any BinarySource, store: Store, autoDownload: Bool, logger: Logger,
        expectedChainID: String? = nil, role: Role = .any, prefetch: Bool = false,
        proposalsInterval: Duration = defaultProposalsInterval, installBackoff: InstallBackoff = .standard, health: Health? = nil,
        upgradeSpread: Duration = .zero,
        drawSpread: @escaping @Sendable (Duration) -> Duration = { .nanoseconds(Int64.random(in: 0..<max(1, $0.nanoseconds))) },
        hooks: Hooks? = nil, waitsForOthers: Bool = true
    ) {
        self.waitsForOthers = waitsForOthers
        self.hooks = hooks
        self.upgradeSpread = upgradeSpread
        self.drawSpread = drawSpread
        self.proposalsInterval = proposalsInterval
        self.health = health
        self.source = source
        self.binaries = binaries
        self.store = store
        self.autoDownload = autoDownload
        self.logger = logger
        self.expectedChainID = expectedChainID
        self.role = role
        self.prefetch = prefetch
        self.installBackoff = installBackoff
    }

    /// Makes the plan: reads the versions, looks at what runs and what is installed, and asks the
    /// binary source when needed. `child` is the version this process's child runs (nil: none).
    /// Throws when the version source fails.
    public func plan(child: SemanticVersion?, listing: Listing = .whenNeeded) async throws -> Plan {
        let reading = try await source.read()
        let running: SemanticVersion? = if let child { child } else { await store.currentBinaryVersion() }
        // One look at the store, so that the plan with offers sees what the plan without them saw.
        let (current, installed, state) = (store.currentVersion(), store.installedVersions(), readState())
        func make(offered: [SemanticVersion]?, error: String?) -> Plan {
            Plan(
                reading: reading, role: role, running: running, childRunning: child != nil, current: current, installed: installed,
                offered: offered, offerError: error, autoDownload: autoDownload, expectedChainID: expectedChainID, state: state)
        }
        let plan = make(offered: nil, error: nil)
        if plan.chainMismatch == nil {
            lastVersions = reading.versions
            Telemetry.required(plan.requirement)
            Telemetry.read(
                chainID: reading.chainID, height: reading.height, badVersions: plan.bad.count, running: running,
                requirement: plan.requirement)
            health?.required(minimum: plan.requirement.minimum)
        }
        guard listing == .always || (plan.needsOffers && plan.chainMismatch == nil) else { return plan }
        do {
            return make(offered: try await binaries.availableVersions(for: plan.requirement), error: nil)
        } catch {
            // Without a listing, the target and the minimum are still worth a try.
            return make(offered: [plan.requirement.target, plan.requirement.minimum], error: "\(error)")
        }
    }

    /// Runs one check; `child` is the version this process's child runs (nil: none).
    public func check(child: SemanticVersion? = nil) async -> CheckStep {
        let start = ContinuousClock.now
        health?.checking(true, now: start)
        defer { health?.checking(false) }
        _ = await control.beginCheck()
        let outcome = await checkOnce(child: child)
        await control.endCheck(outcome)
        if outcome.readTheChain { health?.checkSucceeded() }
        switch outcome {
        case .wait, .failed: break  // a failed read does not end a wait
        default: waitingFor = nil
        }
        Telemetry.checked(outcome, duration: .now - start)
        if prefetch, outcome.readTheChain, proposalsDue() { await prefetchPending(child: child) }
        if autoDownload, outcome.readTheChain { await fetchWanted() }
        return outcome
    }

    private func checkOnce(child: SemanticVersion?) async -> CheckStep {
        var plan: Plan
        do { plan = try await self.plan(child: child) } catch {
            logger.error("cannot read the required versions; nothing changes until the next check", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        logOfferError(plan)
        if let pinned = await pinnedStep(plan) { return pinned }
        var fetched: Set<SemanticVersion> = []
        // Installs that failed in this check: left out of every plan of it, also of the plan read
        // again after a download that outlasted their backoff.
        var failed: Set<SemanticVersion> = []
        while true {
            if plan.chainMismatch == nil { installFailures.follow(target: plan.requirement.target) }
            logMarkOverride(plan)
            switch plan.step {
            case .wrongChain(let message):
                logger.error("\(message)")
                return .wrongChain(message)
            case .unchanged:
                log(plan)
                return plan.step
            case .failed:
                return plan.step  // never a plan's step: a plan is made or its read throws
            case .wait(let version):
                logWait(for: version)
                return .wait(version)
            case .restart(let version), .switchTo(let version):
                if await pauseHolds(plan) { return .unchanged(plan.decision) }
                if spreadHolds(version, plan: plan) { return .unchanged(plan.decision) }
                guard await preSwitchAllows(version, plan: plan) else { return .unchanged(plan.decision) }
                guard case .restart = plan.step else { return switchCurrent(to: version, plan: plan) }
                logger.info(
                    "current links to \(version) but lavap runs \(plan.running.map(\.description) ?? "nothing"); restarting it",
                    metadata: ["decision": "\(plan.decision)"])
                return .restart(version)
            case .fetch(let version):
                if await pauseHolds(plan) { return .unchanged(plan.decision) }
                if failed.contains(version) {
                    plan = plan.excluding(version)
                    continue
                }
                if let remaining = installFailures.remaining(for: version, at: .now) {
                    logger.debug(
                        "not fetching \(version): its install failed; next attempt in \(remaining.brief)",
                        metadata: ["next-attempt": "\(Self.wallClock(in: remaining))"])
                    plan = plan.excluding(version)
                    continue
                }
                guard fetched.insert(version).inserted else {
                    // The store does not count what it just installed: never fetch it again in a loop.
                    logger.error(
                        "\(version) was installed but is not found at \(store.binary(for: version).path); current is not switched",
                        metadata: ["decision": "\(plan.decision)"])
                    return .failed("\(version) is not found after its install")
                }
                logger.info("fetching \(version)", metadata: ["decision": "\(plan.decision)", "source": "\(type(of: binaries).id)"])
                do {
                    try await store.install(version, logger: logger) { [binaries] staged in try await binaries.fetch(version, to: staged) }
                } catch is CancellationError {
                    return .failed("cancelled")
                } catch {
                    failed.insert(version)
                    let delay = installFailures.failed(version, at: .now, backoff: installBackoff)
                    logger.error(
                        "cannot install \(version); trying lower versions; next attempt in \(delay.brief) at \(Self.wallClock(in: delay))",
                        metadata: ["error": "\(error)"])
                    plan = plan.excluding(version)
                    continue
                }
                installFailures.entries.removeValue(forKey: version)
                // A download can take long: switch only if the chain still wants this version now.
                let fresh: Plan
                do { fresh = try await self.plan(child: child) } catch {
                    logger.error(
                        "\(version) is installed, but the required versions cannot be read again; current is not switched before the next check",
                        metadata: ["error": "\(error)"])
                    return .failed("\(error)")
                }
                logOfferError(fresh)
                if fresh.step.version != version, fresh.decision.destination != version {
                    logger.info(
                        "the chain's versions changed while \(version) was fetched; \(version) stays installed and current is not switched to it",
                        metadata: [
                            "decision": "\(fresh.decision)", "required": "\(fresh.requirement.target)",
                            "minimum": "\(fresh.requirement.minimum)",
                        ])
                }
                plan = fresh
            case .relink(let version):
                let problem =
                    store.currentProblem()
                    ?? plan.current.map { "\(store.current.path) links to \($0), marked bad under the target \(plan.requirement.target)" }
                    ?? "\(store.current.path) is missing"
                do { try store.switchCurrent(to: version) } catch {
                    logger.error("\(problem); cannot link it again to \(version), which runs", metadata: ["error": "\(error)"])
                    return .failed("\(error)")
                }
                logger.warning(
                    "current linked to what cannot or must not run, and is linked again to \(version), which runs; lavap is not restarted",
                    metadata: ["was": "\(problem)"])
                return .unchanged(plan.decision)
            }
        }
    }

    /// Logs the wait for `version` at info when it begins or changes, then at debug: a wrapper
    /// without `--auto-download` may wait for hours. Leaves the wish in `run/wanted/` for the
    /// lavavisor that downloads.
    private func logWait(for version: SemanticVersion) {
        guard waitsForOthers else { return }
        let changed = waitingFor != version
        waitingFor = version
        logger.log(
            level: changed ? .info : .debug, "\(version) is needed; waiting for a lavavisor with --auto-download to install it",
            metadata: ["path": "\(store.binary(for: version).path)"])
        do { try store.want(version) } catch {
            logger.log(
                level: changed ? .warning : .debug,
                "cannot tell the lavavisor with --auto-download on this store that \(version) is needed; it fetches it only when its own lavap needs it",
                metadata: ["error": "\(error)"])
        }
    }

    /// Says so when the plan takes a version marked bad because nothing else meets the chain's minimum.
    private func logMarkOverride(_ plan: Plan) {
        guard let note = plan.markOverride, plan.step.version != nil else { return }
        logger.warning("\(note)")
    }

    /// The wall-clock time `delay` from now, for people reading the log.
    static func wallClock(in delay: Duration) -> String {
        Date(timeIntervalSinceNow: delay.seconds).formatted(.iso8601)
    }

    /// Checks when `CheckScheduler` says (on every new block, and every `interval` with backoff
    /// after failed checks), until cancelled, and hands each outcome to `then`: the monitor only
    /// decides, the supervisor acts. `child` tells the version the child runs at each check.
    public nonisolated func run(
        every interval: Duration, child: @Sendable () async -> SemanticVersion?, then react: @Sendable (CheckStep) async -> Void
    ) async {
        await CheckScheduler(source: source, interval: interval, logger: logger).run(nudges: await control.nudges()) {
            let outcome = await check(child: await child())
            guard !Task.isCancelled else { return false }
            await react(outcome)
            return if case .failed = outcome { true } else { false }
        }
    }

    func switchCurrent(to version: SemanticVersion, plan: Plan) -> CheckStep {
        do { try store.switchCurrent(to: version) } catch {
            logger.error("cannot switch current to \(version)", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        var metadata: Logger.Metadata = ["from": "\(plan.current.map(\.description) ?? "none")", "decision": "\(plan.decision)"]
        if let height = plan.reading.height { metadata["height"] = "\(height)" }
        logger.info("switched current to \(version)", metadata: metadata)
        if let from = plan.current, version > from { Telemetry.upgraded() }
        return .switchTo(version)
    }

    /// The store's state with the marks this process holds in memory; an unreadable file is logged
    /// and taken as empty, so upgrades go on.
    func readState() -> StoreState {
        do { return try store.readState().holding(heldMarks) } catch {
            logger.warning(
                "\(error); its bad-version marks are ignored until it is fixed\(heldMarks.isEmpty ? "" : " (those this lavavisor holds in memory still count)")"
            )
            return StoreState().holding(heldMarks)
        }
    }

    /// Logs a failed listing once, not on every poll: again only when the error changes.
    private func logOfferError(_ plan: Plan) {
        defer { lastOfferError = plan.offerError }
        guard let error = plan.offerError, error != lastOfferError else { return }
        logger.warning(
            "cannot list the versions the binary source offers; trying \(plan.requirement.target) and \(plan.requirement.minimum) directly",
            metadata: ["error": "\(error)"])
    }

    private func log(_ plan: Plan) {
        var metadata: Logger.Metadata = ["required": "\(plan.requirement.target)", "minimum": "\(plan.requirement.minimum)"]
        if let height = plan.reading.height { metadata["height"] = "\(height)" }
        let now = ContinuousClock.now
        let backingOff = installFailures.entries.keys.sorted().compactMap { version in
            installFailures.remaining(for: version, at: now).map { "\(version) in \($0.brief)" }
        }
        if !backingOff.isEmpty { metadata["next-install-attempts"] = "\(backingOff.joined(separator: ", "))" }
        if case .cannotComply(let reason) = plan.decision {
            logger.error("cannot comply with the chain's protocol version: \(reason)", metadata: metadata)
        } else if !plan.childRunning, let destination = plan.decision.destination, destination == plan.current {
            logger.warning(
                "current already links to \(destination) but the binary does not report it; check \(store.currentBinary.path)")
        } else {
            logger.debug("running \(plan.running.map(\.description) ?? "unknown"): \(plan.decision)", metadata: metadata)
        }
    }
}
