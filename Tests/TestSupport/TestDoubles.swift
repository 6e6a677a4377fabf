public import Core
public import Foundation
import Synchronization

/// A version source for Core's unit tests: answers what the test sets, or throws what it sets.
public final class ScriptedVersionSource: VersionSource {
    public static let id = "scripted"
    public static let summary = "test double"
    private let answer: Mutex<Result<ProtocolVersion, TestFailure>>

    /// A source answering `versions`.
    public init(_ versions: ProtocolVersion) { answer = Mutex(.success(versions)) }

    /// Fails loudly: tests build this double directly.
    public static func make(context: PluginContext) throws -> ScriptedVersionSource {
        throw TestFailure("ScriptedVersionSource is built by tests, never through the registry")
    }

    /// Changes the next answers.
    public func set(_ result: Result<ProtocolVersion, TestFailure>) { answer.withLock { $0 = result } }

    public func read() async throws -> VersionReading {
        VersionReading(versions: try answer.withLock { try $0.get() }, location: "scripted")
    }
}

/// A binary source for Core's unit tests: delivers stand-in scripts for the versions it has,
/// fails for the ones listed in `broken`, and counts fetches.
public final class StandInBinarySource: BinarySource {
    public static let id = "stand-in"
    public static let summary = "test double"
    private struct State {
        var versions: [SemanticVersion]
        var broken: Set<SemanticVersion> = []
        var lying: [SemanticVersion: String] = [:]
        var fetches: [SemanticVersion] = []
    }
    private let state: Mutex<State>

    /// A source offering `versions`.
    public init(_ versions: [SemanticVersion]) { state = Mutex(State(versions: versions)) }

    /// Fails loudly: tests build this double directly.
    public static func make(context: PluginContext) throws -> StandInBinarySource {
        throw TestFailure("StandInBinarySource is built by tests, never through the registry")
    }

    /// Makes `fetch` of `version` fail.
    public func breakFetch(of version: SemanticVersion) { _ = state.withLock { $0.broken.insert(version) } }
    /// Makes the binary of `version` report `reported` instead.
    public func lie(about version: SemanticVersion, reporting reported: String) { state.withLock { $0.lying[version] = reported } }
    /// The versions fetched so far, in order.
    public var fetches: [SemanticVersion] { state.withLock { $0.fetches } }

    public func availableVersions() async throws -> [SemanticVersion] { state.withLock { $0.versions } }

    public func fetch(_ version: SemanticVersion, to destination: URL) async throws {
        let (broken, reported) = state.withLock { state in
            state.fetches.append(version)
            return (state.broken.contains(version), state.lying[version] ?? version.description)
        }
        if broken { throw TestFailure("stand-in source cannot deliver \(version)") }
        try Data(StandIn.script(version: reported, events: nil).utf8).write(to: destination)
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
