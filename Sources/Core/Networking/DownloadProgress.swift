import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Shows a download's progress: a bar with bytes and rate redrawn on a terminal, or one log line
/// per 10% when stderr is not a terminal.
final class DownloadProgress: Sendable {
    private let name: String
    private let logger: Logger
    private let interactive: Bool
    private let start = ContinuousClock.now
    private struct State {
        var lastDraw = ContinuousClock.now
        var lastTenth = 0
    }
    private let state = Mutex(State())

    init(name: String, logger: Logger, style: OutputStyle) {
        self.name = name
        self.logger = logger
        interactive = style == .interactive && isatty(STDERR_FILENO) != 0
    }

    func update(bytes: Int, total: Int?) {
        let now = ContinuousClock.now
        let rate = Self.rate(bytes, since: start, now: now)
        if interactive {
            // At most ten frames a second, and always the last one.
            let complete = total.map { bytes >= $0 } ?? false
            let draw = state.withLock { state in
                guard complete || now - state.lastDraw >= .milliseconds(100) else { return false }
                state.lastDraw = now
                return true
            }
            guard draw else { return }
            var line = "\r\(name) "
            if let total, total > 0 {
                let fraction = min(1, Double(bytes) / Double(total))
                let filled = Int(fraction * 30)
                line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] "
                line += "\(Int(fraction * 100))% \(Self.megabytes(bytes)) / \(Self.megabytes(total))"
            } else {
                line += Self.megabytes(bytes)
            }
            FileHandle.standardError.write(Data((line + " \(Self.megabytes(Int(rate)))/s   ").utf8))
        } else if let total, total > 0 {
            let tenth = min(10, bytes * 10 / total)
            let crossed = state.withLock { state in
                guard tenth > state.lastTenth else { return false }
                state.lastTenth = tenth
                return true
            }
            if crossed {
                logger.info(
                    "downloading \(name): \(tenth * 10)%",
                    metadata: ["bytes": "\(bytes)", "total": "\(total)", "rate": "\(Self.megabytes(Int(rate)))/s"])
            }
        }
    }

    /// Ends the bar on a terminal; logs the size and rate of a finished download.
    func finish(bytes: Int?) {
        Telemetry.downloaded(bytes: bytes, duration: .now - start)
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        if let bytes {
            let rate = Self.rate(bytes, since: start, now: .now)
            logger.info("downloaded \(name)", metadata: ["bytes": "\(bytes)", "rate": "\(Self.megabytes(Int(rate)))/s"])
        }
    }

    private static func rate(_ bytes: Int, since start: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Double {
        let seconds = (now - start).seconds
        return seconds > 0 ? Double(bytes) / seconds : 0
    }

    private static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}
