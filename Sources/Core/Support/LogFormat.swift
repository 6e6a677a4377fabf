import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// How lavavisor writes its log lines.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-12-06T05:51:30.123Z INF [Lavavisor] message key=value`, one line per event (without
    /// the time when journald stamps the lines).
    case text
    /// One JSON object per line: `{"time":…,"level":"info","message":…,key:value…}`.
    case json
}

/// A swift-log backend that writes one line per event to a file descriptor (stderr by default).
///
/// Text lines escape every control character of the message and the values (`ControlCharacters`);
/// JSON lines are escaped by JSON itself. The child's own output never passes through here.
public struct LavavisorLogHandler: LogHandler {
    /// The line format.
    public let format: LogFormat
    /// The sink; tests pass their own.
    public let sink: @Sendable (String) -> Void
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    /// Whether text lines start with their syslog priority (`<3>` for an error …), for journald
    /// when stderr is the journal (`JournalStream`); journald stores it and strips it.
    public let journalPriorities: Bool
    /// Whether text lines start with the time (UTC, milliseconds), as JSON lines carry it.
    public let timestamps: Bool

    /// A handler writing `format` lines to `sink`.
    public init(
        format: LogFormat, level: Logger.Level = .info, journalPriorities: Bool = false, timestamps: Bool = false,
        sink: @escaping @Sendable (String) -> Void = Self.standardError
    ) {
        self.format = format
        self.logLevel = level
        self.journalPriorities = journalPriorities
        self.timestamps = timestamps
        self.sink = sink
    }

    /// Writes a line to stderr with a single `write` call, so that lines from threads never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { buffer in _ = Foundation.write(2, buffer.baseAddress, buffer.count) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line = Self.render(level: event.level, message: "\(event.message)", metadata: merged, format: format)
        guard format == .text else { return sink(line) }
        if journalPriorities { return sink("<\(Self.syslogPriority(event.level))>" + line) }
        sink(timestamps ? Self.timestamp() + " " + line : line)
    }

    /// `2026-12-06T05:51:30.123Z`: the time of a line, UTC, in milliseconds.
    static func timestamp(_ date: Date = Date()) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&whole, &parts)
        let millis = min(999, Int((seconds - seconds.rounded(.down)) * 1000))
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }

    /// The syslog priority of a level: 7 debug … 2 critical.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Renders one event as one line.
    public static func render(level: Logger.Level, message: String, metadata: Logger.Metadata, format: LogFormat) -> String {
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            let pairs = keys.map { key in "\(key)=\(quoted("\(metadata[key]!)"))" }
            // One line, whatever the message holds: a node's text cannot forge a line or move the cursor.
            return ([tag(level), "[Lavavisor]", ControlCharacters.escapedInLine(message)] + pairs).joined(separator: " ")
        case .json:
            var object: [String: String] = [
                "time": timestamp(), "level": "\(level)", "message": message,
            ]
            for key in keys where object[key] == nil { object[key] = "\(metadata[key]!)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// zerolog's three-letter level names, as the original prints them.
    private static func tag(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRC"
        case .debug: "DBG"
        case .info, .notice: "INF"
        case .warning: "WRN"
        case .error: "ERR"
        case .critical: "FTL"
        }
    }

    private static func quoted(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && !value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || ControlCharacters.isUnsafeToPrint($0) }
        return plain ? value : ControlCharacters.escaped(value)
    }
}
