public import Core
public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A prepared store in a test's own folder, with a file where stand-in `lavap`s record events and
/// the captured logs: what the tests of processes and the engine start from.
///
/// When the test ends, any stand-in it started that still runs is killed with its whole process
/// group: a test that fails half-way must not leave a `lavap` behind holding the test runner's
/// output open.
public final class StoreFixture: Sendable {
    /// The test's folder.
    public let temp: TemporaryDirectory
    /// The store in it.
    public let store: Store
    /// Where stand-ins record their events.
    public let events: URL
    /// The logs of what the test drives.
    public let logs = CapturedLogs()

    /// A prepared, empty store.
    public init() throws {
        temp = try TemporaryDirectory()
        store = Store(directory: temp.url)
        events = temp.path("events")
        try store.prepare()
    }

    deinit {
        for event in recorded where event.first == "start" && event.count > 2 {
            guard let pid = pid_t(event[2]) else { continue }
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            if command.contains(temp.url.path) { kill(-pid, SIGKILL) }
        }
    }

    /// Installs a stand-in for `version` as `upgrades/vX.Y.Z/lavap`.
    public func install(_ version: String, _ behaviour: StandIn.Behaviour = .serve) throws {
        try StandIn.install(version: version, at: store.binary(for: v(version)), events: events, behaviour: behaviour)
    }

    /// The recorded events, one array of words each.
    public var recorded: [[String]] { StandIn.events(events) }

    /// Waits for an event starting with `words`; returns it.
    @discardableResult
    public func waitForEvent(_ words: String...) async throws -> [String] { try await waitForEvent(matching: words) }

    /// Waits for an event starting with `words`; returns it.
    @discardableResult
    public func waitForEvent(matching words: [String]) async throws -> [String] {
        var found: [String] = []
        try await waitUntil("event \(words) in \(recorded)") {
            found = recorded.first { Array($0.prefix(words.count)) == words } ?? []
            return !found.isEmpty
        }
        return found
    }
}

extension Store {
    /// Replaces `current` with a link to `target` as someone other than lavavisor would (dangling,
    /// outside the store): for the tests of what lavavisor does with a broken `current`.
    public func breakCurrent(linkingTo target: String) throws {
        try FileManager.default.removeItem(at: current)
        try FileManager.default.createSymbolicLink(atPath: current.path, withDestinationPath: target)
    }
}
