import NIOCore
import Synchronization

/// Holds the metrics server to its `MetricsServerLimits`: admits each accepted connection through a
/// `ConnectionTable`, closes the one it evicts, closes every connection at its deadline, and stops
/// the server accepting while no connection can be admitted.
final class ConnectionGate: Sendable {
    let limits: MetricsServerLimits

    private struct State {
        var table: ConnectionTable<ObjectIdentifier>
        var channels: [ObjectIdentifier: any Channel] = [:]
    }
    private let state: Mutex<State>

    init(limits: MetricsServerLimits) {
        self.limits = limits
        state = Mutex(State(table: ConnectionTable(limit: limits.connections)))
    }

    /// How many connections are held now.
    var count: Int { state.withLock { $0.table.count } }

    /// A connection the server accepted: true when it is held (and closed at its deadline), false
    /// when it was refused and closed.
    func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let (admission, evicted, full) = state.withLock { state -> (ConnectionTable<ObjectIdentifier>.Admission, (any Channel)?, Bool) in
            let admission = state.table.admit(id)
            guard case .admitted(let evicting) = admission else { return (admission, nil, true) }
            state.channels[id] = channel
            return (admission, evicting.flatMap { state.channels.removeValue(forKey: $0) }, !state.table.accepting)
        }
        evicted?.close(promise: nil)
        if full { followTable(channel.parent) }
        guard admission != .refused else {
            channel.close(promise: nil)
            return false
        }
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(limits.timeout)) {
            channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in
            deadline.cancel()
            self.closed(channel)
        }
        return true
    }

    /// The connection sent its request head.
    func requested(_ channel: any Channel) {
        state.withLock { $0.table.requested(ObjectIdentifier(channel)) }
    }

    /// Whether the connection has sent its request head (it is being answered).
    func hasRequested(_ channel: any Channel) -> Bool {
        state.withLock { $0.table.hasRequested(ObjectIdentifier(channel)) }
    }

    private func closed(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let wasFull = state.withLock { state in
            let wasFull = !state.table.accepting
            state.table.closed(id)
            state.channels[id] = nil
            return wasFull
        }
        if wasFull { followTable(channel.parent) }
    }

    /// Sets the server's autoRead to whether the table accepts, on the server's event loop and from
    /// the table as it is then: of pauses and resumes asked from several loops, the last one run
    /// reads the latest state, so accepting never stays paused with room in the table.
    private func followTable(_ server: (any Channel)?) {
        guard let server else { return }
        server.eventLoop.execute {
            let accepting = self.state.withLock { $0.table.accepting }
            try? server.syncOptions?.setOption(ChannelOptions.autoRead, value: accepting)
        }
    }
}
