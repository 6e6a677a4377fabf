import ArgumentParser

/// A command that works through a `Runtime` built from its flags: the work answers lavavisor's
/// exit status, and an error it throws becomes one log line and exit status 1, written once here
/// instead of in every command.
protocol RuntimeCommand: AsyncParsableCommand {
    /// The runtime this command's flags ask for.
    var runtime: Runtime { get }
    /// The command's work; returns lavavisor's exit status.
    func run(in runtime: Runtime) async throws -> Int32
    /// Whether the command supervises lavap from its start, and so handles SIGTERM, SIGINT and the
    /// signals it forwards (`wrap`, `pod`, `start`); the others get the default actions back.
    static var supervises: Bool { get }
}

extension RuntimeCommand {
    static var supervises: Bool { false }

    func run() async throws {
        let runtime = self.runtime
        let status: Int32
        do { status = try await run(in: runtime) } catch let exit as ExitCode {
            throw exit
        } catch {
            runtime.logger.error("\(error)")
            throw ExitCode.failure
        }
        if status != 0 { throw ExitCode(status) }
    }
}
