public import Core

/// A backend whose processes are one `SupervisedChild`: every `ProcessBackend` call goes to it.
public protocol SupervisingChild: ProcessBackend {
    /// The child.
    var supervised: SupervisedChild { get }
}

extension SupervisingChild {
    public func start() async throws { try await supervised.start() }
    public func restart() async throws { try await supervised.restart() }
    public func stop(with signal: Int32) async { await supervised.stop(with: signal) }
    public func kill() async { await supervised.kill() }
    public func signal(_ number: Int32) async { await supervised.signal(number) }
    public func waitForExit() async -> ProcessExit { await supervised.waitForExit() }
    public var runningVersion: SemanticVersion? { get async { await supervised.runningVersion } }
    public func onFailedUpgrade(_ handler: @escaping RollbackHandler) async { await supervised.onFailedUpgrade(handler) }
    public func onCrashLoop(_ handler: @escaping CrashLoopHandler) async { await supervised.onCrashLoop(handler) }
}

/// The supervised child cannot run this command.
public struct SupervisedChildError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    init(_ description: String) { self.description = description }
}
