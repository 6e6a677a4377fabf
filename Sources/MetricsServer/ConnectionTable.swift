/// The connections the metrics server holds, oldest first, and whether each has sent its request:
/// the policy of the connection cap, apart from sockets so that it is tested alone.
///
/// At the cap, a new connection takes the place of the oldest one that has sent nothing yet (an
/// idle client must not keep a Kubernetes probe out); when every held connection is being answered,
/// none is taken: the server stops accepting and new clients wait in the kernel's backlog, which
/// costs lavavisor no file descriptor.
struct ConnectionTable<ID: Hashable & Sendable>: Sendable {
    /// What becomes of a new connection.
    enum Admission: Equatable, Sendable {
        /// Held; `evicting`, when not nil, is to be closed to make room.
        case admitted(evicting: ID?)
        /// Every held connection is being answered: close the new one.
        case refused
    }

    private struct Entry: Sendable {
        let id: ID
        var requested: Bool
    }

    /// At most this many connections are held at once.
    let limit: Int
    private var entries: [Entry] = []

    init(limit: Int) { self.limit = max(1, limit) }

    /// How many connections are held.
    var count: Int { entries.count }

    /// Whether a new connection would be admitted now.
    var accepting: Bool { entries.count < limit || entries.contains { !$0.requested } }

    /// A new connection, admitted (closing the oldest that has not sent its request, at the cap) or refused.
    mutating func admit(_ id: ID) -> Admission {
        var evicted: ID?
        if entries.count >= limit {
            guard let oldest = entries.firstIndex(where: { !$0.requested }) else { return .refused }
            evicted = entries.remove(at: oldest).id
        }
        entries.append(Entry(id: id, requested: false))
        return .admitted(evicting: evicted)
    }

    /// The connection sent its request head: it is answered, never evicted.
    mutating func requested(_ id: ID) {
        if let index = entries.firstIndex(where: { $0.id == id }) { entries[index].requested = true }
    }

    /// Whether the connection has sent its request head.
    func hasRequested(_ id: ID) -> Bool { entries.contains { $0.id == id && $0.requested } }

    /// The connection is closed (whoever closed it).
    mutating func closed(_ id: ID) { entries.removeAll { $0.id == id } }
}
