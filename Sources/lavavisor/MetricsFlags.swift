import ArgumentParser
import MetricsServer

/// `--metrics-address`: the commands that supervise serve their metrics and health there.
struct MetricsFlags: ParsableArguments {
    @Option(
        name: .customLong("metrics-address"),
        help: ArgumentHelp(
            "Serve GET /metrics (Prometheus), /livez (liveness), /readyz (readiness; /healthz the same) on this address, e.g. 127.0.0.1:9184 (off by default).",
            valueName: "host:port"))
    var address: String?

    func validate() throws {
        if let address {
            do { _ = try MetricsServer.parse(address: address) } catch let error as MetricsServerError {
                throw ValidationError(error.description)
            }
        }
    }
}
