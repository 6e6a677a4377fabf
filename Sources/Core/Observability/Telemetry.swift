import CoreMetrics
import Foundation
import Synchronization

/// What lavavisor measures, through swift-metrics: nothing leaves the process unless the CLI
/// bootstraps a metrics backend (`--metrics-address` serves them in the Prometheus format).
///
/// Names follow Prometheus' conventions; versions are labels of `_info` gauges set to 1, and the
/// series of a version that no longer applies is removed.
public enum Telemetry {
    /// Every series lavavisor serves and its `# HELP` text: the metrics backend gives each its
    /// text, and `start` makes each exist from the first scrape (counters at 0), so that
    /// `increase()` sees the first event and an alert on a gauge can fire before its first change.
    public static let descriptions: [String: String] = [
        "lavavisor_build_info": "lavavisor's own version (label version), always 1.",
        "lavavisor_required_version_info":
            "The chain's target and minimum lavap version for the supervised role (labels kind, version), 1.",
        "lavavisor_running_version_info": "The lavap version that runs (label version), 1.",
        "lavavisor_checks_total": "Version checks by outcome: unchanged, switched, behind, waiting, failed, wrong_chain.",
        "lavavisor_check_duration_seconds": "How long one version check took, downloads included.",
        "lavavisor_last_successful_check_timestamp_seconds": "Unix time of the last check that read the chain's versions.",
        "lavavisor_child_up": "1 while lavap runs, else 0.",
        "lavavisor_child_start_time_seconds": "Unix time lavap last started.",
        "lavavisor_restarts_total": "Starts of lavap again after it ended by itself (the restart policy).",
        "lavavisor_upgrades_total": "Switches of current to a newer lavap version.",
        "lavavisor_rollbacks_total": "Failed upgrades rolled back from.",
        "lavavisor_download_failures_total": "Downloads or builds of a lavap version that failed.",
        "lavavisor_download_bytes_total": "Bytes of lavap binaries downloaded.",
        "lavavisor_download_duration_seconds": "How long one successful download took.",
        "lavavisor_chain_height": "The block height of the last answer of the node, when it tells it.",
        "lavavisor_chain_info": "The chain id the node answered with (label chain_id), 1.",
        "lavavisor_pending_upgrade_proposals":
            "Proposals in their voting period that would raise the required version (read with the fetch ahead).",
        "lavavisor_bad_versions": "Versions marked bad after a failed upgrade, while the chain's target is unchanged.",
        "lavavisor_crash_loop": "1 while lavap is in a crash loop (its last failures came faster than --restart-reset-after), else 0.",
        "lavavisor_below_minimum": "1 when the lavap that runs is below the chain's minimum (it loses relays), else 0.",
        "lavavisor_below_target": "1 when the lavap that runs is below the chain's target (an upgrade is due or spread), else 0.",
        "lavavisor_upgrades_paused": "1 while upgrades are paused by 'lavavisor ctl pause', else 0.",
    ]

    /// The outcomes of a check, as `lavavisor_checks_total` labels them.
    public static let outcomes = ["unchanged", "switched", "behind", "waiting", "failed", "wrong_chain"]

    /// Makes every series exist with its starting value (`version`: lavavisor's own); called once
    /// the metrics backend is bootstrapped.
    public static func start(version: String) {
        info("lavavisor_build_info", ["version": version])
        for outcome in outcomes { Counter(label: "lavavisor_checks_total", dimensions: [("outcome", outcome)]).increment(by: 0) }
        for name in [
            "lavavisor_restarts_total", "lavavisor_upgrades_total", "lavavisor_rollbacks_total", "lavavisor_download_failures_total",
            "lavavisor_download_bytes_total",
        ] {
            Counter(label: name).increment(by: 0)
        }
        for name in [
            "lavavisor_child_up", "lavavisor_crash_loop", "lavavisor_below_minimum", "lavavisor_below_target", "lavavisor_upgrades_paused",
            "lavavisor_bad_versions", "lavavisor_pending_upgrade_proposals",
        ] {
            Gauge(label: name).record(0)
        }
    }

