/// The states of one service a backend manages for another process (systemd's `LoadState`,
/// `ActiveState` and `SubState`), for `status`: see `ProcessBackend.serviceStates`.
public struct ServiceState: Sendable, Hashable, Encodable {
    /// The unit's name.
    public var name: String
    /// `LoadState` (loaded, not-found, …).
    public var load: String?
    /// `ActiveState` (active, activating, failed, inactive, …).
    public var active: String?
    /// `SubState` (running, dead, auto-restart, …).
    public var sub: String?
    /// Why the states could not be read.
    public var error: String?

    /// The states of `name`, as far as they are known.
    public init(name: String, load: String? = nil, active: String? = nil, sub: String? = nil, error: String? = nil) {
        self.name = name
        self.load = load
        self.active = active
        self.sub = sub
        self.error = error
    }

    /// Every key is written, null when unknown (as `status --json` shows it).
    public func encode(to encoder: any Encoder) throws {
        try encoder.encodeFields(["name": name, "load": load, "active": active, "sub": sub, "error": error])
    }

    /// One line: `a.service: active (running), loaded`, or the error.
    public var summary: String {
        if let error { return "\(name): unknown (\(error))" }
        return "\(name): \(active ?? "?") (\(sub ?? "?")), \(load ?? "?")"
    }
}
