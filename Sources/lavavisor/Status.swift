import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor status [--json]`: what the chain requires, what is installed, what would be done now.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the required versions, the current and installed versions, and the decision now.")

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            let runtime = Runtime(global)
            let report = try await runtime.reportingErrors {
                try await StatusReport.gather(
                    source: runtime.versionSource(), binaries: runtime.binarySource(default: "git"), store: runtime.store,
                    expectedChainID: runtime.options.chainID)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
            if report.source.error != nil { throw ExitCode.failure }
        }
    }
}

/// Everything `status` shows, as one value that renders as text or JSON.
struct StatusReport: Encodable {
    struct Source: Encodable {
        var id: String
        var location: String?
        var chainID: String?
        var height: Int64?
        var error: String?
    }
    struct Decision: Encodable {
        var action: String
        var version: String?
        var detail: String
    }

    var source: Source
    var required: ProtocolVersion?
    var store: String
    var current: String?
    var running: String?
    var installed: [String]
    var available: [String]
    var availableError: String?
    var decision: Decision?

    static func gather(
        source: any VersionSource, binaries: any BinarySource, store: Store, expectedChainID: String? = nil
    ) async -> StatusReport {
        let installed = store.installedVersions()
        var report = StatusReport(
            source: Source(id: type(of: source).id), store: store.root.path, current: store.currentVersion()?.description,
            installed: installed.map(\.description), available: [])
        let running = await store.runningVersion()
        report.running = running?.description
        var offered = Set(installed)
        do {
            let listed = try await binaries.availableVersions()
            report.available = listed.sorted().map(\.description)
            offered.formUnion(listed)
        } catch {
            report.availableError = "\(error)"
        }
        do {
            let reading = try await source.read()
            report.source.location = reading.location
            report.source.chainID = reading.chainID
            if let expectedChainID, let actual = reading.chainID, actual != expectedChainID {
                report.source.error = "the node is on chain '\(actual)' but --chain-id is '\(expectedChainID)'; lavavisor would refuse it"
            }
            report.source.height = reading.height
            report.required = reading.versions
            let decision = UpgradeDecision.decide(running: running, required: reading.versions, available: offered)
            report.decision = Decision(decision)
        } catch {
            report.source.error = "\(error)"
        }
        return report
    }

    var text: String {
        var lines: [String] = []
        var sourceLine = "version source: \(source.id)"
        if let location = source.location { sourceLine += " \(location)" }
        if let chainID = source.chainID { sourceLine += " chain-id=\(chainID)" }
        if let height = source.height { sourceLine += " height=\(height)" }
        lines.append(sourceLine)
        if let error = source.error { lines.append("  error: \(error)") }
        if let required {
            lines.append("required: target \(required.target), minimum \(required.minimum) (\(required))")
        }
        lines.append("store: \(store)")
        lines.append("current: \(current ?? "none")\(running.map { $0 == current ? "" : " (binary reports \($0))" } ?? "")")
        lines.append("installed: \(installed.isEmpty ? "none" : installed.joined(separator: ", "))")
        lines.append("available: \(available.isEmpty ? "none" : available.joined(separator: ", "))")
        if let availableError { lines.append("  error: \(availableError)") }
        if let decision { lines.append("decision: \(decision.detail)") }
        return lines.joined(separator: "\n")
    }
}

extension StatusReport.Decision {
    init(_ decision: UpgradeDecision) {
        switch decision {
        case .keep(let version): self.init(action: "keep", version: version.description, detail: decision.description)
        case .upgrade(let version): self.init(action: "upgrade", version: version.description, detail: decision.description)
        case .fallback(let version, _): self.init(action: "fallback", version: version.description, detail: decision.description)
        case .cannotComply: self.init(action: "cannot-comply", version: nil, detail: decision.description)
        }
    }
}
