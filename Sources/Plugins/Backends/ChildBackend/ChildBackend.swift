import ArgumentParser
public import Core
public import Logging
public import Supervision

/// The `child` process backend (`wrap`): runs the `--cmd` line as a direct child, on the version the
/// store's `current` links to, in its own process group, with lavavisor's terminal handed to it
/// while it runs; output passes through untouched. Core's `SupervisedChild` does the work: graceful
/// stops, restarts with backoff, crash loops, rollback of a failed upgrade.
public final class ChildBackend: SupervisingChild {
    public static let id = "child"
    public static let summary = "runs lavap as a direct child (wrap): own process group, SIGTERM then SIGKILL on stop"

    /// The child backend has no flags of its own: it runs `--cmd` with the shared process flags.
    public struct Options: PluginOptions {
        public typealias Owner = ChildBackend
        /// No flags.
        public init() {}
    }

    public let supervised: SupervisedChild

    /// A backend running `configuration`.
    public init(_ configuration: SupervisedChild.Configuration, logger: Logger) {
        supervised = SupervisedChild(configuration, logger: logger)
    }

    public static func make(options: Options, context: PluginContext, processes: ProcessSettings) throws -> ChildBackend {
        ChildBackend(try .init(context: context, processes: processes, terminal: .foreground), logger: context.logger)
    }
}