    /// The chain's versions the supervised role follows (`lavavisor_required_version_info{kind,version}`).
    public static func required(_ requirement: VersionRequirement) {
        info("lavavisor_required_version_info", ["kind": "target", "version": requirement.target.description])
        info("lavavisor_required_version_info", ["kind": "minimum", "version": requirement.minimum.description])
    }

    /// What a check read besides the versions: the node's chain id and height, the bad-version
    /// marks, and how the version that runs stands against the requirement.
    public static func read(
        chainID: String?, height: Int64?, badVersions: Int, running: SemanticVersion?, requirement: VersionRequirement
    ) {
        if let chainID { info("lavavisor_chain_info", ["chain_id": chainID]) }
        if let height { Gauge(label: "lavavisor_chain_height").record(height) }
        Gauge(label: "lavavisor_bad_versions").record(badVersions)
        guard let running else { return }
        Gauge(label: "lavavisor_below_minimum").record(running < requirement.minimum ? 1 : 0)
        Gauge(label: "lavavisor_below_target").record(running < requirement.target ? 1 : 0)
    }

    /// The proposals in their voting period that would raise the required version.
    public static func pendingProposals(_ count: Int) { Gauge(label: "lavavisor_pending_upgrade_proposals").record(count) }

    /// lavap entered a crash loop (true), or started again (false).
    public static func crashLoop(_ looping: Bool) { Gauge(label: "lavavisor_crash_loop").record(looping ? 1 : 0) }

    /// Upgrades were paused (true) or resumed (false) by the operator.
    public static func upgradesPaused(_ paused: Bool) { Gauge(label: "lavavisor_upgrades_paused").record(paused ? 1 : 0) }

    /// One version check and how it ended: `lavavisor_checks_total{outcome}`, its duration, and the
    /// time of the last successful one.
    public static func checked(_ outcome: CheckStep, duration: Duration) {
        Counter(label: "lavavisor_checks_total", dimensions: [("outcome", outcome.metricOutcome)]).increment()
        Timer(label: "lavavisor_check_duration_seconds").recordNanoseconds(duration.nanoseconds)
        if outcome.readTheChain {
            Gauge(label: "lavavisor_last_successful_check_timestamp_seconds").record(Date().timeIntervalSince1970)
        }
    }

    /// A child started on `version`.
    public static func childStarted(_ version: SemanticVersion) {
        info("lavavisor_running_version_info", ["version": version.description])
        Gauge(label: "lavavisor_child_start_time_seconds").record(Date().timeIntervalSince1970)
        Gauge(label: "lavavisor_child_up").record(1)
    }

    /// The child ended (by itself, or stopped).
    public static func childEnded() {
        Gauge(label: "lavavisor_child_up").record(0)
    }

    /// The child that ended by itself is started again by the restart policy (its status is in the log).
    public static func restarting() {
        Counter(label: "lavavisor_restarts_total").increment()
    }

    /// `current` was switched to a newer version.
    public static func upgraded() { Counter(label: "lavavisor_upgrades_total").increment() }

    /// A failed upgrade was rolled back from.
    public static func rolledBack() { Counter(label: "lavavisor_rollbacks_total").increment() }

    /// A download ended: its bytes and duration, or a failure.
    public static func downloaded(bytes: Int?, duration: Duration) {
        guard let bytes else {
            Counter(label: "lavavisor_download_failures_total").increment()
            return
        }
        Counter(label: "lavavisor_download_bytes_total").increment(by: bytes)
        Timer(label: "lavavisor_download_duration_seconds").recordNanoseconds(duration.nanoseconds)
    }

    /// Sets an `_info` series to 1; the metrics backend drops the series of the same name (and
    /// `kind`) that held the old labels (`lavavisor_running_version_info{version}` after an upgrade).
    private static func info(_ name: String, _ labels: [String: String]) {
        Gauge(label: name, dimensions: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }).record(1)
    }
}

extension CheckStep {
    /// The step's name in `lavavisor_checks_total{outcome}`.
    var metricOutcome: String {
        switch self {
        case .unchanged, .relink: "unchanged"
        case .switchTo, .fetch: "switched"
        case .restart: "behind"
        case .wait: "waiting"
        case .failed: "failed"
        case .wrongChain: "wrong_chain"
        }
    }
}
