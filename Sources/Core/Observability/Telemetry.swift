import CoreMetrics
import Foundation
import Synchronization

/// What lavavisor measures, through swift-metrics: nothing leaves the process unless the CLI
/// bootstraps a metrics backend (`--metrics-address` serves them in the Prometheus format).
///
/// Names follow Prometheus' conventions; versions are labels of `_info` gauges set to 1, and the
/// series of a version that no longer applies is removed.
public enum Telemetry {
    /// The chain's versions the supervised role follows (`lavavisor_required_version_info{kind,version}`).
    public static func required(_ requirement: VersionRequirement) {
        info.set("lavavisor_required_version_info", key: "target", ["kind": "target", "version": requirement.target.description])
        info.set("lavavisor_required_version_info", key: "minimum", ["kind": "minimum", "version": requirement.minimum.description])
    }

    /// One version check and how it ended: `lavavisor_checks_total{outcome}`, its duration, and the
    /// time of the last successful one.
    public static func checked(_ outcome: Monitor.Outcome, duration: Duration) {
        Counter(label: "lavavisor_checks_total", dimensions: [("outcome", outcome.name)]).increment()
        Timer(label: "lavavisor_check_duration_seconds").recordNanoseconds(duration.nanoseconds)
        if outcome.readTheChain {
            Gauge(label: "lavavisor_last_successful_check_timestamp_seconds").record(Date().timeIntervalSince1970)
        }
    }

    /// A child started on `version`.
    public static func childStarted(_ version: SemanticVersion) {
        info.set("lavavisor_running_version_info", key: "running", ["version": version.description])
        Gauge(label: "lavavisor_child_start_time_seconds").record(Date().timeIntervalSince1970)
        Gauge(label: "lavavisor_child_up").record(1)
    }

    /// The child ended (by itself, or stopped).
    public static func childEnded() {
        Gauge(label: "lavavisor_child_up").record(0)
    }

    /// The child that ended with `exit` is started again by the restart policy.
    public static func restarting(after exit: ProcessExit) {
        Counter(label: "lavavisor_restarts_total", dimensions: [("status", "\(exit.shellStatus)")]).increment()
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

    private static let info = InfoGauges()
}

/// `_info` gauges whose labels change: the series of the old value is destroyed when a new one is set.
private final class InfoGauges: Sendable {
    private struct Set: @unchecked Sendable {
        var gauges: [String: (labels: [String: String], gauge: Gauge)] = [:]
    }
    private let state = Mutex(Set())

    func set(_ name: String, key: String, _ labels: [String: String]) {
        state.withLock { state in
            let id = name + "/" + key
            if let old = state.gauges[id] {
                guard old.labels != labels else { return }
                old.gauge.destroy()
            }
            let gauge = Gauge(label: name, dimensions: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            gauge.record(1)
            state.gauges[id] = (labels, gauge)
        }
    }
}

extension Monitor.Outcome {
    /// Whether the check read the chain's versions from the right chain (it did not fail, nor refuse).
    public var readTheChain: Bool {
        switch self {
        case .failed, .wrongChain: false
        case .unchanged, .switched, .behind, .waiting: true
        }
    }

    /// The outcome's name in metrics.
    public var name: String {
        switch self {
        case .unchanged: "unchanged"
        case .switched: "switched"
        case .behind: "behind"
        case .waiting: "waiting"
        case .failed: "failed"
        case .wrongChain: "wrong-chain"
        }
    }
}
