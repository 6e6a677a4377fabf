import Core
import CoreMetrics
import Prometheus
import Synchronization

/// swift-prometheus' registry behind swift-metrics, as `PrometheusMetricsFactory` is, but every
/// series gets its `# HELP` line from `Telemetry.descriptions` (swift-metrics has no help text,
/// and the registry refuses one name with two texts).
struct DescribedMetricsFactory: CoreMetrics.MetricsFactory {
    let registry: PrometheusCollectorRegistry
    /// The buckets of the duration histograms: a check of a few milliseconds to a download of minutes.
    let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
    ]

    /// The current series of each `_info` gauge.
    let infoSeries = InfoSeries()

    private func help(_ label: String) -> String { Telemetry.descriptions[label] ?? "" }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help(label))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else {
            let gauge = registry.makeGauge(name: label, labels: dimensions, help: help(label))
            if label.hasSuffix("_info") { infoSeries.replace(with: gauge, named: label, dimensions: dimensions, in: registry) }
            return gauge
        }
        return registry.makeValueHistogram(
            name: label, labels: dimensions, buckets: [1, 10, 100, 1000, 10000, 100_000], help: help(label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help(label))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(name: label, labels: dimensions, buckets: durationBuckets, help: help(label))
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        switch handler {
        case let gauge as Prometheus.Gauge: registry.unregisterGauge(gauge)
        case let histogram as ValueHistogram: registry.unregisterValueHistogram(histogram)
        default: break
        }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}

/// An `_info` gauge says its value in its labels: when it gets new ones, the series of the old ones
/// goes, one series per name (and per `kind` label, as the target and the minimum).
final class InfoSeries: Sendable {
    private let current = Mutex<[String: Prometheus.Gauge]>([:])

    func replace(with gauge: Prometheus.Gauge, named name: String, dimensions: [(String, String)], in registry: PrometheusCollectorRegistry)
    {
        let key = name + "/" + (dimensions.first { $0.0 == "kind" }?.1 ?? "")
        let old = current.withLock { current in
            defer { current[key] = gauge }
            return current[key]
        }
        if let old, old !== gauge { registry.unregisterGauge(old) }
    }
}
