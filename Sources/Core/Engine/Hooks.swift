import Foundation
public import Logging

/// The operator's programs run at the upgrade path's moments (`--pre-switch-hook` …): each gets
/// the event in `LAVAVISOR_*` variables, is bounded by `--hook-timeout`, and its output goes to
/// the log. A failing pre-switch hook holds the switch until the next check; the others are
/// reported and change nothing.
public struct Hooks: Sendable {
    /// The moments a hook can be run at.
    public enum Moment: String, Sendable, CaseIterable {
        /// Before `current` is switched (or a running lavap restarted) onto another version.
        case preSwitch = "pre-switch"
        /// Once lavap runs the version it was upgraded to.
        case postUpgrade = "post-upgrade"
        /// After a failed upgrade was rolled back.
        case onRollback = "on-rollback"
        /// When lavap is in a crash loop.
        case onCrashLoop = "on-crash-loop"
    }

    /// The program of each moment that has one.
    public var programs: [Moment: String]
    /// How long one run may take before it is killed (and counted as failed).
    public var timeout: Duration
    /// The supervised lavap command line (`LAVAVISOR_COMMAND`).
    public var command: String
    /// The folder that holds the store, `.lavavisor/` (`LAVAVISOR_DIRECTORY`): what `--directory`
    /// takes, so that a hook that runs lavavisor (`lavavisor status`) lands on the same store.
    public var directory: String

    /// The default `--hook-timeout`.
    public static let defaultTimeout: Duration = .seconds(60)

    /// Hooks from their programs.
    public init(programs: [Moment: String], timeout: Duration = defaultTimeout, command: String, directory: String) {
        self.programs = programs
        self.timeout = timeout
        self.command = command
        self.directory = directory
    }

    /// Runs the hook of `moment`, if there is one, and says whether it succeeded (true without one).
    @discardableResult
    public func run(_ moment: Moment, from: SemanticVersion?, to: SemanticVersion?, reason: String, logger: Logger) async -> Bool {
        guard let program = programs[moment] else { return true }
        var environment = ServiceManagerNotifier.environmentForChildren()
        environment["LAVAVISOR_HOOK"] = moment.rawValue
        environment["LAVAVISOR_FROM_VERSION"] = from?.description ?? ""
        environment["LAVAVISOR_TO_VERSION"] = to?.description ?? ""
        environment["LAVAVISOR_REASON"] = reason
        environment["LAVAVISOR_COMMAND"] = command
        environment["LAVAVISOR_DIRECTORY"] = directory
        let metadata: Logger.Metadata = ["hook": "\(moment.rawValue)", "program": "\(program)"]
        logger.info("running the \(moment.rawValue) hook", metadata: metadata)
        let outcome: ProcessRunner.Outcome
        do {
            outcome = try await ProcessRunner.run(
                program, [], environment: environment, timeout: timeout,
                onLine: { line in logger.info("\(moment.rawValue) hook: \(line)", metadata: metadata) })
        } catch {
            logger.error("the \(moment.rawValue) hook cannot be run: \(error)", metadata: metadata)
            return false
        }
        guard let exit = outcome.exit else {
            logger.error(
                "the \(moment.rawValue) hook did not end within \(timeout.brief) (--hook-timeout) and was killed", metadata: metadata)
            return false
        }
        guard exit == .exited(0) else {
            logger.error("the \(moment.rawValue) hook failed with \(exit)", metadata: metadata)
            return false
        }
        return true
    }
}
