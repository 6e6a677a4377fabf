public import Logging

/// One version check: read the chain's versions, decide, install if allowed, switch `current`.
///
/// A failed read, listing, install or switch is logged and leaves `current` as it was, so a
/// healthy running `lavap` is never touched because of it.
public struct Monitor: Sendable {
    /// What one check did.
    public enum Outcome: Sendable, Equatable {
        /// `current` was left as it is.
        case unchanged(UpgradeDecision)
        /// `current` now points at this version; the processes must be restarted.
        case switched(SemanticVersion)
        /// This version is needed but not installed, and this process may not fetch it.
        case waiting(SemanticVersion)
        /// The check failed; the message says why.
        case failed(String)
        /// The version source is on another chain than `--chain-id`; the message says both.
        case wrongChain(String)
    }

    /// Where the required versions come from.
    public let source: any VersionSource
    /// Where binaries come from.
    public let binaries: any BinarySource
    /// The `.lavavisor` store.
    public let store: Store
    /// Whether this process may fetch missing versions (`--auto-download`).
    public let autoDownload: Bool
    /// The logger.
    public let logger: Logger
    /// The chain id the source must report, when `--chain-id` was given.
    public let expectedChainID: String?

    /// Builds a monitor.
    public init(
        source: any VersionSource, binaries: any BinarySource, store: Store, autoDownload: Bool, logger: Logger,
        expectedChainID: String? = nil
    ) {
        self.source = source
        self.binaries = binaries
        self.store = store
        self.autoDownload = autoDownload
        self.logger = logger
        self.expectedChainID = expectedChainID
    }

    /// Runs one check.
    public func check() async -> Outcome {
        let reading: VersionReading
        do { reading = try await source.read() } catch {
            logger.error("cannot read the required versions; nothing changes until the next check", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        if let expected = expectedChainID, let actual = reading.chainID, actual != expected {
            let message =
                "the node at \(reading.location) is on chain '\(actual)' but --chain-id is '\(expected)'; "
                + "point the version source at a \(expected) node or fix --chain-id"
            logger.error("\(message)")
            return .wrongChain(message)
        }
        let running = await store.runningVersion()
        if let running, running >= reading.versions.target {
            // Nothing to fetch: do not ask the binary source (a release API has rate limits).
            log(.keep(running), reading: reading, running: running)
            return .unchanged(.keep(running))
        }
        var offered = Set(store.installedVersions())
        do { offered.formUnion(try await binaries.availableVersions()) } catch {
            logger.warning(
                "cannot list the versions the binary source offers; trying the target \(reading.versions.target) directly",
                metadata: ["error": "\(error)"])
            offered.insert(reading.versions.target)
        }
        while true {
            let decision = UpgradeDecision.decide(running: running, required: reading.versions, available: offered)
            guard let destination = decision.destination else {
                log(decision, reading: reading, running: running)
                return .unchanged(decision)
            }
            if destination == store.currentVersion() {
                logger.warning(
                    "current already links to \(destination) but the binary does not report it; check \(store.currentBinary.path)")
                return .unchanged(decision)
            }
            if !store.isInstalled(destination) {
                guard autoDownload else {
                    logger.info(
                        "\(destination) is needed; waiting for a lavavisor with --auto-download to install it",
                        metadata: ["path": "\(store.binary(for: destination).path)"])
                    return .waiting(destination)
                }
                logger.info("fetching \(destination)", metadata: ["decision": "\(decision)", "source": "\(type(of: binaries).id)"])
                do {
                    try await store.install(destination, logger: logger) { staged in
                        try await binaries.fetch(destination, to: staged)
                    }
                } catch {
                    logger.error("cannot install \(destination); trying lower versions", metadata: ["error": "\(error)"])
                    offered.remove(destination)
                    continue
                }
            }
            do { try store.switchCurrent(to: destination) } catch {
                logger.error("cannot switch current to \(destination)", metadata: ["error": "\(error)"])
                return .failed("\(error)")
            }
            var metadata: Logger.Metadata = ["from": "\(running.map(\.description) ?? "none")", "decision": "\(decision)"]
            if let height = reading.height { metadata["height"] = "\(height)" }
            logger.info("switched current to \(destination)", metadata: metadata)
            return .switched(destination)
        }
    }

    /// Checks every `interval` until cancelled, calling `onSwitch` after each switch.
    public func run(every interval: Duration, onSwitch: @Sendable (SemanticVersion) async -> Void) async {
        while true {
            do { try await Task.sleep(for: interval) } catch { return }
            if case .switched(let version) = await check() { await onSwitch(version) }
        }
    }

    private func log(_ decision: UpgradeDecision, reading: VersionReading, running: SemanticVersion?) {
        var metadata: Logger.Metadata = ["required": "\(reading.versions.target)", "minimum": "\(reading.versions.minimum)"]
        if let height = reading.height { metadata["height"] = "\(height)" }
        switch decision {
        case .cannotComply(let reason): logger.error("cannot comply with the chain's protocol version: \(reason)", metadata: metadata)
        default: logger.debug("running \(running.map(\.description) ?? "unknown"): \(decision)", metadata: metadata)
        }
    }
}
