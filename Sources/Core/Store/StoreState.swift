public import Foundation
public import Logging

/// `state.json`: what lavavisor learned and must remember across restarts. Today: the versions
/// that failed right after an upgrade and were rolled back from.
///
/// Written atomically under `locks/state.lock`, so two lavavisors on one store never lose each
/// other's marks; a missing file is an empty state.
public struct StoreState: Codable, Sendable, Equatable {
    /// A version that failed after an upgrade to it.
    public struct BadVersion: Codable, Sendable, Equatable {
        /// The version that failed.
        public var version: SemanticVersion
        /// The chain's target when it failed: the mark holds until the target changes.
        public var target: SemanticVersion
        /// The version rolled back to.
        public var rolledBackTo: SemanticVersion
        /// Why it is bad, for people (the exits that condemned it).
        public var reason: String
        /// When it was marked.
        public var markedAt: Date

        /// A mark.
        public init(version: SemanticVersion, target: SemanticVersion, rolledBackTo: SemanticVersion, reason: String, markedAt: Date) {
            self.version = version
            self.target = target
            self.rolledBackTo = rolledBackTo
            self.reason = reason
            self.markedAt = markedAt
        }
    }

    /// The versions marked bad, oldest mark first; one mark per version.
    public var bad: [BadVersion]

    /// An empty state.
    public init(bad: [BadVersion] = []) { self.bad = bad }

    /// The versions not to be tried while the chain's target is `target`.
    public func badVersions(whileTargetIs target: SemanticVersion) -> Set<SemanticVersion> {
        Set(bad.filter { $0.target == target }.map(\.version))
    }

    /// The state with the marks `held` in memory (those that could not be written) added, unless
    /// the file has a mark of the same version under the same target.
    public func holding(_ held: [BadVersion]) -> StoreState {
        StoreState(bad: bad + held.filter { mark in !bad.contains { $0.version == mark.version && $0.target == mark.target } })
    }

    /// The state with `mark` added, replacing an older mark of the same version.
    public func marking(_ mark: BadVersion) -> StoreState {
        StoreState(bad: bad.filter { $0.version != mark.version } + [mark])
    }
}

extension Store {
    /// `state.json`.
    public var stateFile: URL { root.appendingPathComponent("state.json") }

    /// The store's state; empty when the file is missing. A file that cannot be read is an error
    /// naming it (an operator may have edited it), never silently an empty state.
    public func readState() throws -> StoreState {
        guard FileManager.default.fileExists(atPath: stateFile.path) else { return StoreState() }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(StoreState.self, from: Data(contentsOf: stateFile))
        } catch {
            throw StoreError(
                "cannot read \(stateFile.path): \(error); fix the file or remove it (lavavisor then forgets its bad-version marks)")
        }
    }

    /// Changes the state under its lock and writes it atomically; returns the new state.
    @discardableResult
    public func updateState(logger: Logger, _ change: (StoreState) -> StoreState) async throws -> StoreState {
        try prepare()
        let lock = try await FileLock.acquire(
            locks.appendingPathComponent("state.lock").path, timeout: .seconds(30), logger: logger, purpose: "writing \(stateFile.path)")
        defer { withExtendedLifetime(lock) {} }
        let state = change(try readState())
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(state), to: stateFile)
        return state
    }
}
