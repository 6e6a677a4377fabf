import ArgumentParser
import Core
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

extension Runtime {
    /// Supervises, then ends the command with lavavisor's exit status; errors become one log line and status 1.
    func superviseAndExit(defaultSource: String, defaultBackend: String) async throws -> Never {
        let status = try await reportingErrors { try await supervise(defaultSource: defaultSource, defaultBackend: defaultBackend) }
        throw ExitCode(status)
    }

    /// The run shared by `wrap`, `pod`, `start` and `init --auto-start`: pick the plugins, ask for the
    /// password if wanted, then supervise until lavap ends; returns lavavisor's exit status.
    func supervise(defaultSource: String, defaultBackend: String) async throws -> Int32 {
        Signals.install()  // again for `init --auto-start`, whose preparation kept the default actions
        let backendType = try backendType(default: defaultBackend)
        let source = try versionSource()
        let binaries = try binarySource(default: defaultSource)
        var context = self.context
        if options.enterKeyringPassword {
            do {
                context.options.keyringPassword = try await PasswordPrompt.read(logger: logger)
            } catch let interrupted as PromptInterrupted {
                logger.info("\(interrupted)")
                return interrupted.exitStatus
            }
        }
        let backend = try backendType.make(context: context)
        let signals = Signals.stream(only: [SIGTERM, SIGINT])
        try store.prepare()
        logger.info(
            "lavavisor \(Lavavisor.version) supervising",
            metadata: [
                "store": "\(store.root.path)", "version-source": "\(type(of: source).id)",
                "source": "\(type(of: binaries).id)", "backend": "\(backendType.id)",
            ])
        let supervisor = Supervisor(
            monitor: monitor(binaries: binaries, source: source), backend: backend,
            pollInterval: options.pollInterval, logger: logger)
        return try await supervisor.run(signals: signals)
    }
}
