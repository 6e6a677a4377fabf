import Core
public import Logging
import Synchronization

/// Log lines kept in memory, as swift-log's InMemoryLogging does, rendered in lavavisor's text format.
public final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    /// An empty capture.
    public init() {}

    /// A logger writing into this capture at `level`.
    public func logger(level: Logger.Level = .debug) -> Logger {
        Logger(label: "test") { _ in
            LavavisorLogHandler(format: .text, level: level) { [self] line in lines.withLock { $0.append(line) } }
        }
    }

    /// Every line so far.
    public var all: [String] { lines.withLock { $0 } }

    /// Every line so far, joined.
    public var text: String { all.joined(separator: "\n") }
}
