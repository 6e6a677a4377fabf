public import Foundation

/// What `lavavisor ctl` asks a running wrapper over its control socket: one line of JSON.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// The commands a wrapper answers.
    public enum Command: String, Codable, Sendable, CaseIterable {
        /// Restart lavap now, gracefully, on the version it runs (what `current` links to).
        case restart
        /// Hold every move of lavap onto another version until `resume`.
        case pause
        /// Let the checks move lavap again.
        case resume
        /// Pin lavap to `version` (or drop the pin with `release`).
        case use
        /// Clear the bad-version mark of `version`.
        case unmark
        /// Say what the wrapper runs and holds.
        case status
    }

    /// The command.
    public var command: Command
    /// The version of `use` and `unmark`.
    public var version: String?
    /// `use --release`: drop the pin.
    public var release: Bool?

    /// A request.
    public init(_ command: Command, version: String? = nil, release: Bool? = nil) {
        self.command = command
        self.version = version
        self.release = release
    }
}

/// What a wrapper answers: one line of JSON, `{"ok":true,"message":…}` or `{"ok":false,"error":…}`,
/// with the wrapper's state for `status`.
public struct ControlAnswer: Codable, Sendable, Equatable {
    /// Whether the command was carried out.
    public var ok: Bool
    /// What was done, for people.
    public var message: String?
    /// Why it was refused, for people.
    public var error: String?
    /// `unmark`: whether there was a mark.
    public var marked: Bool?
    /// `status`: the wrapper's state.
    public var status: WrapperStatus?

    /// A command carried out.
    public static func done(_ message: String, status: WrapperStatus? = nil) -> ControlAnswer {
        ControlAnswer(ok: true, message: message, status: status)
    }

    /// A command refused, saying why.
    public static func refused(_ error: any Error) -> ControlAnswer { ControlAnswer(ok: false, error: "\(error)") }

    /// The answer as one line of JSON, newline included.
    public func line() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return ((try? encoder.encode(self)) ?? Data(#"{"ok":false,"error":"the answer cannot be encoded"}"#.utf8)) + Data("\n".utf8)
    }
}

/// What a wrapper tells about itself (`ctl status`, and each wrapper's line in `lavavisor status`).
public struct WrapperStatus: Codable, Sendable, Equatable {
    /// The lavavisor process.
    public var pid: Int32
    /// The lavavisor command and what it supervises: `wrap: lavap rpcprovider …`.
    public var command: String
    /// The version lavap runs; nil when none runs.
    public var running: String?
    /// Whether moves onto another version are held (`ctl pause`).
    public var paused: Bool
    /// Since when.
    public var pausedSince: Date?
    /// The version lavap is pinned to (`ctl use`).
    public var pin: String?
    /// The chain's target for the wrapper's role at the last reading.
    public var target: String?
    /// The chain's minimum for the wrapper's role at the last reading.
    public var minimum: String?
    /// An upgrade that waits out `--upgrade-spread`: the version.
    public var spreadVersion: String?
    /// And when it may go.
    public var spreadUntil: Date?
    /// What the last check decided or did, and when.
    public var lastCheck: String?
    /// When the last check ended.
    public var lastCheckAt: Date?

    /// Every key is written, null when its value is unknown (as `lavavisor status --json` does).
    public func encode(to encoder: any Encoder) throws {
        try encoder.encodeFields([
            "pid": pid, "command": command, "running": running, "paused": paused, "pausedSince": pausedSince, "pin": pin,
            "target": target, "minimum": minimum, "spreadVersion": spreadVersion, "spreadUntil": spreadUntil,
            "lastCheck": lastCheck, "lastCheckAt": lastCheckAt,
        ])
    }

    /// The state in a few words: `runs 6.2.5, paused, pinned to 6.2.5`.
    public var summary: String {
        var parts = [running.map { "runs \($0)" } ?? "runs nothing"]
        if paused { parts.append("paused") }
        if let pin { parts.append("pinned to \(pin)") }
        if let spreadVersion, let spreadUntil { parts.append("\(spreadVersion) waits its spread until \(spreadUntil.formatted(.iso8601))") }
        return parts.joined(separator: ", ")
    }
}

/// A control request refused, or a control socket that cannot be used: one sentence saying what to do.
public struct ControlError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    /// Builds the error from its message.
    public init(_ description: String) { self.description = description }
}

/// The bounds of the control protocol: a client is never trusted to be quick or small.
public enum ControlLimits {
    /// The longest request line, newline included.
    public static let requestBytes = 4096
    /// The longest answer line a client reads.
    public static let answerBytes = 256 * 1024
    /// How long a wrapper waits for a request line once a client connected.
    public static let requestTimeout: Duration = .seconds(3)
    /// How many clients a wrapper serves at once; more are told it is busy.
    public static let connections = 4
    /// How long a move `ctl` asks for (`restart`, `use`) may take before the wrapper answers that it goes on in the background.
    public static let moveWait: Duration = .seconds(60)

    /// The request in `line` (without its newline), or why it is not one.
    public static func decode(_ line: Data) -> Result<ControlRequest, ControlError> {
        guard let request = try? JSONDecoder().decode(ControlRequest.self, from: line) else {
            let known = ControlRequest.Command.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(ControlError("the request is not a JSON object with a known command (\(known)); use 'lavavisor ctl'"))
        }
        return .success(request)
    }
}
