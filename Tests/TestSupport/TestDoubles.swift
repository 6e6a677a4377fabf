import ArgumentParser
public import Core
public import Foundation
import Synchronization

/// A version source for Core's unit tests: answers what the test sets, or throws what it sets.
public final class ScriptedVersionSource: VersionSource {
    public static let id = "scripted"
    public static let summary = "test double"
    /// No flags.
    public struct Options: PluginOptions {
        public typealias Owner = ScriptedVersionSource
        /// No flags.
        public init() {}
    }
    private let answer: Mutex<Result<ProtocolVersion, TestFailure>>
    private let readCount = Mutex(0)
    private let pending = Mutex<[PendingVersion]>([])

    /// Sets the proposals in their voting period.
    public func propose(_ changes: [PendingVersion]) { pending.withLock { $0 = changes } }

    public func pendingVersions() async throws -> [PendingVersion] {
        pendingCount.withLock { $0 += 1 }
        return pending.withLock { $0 }
    }

    private let pendingCount = Mutex(0)
    /// How many times the proposals were read.
    public var pendingReads: Int { pendingCount.withLock { $0 } }

    private let feeds = Mutex<(prepared: [AsyncThrowingStream<Int64, any Error>], opened: Int)>(([], 0))

    /// Prepares the next block feed a monitor opens; the test yields heights into it.
    public func prepareFeed() -> AsyncThrowingStream<Int64, any Error>.Continuation {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Int64.self)
        feeds.withLock { $0.prepared.append(stream) }
        return continuation
    }

    /// How many block feeds were opened.
    public var feedsOpened: Int { feeds.withLock { $0.opened } }

    /// The next prepared feed; nil (no feed capability) when none was prepared.
    public func blocks() async throws -> AsyncThrowingStream<Int64, any Error>? {
        feeds.withLock { feeds in
            feeds.opened += 1
            return feeds.prepared.isEmpty ? nil : feeds.prepared.removeFirst()
        }
    }

    /// How many times the versions were read.
    public var reads: Int { readCount.withLock { $0 } }

    /// A source answering `versions`.
    public init(_ versions: ProtocolVersion) { answer = Mutex(.success(versions)) }

    /// Fails loudly: tests build this double directly.
    public static func make(options: Options, context: PluginContext) throws -> ScriptedVersionSource {
        throw TestFailure("ScriptedVersionSource is built by tests, never through the registry")
    }

    /// Changes the next answers.
    public func set(_ result: Result<ProtocolVersion, TestFailure>) { answer.withLock { $0 = result } }

    private let readGate = Mutex<Gate?>(nil)

    /// Makes every read from now on wait until the returned gate opens; the gate tells when a read waits.
    public func holdReads() -> Gate {
        let gate = Gate()
        readGate.withLock { $0 = gate }
        return gate
    }

    public func read() async throws -> VersionReading {
        readCount.withLock { $0 += 1 }
        if let gate = readGate.withLock({ $0 }) { await gate.pass() }
        return VersionReading(versions: try answer.withLock { try $0.get() }, location: "scripted")
    }
}

/// A binary source for Core's unit tests: delivers stand-in scripts for the versions it has,
/// fails for the ones listed in `broken`, and counts fetches.
public final class StandInBinarySource: BinarySource {
    public static let id = "stand-in"
    public static let summary = "test double"
    /// No flags.
    public struct Options: PluginOptions {
        public typealias Owner = StandInBinarySource
        /// No flags.
        public init() {}
    }
    private struct State {
        var versions: [SemanticVersion]
        var broken: Set<SemanticVersion> = []
        var lying: [SemanticVersion: String] = [:]
        var fetches: [SemanticVersion] = []
        var held: [SemanticVersion: Gate] = [:]
    }
    private let state: Mutex<State>

    private let events: URL?

    /// A source offering `versions`; the stand-ins it delivers record their events in `events`.
    public init(_ versions: [SemanticVersion], events: URL? = nil) {
        state = Mutex(State(versions: versions))
        self.events = events
    }

    /// Fails loudly: tests build this double directly.
    public static func make(options: Options, context: PluginContext) throws -> StandInBinarySource {
        throw TestFailure("StandInBinarySource is built by tests, never through the registry")
    }

    /// Makes `fetch` of `version` fail.
    public func breakFetch(of version: SemanticVersion) { _ = state.withLock { $0.broken.insert(version) } }
    /// Makes the binary of `version` report `reported` instead.
    public func lie(about version: SemanticVersion, reporting reported: String) { state.withLock { $0.lying[version] = reported } }
    /// The versions fetched so far, in order.
    public var fetches: [SemanticVersion] { state.withLock { $0.fetches } }

    /// Makes `fetch` of `version` wait until the returned gate opens; the gate tells when a fetch is waiting.
    public func hold(_ version: SemanticVersion) -> Gate {
        let gate = Gate()
        state.withLock { $0.held[version] = gate }
        return gate
    }

    public func availableVersions(for requirement: VersionRequirement) async throws -> [SemanticVersion] {
        state.withLock { $0.versions }
    }

    public func fetch(_ version: SemanticVersion, to destination: URL) async throws {
        let (broken, reported, gate) = state.withLock { state in
            state.fetches.append(version)
            return (state.broken.contains(version), state.lying[version] ?? version.description, state.held[version])
        }
        if let gate { await gate.pass() }
        if broken { throw TestFailure("stand-in source cannot deliver \(version)") }
        try Data(StandIn.script(version: reported, events: events).utf8).write(to: destination)
    }
}

/// An error a test double throws on purpose.
public struct TestFailure: Error, Equatable, CustomStringConvertible {
    /// The message.
    public let description: String
    /// Builds the error.
    public init(_ description: String) { self.description = description }
}

/// Shorthand for versions in tests.
public func v(_ text: String) -> SemanticVersion { try! SemanticVersion(parsing: text) }

/// Shorthand for the chain's four versions in tests: providers and consumers alike.
public func required(target: String, min: String) -> ProtocolVersion {
    try! ProtocolVersion(providerTarget: v(target), providerMin: v(min), consumerTarget: v(target), consumerMin: v(min))
}

/// A gate a task waits at until the test opens it; the test can wait until someone is waiting.
public final class Gate: Sendable {
    private struct State {
        var open = false
        var waiting = 0
        var continuations: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// A closed gate.
    public init() {}

    /// How many tasks have arrived at the gate.
    public var arrivals: Int { state.withLock { $0.waiting } }

    /// Waits until the gate is open.
    public func pass() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                state.waiting += 1
                if !state.open { state.continuations.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }

    /// Opens the gate: every waiting task and every later one passes.
    public func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.continuations = [] }
            return state.continuations
        }
        for continuation in waiting { continuation.resume() }
    }
}

extension ProcessBackend {
    /// Runs the backend with no commands, keeping what it reports: it starts its processes, and
    /// `run` returns when they end (at once, for a backend that does not watch them).
    @discardableResult
    public func runWithoutCommands() async throws -> (exit: ProcessExit, events: [BackendEvent]) {
        let events = Mutex<[BackendEvent]>([])
        let exit = try await run(commands: AsyncStream { $0.finish() }) { event in
            events.withLock { $0.append(event) }
            return nil
        }
        return (exit, events.withLock { $0 })
    }
}
