import Core
import Logging
import Synchronization

/// Without a listing: which released-looking versions between a requirement's minimum and target a
/// mirror has, found by asking for one small file per version and remembered a few minutes.
///
/// The candidates are probed highest first and the first one found ends the search: the monitor
/// tries the best offered version below the target when the target fails, and the minimum after
/// that, so one confirmed version is all it can use. Found and absent versions are both cached, so
/// a poll within `lifetime` sends nothing; a mirror that does not answer stops the probing at once
/// and is not asked again for `unreachableLifetime`.
final class MirrorProbes: Sendable {
    /// The most versions one requirement may probe: the highest released-looking ones below the target.
    static let maxProbes = 16
    /// The highest patch guessed in a minor below the target's (Lava's tags reach x.y.10, e.g. v3.1.10).
    static let maxPatch = 12
    /// How long a probe's answer (found or absent) is kept, as long as a listing.
    static let lifetime = Duration.seconds(300)
    /// How long a mirror that did not answer is left alone.
    static let unreachableLifetime = Duration.seconds(60)

    /// What a probe learns about one version.
    enum Answer: Sendable {
        /// The mirror has the version.
        case found
        /// The mirror does not have it (a 4xx).
        case absent
    }

    private struct State {
        var known: [SemanticVersion: (answer: Answer, at: ContinuousClock.Instant)] = [:]
        var unreachableSince: ContinuousClock.Instant?
        var unreachableLogged = false
    }
    private let state = Mutex(State())

    /// The released-looking versions strictly between the minimum and the target, highest first, at
    /// most `maxProbes`: the target's major, every minor from the minimum's (or 0 when the minimum
    /// has a lower major) to the target's, patches `maxPatch` down to 0 (below the target's patch
    /// in the target's minor).
    static func candidates(for requirement: VersionRequirement) -> [SemanticVersion] {
        let target = requirement.target
        let minimum = requirement.minimum
        let lowestMinor = minimum.major == target.major ? minimum.minor : 0
        guard target.minor >= lowestMinor else { return [] }
        var versions: [SemanticVersion] = []
        for minor in stride(from: target.minor, through: lowestMinor, by: -1) {
            let highestPatch = minor == target.minor ? target.patch - 1 : maxPatch
            guard highestPatch >= 0 else { continue }
            for patch in stride(from: highestPatch, through: 0, by: -1) {
                let version = SemanticVersion(target.major, minor, patch)
                guard version > minimum else { break }
                versions.append(version)
                if versions.count == maxProbes { return versions }
            }
        }
        return versions
    }

    /// The highest candidate of `requirement` the mirror has, nil when none (or the mirror does not
    /// answer). `probe` answers for one version, or throws when the mirror cannot be asked.
    func best(
        for requirement: VersionRequirement, logger: Logger, probe: (SemanticVersion) async throws -> Answer
    ) async -> SemanticVersion? {
        for version in Self.candidates(for: requirement) {
            switch cached(version) {
            case .found: return version
            case .absent: continue
            case nil: break
            }
            guard !unreachable() else { return nil }
            let answer: Answer
            do { answer = try await probe(version) } catch {
                if !(error is CancellationError) { markUnreachable(error, logger: logger) }
                return nil
            }
            remember(version, answer)
            if case .found = answer { return version }
        }
        return nil
    }

    private func cached(_ version: SemanticVersion) -> Answer? {
        state.withLock { state in
            guard let entry = state.known[version], ContinuousClock.now - entry.at < Self.lifetime else { return nil }
            return entry.answer
        }
    }

    private func unreachable() -> Bool {
        state.withLock { state in
            guard let since = state.unreachableSince else { return false }
            return ContinuousClock.now - since < Self.unreachableLifetime
        }
    }

    private func remember(_ version: SemanticVersion, _ answer: Answer) {
        state.withLock { state in
            state.known[version] = (answer, .now)
            state.unreachableSince = nil
            state.unreachableLogged = false
        }
    }

    /// Remembers that the mirror did not answer; logs it once until it answers again.
    private func markUnreachable(_ error: any Error, logger: Logger) {
        let first = state.withLock { state in
            state.unreachableSince = .now
            defer { state.unreachableLogged = true }
            return !state.unreachableLogged
        }
        guard first else { return }
        logger.warning(
            "the release mirror does not answer; offering only the target and the minimum, asking again in \(Self.unreachableLifetime)",
            metadata: ["error": "\(error)"])
    }
}
