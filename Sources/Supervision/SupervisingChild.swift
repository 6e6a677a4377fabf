public import Core

/// A backend whose processes are one `SupervisedChild`: `run` is the child's.
public protocol SupervisingChild: ProcessBackend {
    /// The child.
    var supervised: SupervisedChild { get }
}

extension SupervisingChild {
    /// A direct child: stopped with lavavisor, signals passed on, its ends watched and judged.
    public static var capabilities: BackendCapabilities { [.stopsProcesses, .forwardsSignals, .watchesProcesses, .judgesUpgrades] }

    public func run(commands: AsyncStream<BackendCommand>, events: @escaping BackendEvents) async throws -> ProcessExit {
        try await supervised.run(commands: commands, events: events)
    }
}

/// The supervised child cannot run this command.
public struct SupervisedChildError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    init(_ description: String) { self.description = description }
}
