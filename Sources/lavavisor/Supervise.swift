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
            context.options.keyringPassword = try PasswordPrompt.read(logger: logger)
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

/// Reads the keyring password: without echo from a terminal, else one line from stdin.
enum PasswordPrompt {
    static func read(logger: Logger) throws -> Secret {
        let line: String?
        if isatty(STDIN_FILENO) != 0 {
            logger.info("Please enter the keyring password:")
            var saved = termios()
            tcgetattr(STDIN_FILENO, &saved)
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &silent)
            line = readLine(strippingNewline: true)
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        } else {
            line = readLine(strippingNewline: true)
        }
        guard let line, !line.isEmpty else {
            throw OptionError("--enter-keyring-password got no password: type it at the prompt, or pipe it on standard input")
        }
        return Secret(line)
    }
}
