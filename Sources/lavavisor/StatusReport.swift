import Core
import Foundation

/// Everything `status` shows, as one value that renders as text or JSON: the monitor's own plan.
struct StatusReport: Report {
    struct Source: Encodable {
        var id: String
        var location: String?
        var chainID: String?
        var height: Int64?
        var error: String?

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields(["id": id, "location": location, "chainID": chainID, "height": height, "error": error])
        }
    }
    struct Requirement: Encodable {
        var role: String
        var target: String
        var minimum: String
    }
    struct Decision: Encodable {
        var action: String
        var version: String?
        var detail: String
        /// Why a version marked bad is taken anyway (nothing else meets the chain's minimum).
        var mark: String?

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields(["action": action, "version": version, "detail": detail, "mark": mark])
        }
    }
    /// A proposal in its voting period that would change the versions, and whether its binary is here.
    struct Pending: Encodable {
        var proposal: String
        var version: String
        var votingEnd: Date?
        var fetched: Bool

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields(["proposal": proposal, "version": version, "votingEnd": votingEnd, "fetched": fetched])
        }
    }
    struct Step: Encodable {
        var action: String
        var version: String?
        var detail: String

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields(["action": action, "version": version, "detail": detail])
        }
    }

    var source: Source
    var role: String
    var required: ProtocolVersion?
    var requirement: Requirement?
    var store: String
    var current: String?
    /// Why `current` cannot be started (it dangles, or links outside the store's upgrades).
    var currentError: String?
    var running: String?
    var installed: [String]
    /// The versions a lavavisor without `--auto-download` on this store waits for (`run/wanted/`).
    var wanted: [String] = []
    var children: [ChildRecord]

    /// A running child as the JSON shows it; `startTicks` is the kernel's start time of the
    /// process (clock ticks since boot, /proc/PID/stat field 22), which tells it from a later
    /// process with the same pid.
    struct Child: Encodable {
        let pid: Int32
        let version: String
        let supervisor: Int32
        let startTicks: UInt64
        init(_ record: ChildRecord) {
            (pid, version, supervisor, startTicks) = (record.pid, record.version, record.supervisor, record.startTime)
        }
    }
    /// The lavavisors running on this store, as their control sockets answer (`ctl status`): pause, pin.
    var wrappers: [WrapperStatus] = []
    /// The versions marked bad after a failed upgrade; a mark holds while the chain's target is the one it names.
    var bad: [StoreState.BadVersion]
    var pending: [Pending] = []
    var pendingError: String?
    var stateError: String?
    var available: [String]
    var availableError: String?
    var decision: Decision?
    var step: Step?
    /// The services of `config.yml` and their states under systemd (empty without services).
    var services: [ServiceState] = []
    /// Why `config.yml` could not be read, when it exists but cannot be.
    var configError: String?

    /// Every key is written, null when its value is unknown.
    func encode(to encoder: any Encoder) throws {
        try encoder.encodeFields([
            "source": source, "role": role, "required": required, "requirement": requirement, "store": store, "current": current,
            "currentError": currentError, "running": running, "installed": installed, "wanted": wanted,
            "children": children.map(Child.init),
            "wrappers": wrappers, "bad": bad,
            "pending": pending,
            "pendingError": pendingError, "stateError": stateError, "available": available, "availableError": availableError,
            "decision": decision, "step": step, "services": services, "configError": configError,
        ])
    }

    /// Makes the plan a wrapper with `--auto-download` would make now (no child runs here, so what
    /// `current/lavap` reports stands for what runs).
    static func gather(_ monitor: Monitor, serviceStates: ([String]) async -> [ServiceState]) async -> StatusReport {
        let store = monitor.store
        var report = StatusReport(
            source: Source(id: type(of: monitor.source).id), role: monitor.role.rawValue, store: store.root.path,
            current: store.currentVersion()?.description, currentError: store.currentProblem(),
            installed: store.installedVersions().map(\.description), children: store.runningChildren(), bad: [], available: [])
        report.wanted = store.wantedVersions().sorted().map(\.description)
        for socket in store.controlSockets() {
            let answer = try? await ControlClient.ask(ControlRequest(.status), at: socket.path, timeout: .seconds(5))
            if let status = answer?.status { report.wrappers.append(status) }
        }
        do { report.bad = try store.readState().bad } catch { report.stateError = "\(error)" }
        do {
            report.pending = try await monitor.source.pendingVersions().map { change in
                let target = monitor.role.requirement(change.versions).target
                return Pending(
                    proposal: change.proposal, version: target.description, votingEnd: change.votingEnd, fetched: store.isInstalled(target))
            }
        } catch {
            report.pendingError = "\(error)"
        }
        do {
            let plan = try await monitor.plan(child: nil, listing: .always)
            report.source.location = plan.reading.location
            report.source.chainID = plan.reading.chainID
            report.source.height = plan.reading.height
            if let mismatch = plan.chainMismatch { report.source.error = "\(mismatch); lavavisor would refuse it" }
            report.required = plan.reading.versions
            report.requirement = Requirement(
                role: plan.role.rawValue, target: plan.requirement.target.description, minimum: plan.requirement.minimum.description)
            report.running = plan.running?.description
            report.available = (plan.offerError == nil ? plan.offered ?? [] : []).sorted().map(\.description)
            report.availableError = plan.offerError
            report.decision = Decision(plan.decision, mark: plan.markOverride)
            report.step = Step(plan.step)
        } catch {
            report.source.error = "\(error)"
            report.running = await store.currentBinaryVersion()?.description
        }
        // A config.yml that is there but cannot be read is an error, never an empty list of services.
        var services: [String] = []
        if FileManager.default.fileExists(atPath: store.configFile.path) {
            do { services = try store.readConfig().services } catch { report.configError = "\(error)" }
        }
        if !services.isEmpty { report.services = await serviceStates(services) }
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
        if let requirement {
            lines.append("role: \(requirement.role): target \(requirement.target), minimum \(requirement.minimum)")
        } else {
            lines.append("role: \(role)")
        }
        lines.append("store: \(store)")
        lines.append("current: \(current ?? "none")\(running.map { $0 == current ? "" : " (binary reports \($0))" } ?? "")")
        if let currentError { lines.append("  error: \(currentError)") }
        lines.append("installed: \(installed.isEmpty ? "none" : installed.joined(separator: ", "))")
        if !wanted.isEmpty {
            lines.append(
                "wanted: \(wanted.joined(separator: ", ")) (a lavavisor without --auto-download waits; one with it on this store fetches it)"
            )
        }
        let running = children.map { "lavap \($0.version) pid \($0.pid) (lavavisor pid \($0.supervisor))" }
        lines.append("running: \(running.isEmpty ? "none" : running.joined(separator: ", "))")
        for wrapper in wrappers { lines.append("wrapper: lavavisor \(wrapper.pid) (\(wrapper.command)): \(wrapper.summary)") }
        let target = requirement?.target
        for mark in bad {
            let holds = target.map {
                $0 == mark.target.description ? "skipped while the target is \(mark.target)" : "target has moved on: may be tried again"
            }
            lines.append(
                "bad: \(mark.version) \(mark.reason); rolled back to \(mark.rolledBackTo) at \(mark.markedAt.formatted(.iso8601))"
                    + (holds.map { " (\($0))" } ?? " (while the target is \(mark.target))"))
        }
        if let stateError { lines.append("  error: \(stateError)") }
        for change in pending {
            let end = change.votingEnd.map { ", voting ends \($0.formatted(.iso8601))" } ?? ""
            lines.append(
                "pending: proposal \(change.proposal) would require \(change.version)\(end); \(change.fetched ? "fetched" : "not fetched")")
        }
        if let pendingError { lines.append("pending: cannot read the proposals: \(pendingError)") }
        lines.append("available: \(available.isEmpty ? "none" : available.joined(separator: ", "))")
        if let availableError { lines.append("  error: \(availableError)") }
        if let decision { lines.append("decision: \(decision.detail)") }
        if let mark = decision?.mark { lines.append("  note: \(mark)") }
        if let step { lines.append("next step: \(step.detail)") }
        for service in services { lines.append("service: \(service.summary)") }
        if let configError { lines.append("services: error: \(configError)") }
        return lines.joined(separator: "\n")
    }
}

extension StatusReport.Decision {
    init(_ decision: UpgradeDecision, mark: String? = nil) {
        switch decision {
        case .keep(let version): self.init(action: "keep", version: version.description, detail: decision.description, mark: mark)
        case .upgrade(let version): self.init(action: "upgrade", version: version.description, detail: decision.description, mark: mark)
        case .fallback(let version, _):
            self.init(action: "fallback", version: version.description, detail: decision.description, mark: mark)
        case .cannotComply: self.init(action: "cannot-comply", version: nil, detail: decision.description, mark: mark)
        }
    }
}

extension StatusReport.Step {
    init(_ step: CheckStep) {
        let name =
            switch step {
            case .unchanged: "none"
            case .wrongChain: "refuse"
            case .fetch: "fetch"
            case .wait: "wait"
            case .switchTo: "switch"
            case .restart: "restart"
            case .relink: "relink"
            case .failed: "failed"
            }
        let detail = if case .unchanged = step { "nothing to do" } else { step.description }
        self.init(action: name, version: step.version?.description, detail: detail)
    }
}
