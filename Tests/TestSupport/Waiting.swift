import Synchronization

/// A condition that did not come true in time.
public struct WaitTimeout: Error, CustomStringConvertible {
    /// What was awaited.
    public let what: String
    /// The error for `what`.
    public init(what: String) { self.what = what }
    public var description: String { "timed out waiting for \(what)" }
}

/// How long a test waits for an event before it fails.
///
/// Generous: the whole suite starts at once, and on a two-core machine the lavavisor processes and
/// stand-ins of some fifty tests share the CPU, so an event that takes 50 ms alone can take twenty
/// seconds then. A wait that succeeds returns as soon as the event happens; only a failing test
/// waits this long.
public let patience: Duration = .seconds(90)

/// Waits for `condition` to hold, checking every 20 ms, failing after `timeout`.
///
/// This waits for an event with a bound; it never sleeps a fixed time in place of the event.
/// `what` is evaluated at the timeout, so that it can show the state then.
public func waitUntil(
    _ what: @autoclosure () -> String, timeout: Duration = patience, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimeout(what: what()) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// A counter shared by concurrent tasks.
public final class Counter: Sendable {
    private let count = Mutex(0)
    /// A counter at zero.
    public init() {}
    /// Adds one.
    public func increment() { count.withLock { $0 += 1 } }
    /// The count now.
    public var value: Int { count.withLock { $0 } }
}
