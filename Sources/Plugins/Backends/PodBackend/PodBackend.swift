import ArgumentParser
public import Core
public import Logging
public import Supervision

#if canImport(Glibc)
    import Glibc
#endif

/// The `pod` process backend (`lavavisor pod`): the child backend's supervision (Core's
/// `SupervisedChild`: restarts with backoff, crash loops, rollback, graceful stops) with what a
/// container needs on top.
///
/// - As PID 1 it reaps every orphan the kernel hands it, and as any other pid it becomes a child
///   subreaper, so the grandchildren `lavap` leaves behind are reaped too (`OrphanReaper`: never a
///   blanket `waitpid(-1)` that would steal lavavisor's own children's statuses).
/// - It never hands the terminal to `lavap` and writes plain log lines only: no progress bar, no
///   terminal control codes, even when stdout is a terminal.
public final class PodBackend: SupervisingChild {
    public static let id = "pod"
    public static let summary =
        "runs lavap as a direct child in containers: reaps orphans as PID 1 or child subreaper, plain logs, never the terminal"

    /// The pod backend has no flags of its own: it runs `--cmd` with the shared process flags.
    public struct Options: PluginOptions {
        public typealias Owner = PodBackend
        /// No flags.
        public init() {}
    }

    public let supervised: SupervisedChild
    private let logger: Logger

    /// A backend running `configuration` (whose terminal setting is overridden: a pod never hands it over).
    public init(_ configuration: SupervisedChild.Configuration, logger: Logger) {
        var configuration = configuration
        configuration.terminal = .background
        supervised = SupervisedChild(configuration, logger: logger)
        self.logger = logger
    }

    /// Plain log lines only: container logs keep every byte.
    public static let outputStyle = OutputStyle.plain

    public static func make(options: Options, context: PluginContext, processes: ProcessSettings) throws -> PodBackend {
        PodBackend(try .init(context: context, processes: processes, terminal: .background), logger: context.logger)
    }

    /// Takes over the orphans (PID 1 or subreaper), starts reaping them, then runs the child.
    public func run(commands: AsyncStream<BackendCommand>, events: @escaping BackendEvents) async throws -> ProcessExit {
        if getpid() == 1 {
            logger.info("running as PID 1: orphaned processes are reaped here")
        } else if OrphanReaper.adoptOrphans() {
            logger.info("registered as child subreaper: processes lavap leaves behind are reaped here")
        } else {
            logger.warning("cannot register as child subreaper; processes lavap leaves behind go to the system's init")
        }
        OrphanReaper.start()
        return try await supervised.run(commands: commands, events: events)
    }
}
