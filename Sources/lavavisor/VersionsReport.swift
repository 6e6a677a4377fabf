import Core
import Foundation

/// Everything `versions` shows, as one value that renders as an aligned table or as JSON.
struct VersionsReport: Report {
    /// One installed version.
    struct Entry: Encodable {
        var version: String
        var size: Int64
        var installedAt: Date?
        var current: Bool
        /// Newer than `current`: installed ahead of an upgrade.
        var ahead: Bool
        /// The pids of the running children that use it.
        var running: [Int32]
        var bad: StoreState.BadVersion?
        /// `target` and/or `minimum` when the chain demands it of the role.
        var chain: [String]

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "version": version, "sizeBytes": size, "installedAt": installedAt, "current": current, "ahead": ahead, "running": running,
                "bad": bad, "chain": chain,
            ])
        }
    }

    /// The chain's versions for the role, when a version source was given.
    struct Chain: Encodable {
        var source: String
        var location: String?
        var role: String
        var target: String?
        var minimum: String?
        var error: String?

        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "source": source, "location": location, "role": role, "target": target, "minimum": minimum, "error": error,
            ])
        }

        /// Reads `source` once: the role's target and minimum, or why they are not known.
        static func read(_ source: any VersionSource, role: Role, expectedChainID: String?) async -> Chain {
            var chain = Chain(source: type(of: source).id, role: role.rawValue)
            do {
                let reading = try await source.read()
                chain.location = reading.location
                let plan = Plan(
                    reading: reading, role: role, running: nil, childRunning: false, current: nil, installed: [], offered: nil,
                    autoDownload: false, expectedChainID: expectedChainID)
                if let mismatch = plan.chainMismatch {
                    chain.error = mismatch
                } else {
                    chain.target = plan.requirement.target.description
                    chain.minimum = plan.requirement.minimum.description
                }
            } catch {
                chain.error = "\(error)"
            }
            return chain
        }
    }

    var store: String
    var current: String?
    var versions: [Entry]
    var chain: Chain?
    var stateError: String?
    /// Why the store could not be read at all (no store at `--directory`).
    var error: String?

    /// Adds the chain's versions and marks the installed versions that are its target or minimum.
    mutating func mark(_ chain: Chain) {
        self.chain = chain
        for index in versions.indices {
            versions[index].chain = [("target", chain.target), ("minimum", chain.minimum)].compactMap {
                $0.1 == versions[index].version ? $0.0 : nil
            }
        }
    }

    /// Looks at the store: installed versions, `current`, running children, bad marks.
    static func gather(_ store: Store) -> VersionsReport {
        let current = store.currentVersion()
        let running = store.runningVersions()
        var state = StoreState()
        var stateError: String?
        do { state = try store.readState() } catch { stateError = "\(error)" }
        let versions = store.installedVersionDetails().map { installed in
            Entry(
                version: installed.version.description, size: installed.size, installedAt: installed.installedAt,
                current: installed.version == current, ahead: current.map { installed.version > $0 } ?? false,
                running: running[installed.version] ?? [],
                bad: state.bad.last { $0.version == installed.version }, chain: [])
        }
        return VersionsReport(store: store.root.path, current: current?.description, versions: versions, stateError: stateError)
    }

    /// Every key is written, null when its value is unknown (`current` without a link, `chain`
    /// without a version source), so scripts can read each one directly.
    func encode(to encoder: any Encoder) throws {
        try encoder.encodeFields([
            "store": store, "current": current, "versions": versions, "chain": chain, "stateError": stateError, "error": error,
        ])
    }

    /// The table for people: one row per version, aligned, with what marks it.
    var text: String {
        let time = ISO8601DateFormatter()
        var lines = ["store: \(store)", "current: \(current ?? "none")"]
        if let chain {
            let from = "\(chain.source)\(chain.location.map { " \($0)" } ?? "")"
            if let error = chain.error {
                lines.append("chain (\(from)): error: \(error)")
            } else {
                lines.append("chain (\(from)): role \(chain.role): target \(chain.target ?? "?"), minimum \(chain.minimum ?? "?")")
            }
        }
        if let stateError { lines.append("warning: \(stateError)") }
        guard !versions.isEmpty else {
            lines.append("no version is installed in \(store)/upgrades")
            return lines.joined(separator: "\n")
        }
        let rows =
            [["VERSION", "SIZE", "INSTALLED", "NOTES"]]
            + versions.map { entry in
                var notes: [String] = []
                if entry.current { notes.append("current") }
                if entry.ahead { notes.append("installed ahead") }
                if !entry.running.isEmpty { notes.append("running (pid \(entry.running.map(String.init).joined(separator: ", ")))") }
                notes += entry.chain.map { "chain \($0)" }
                if let bad = entry.bad {
                    notes.append("bad since \(time.string(from: bad.markedAt)): \(bad.reason) (rolled back to \(bad.rolledBackTo))")
                }
                return [
                    entry.version, ByteCount.text(entry.size), entry.installedAt.map { time.string(from: $0) } ?? "unknown",
                    notes.joined(separator: ", "),
                ]
            }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let padded = row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            var line = padded.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
