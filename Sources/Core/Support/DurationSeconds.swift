extension Duration {
    /// The duration in seconds, as flags write it (`--poll-interval 0.5`).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in whole nanoseconds (for timers and metrics that count them).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration as a `poll` timeout: whole milliseconds rounded up (a wait never ends before
    /// the time), 0 for what is already over, at most `Int32.max`.
    public var pollMilliseconds: Int32 {
        guard self > .zero else { return 0 }
        let (seconds, attoseconds) = components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        return Int32(clamping: seconds * 1000 + (attoseconds + perMillisecond - 1) / perMillisecond)
    }

    /// A short text for logs: seconds with at most three decimals, e.g. "0.048 s", "30 s".
    public var brief: String {
        let milliseconds = (seconds * 1000).rounded()
        let text = milliseconds.truncatingRemainder(dividingBy: 1000) == 0 ? "\(Int(milliseconds / 1000))" : "\(milliseconds / 1000)"
        return "\(text) s"
    }

    /// The duration as a flag takes it and help texts show it: "15s", "0.5s", "5m", "1h".
    public var flagText: String {
        let total = seconds
        for (unit, size) in [("h", 3600.0), ("m", 60.0)] where total >= size && total.truncatingRemainder(dividingBy: size) == 0 {
            return "\(Int(total / size))\(unit)"
        }
        let rounded = (total * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? "\(Int(rounded))s" : "\(rounded)s"
    }
}

/// The text of a duration flag (`--poll-interval 15s`): a number of seconds (`1.5`), or numbers
/// each with a unit, as Go and systemd write them (`500ms`, `15s`, `2m`, `1h`, `1h30m`).
public enum DurationText {
    private static let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]

    /// The seconds `text` stands for; an error saying how to write it when it is none.
    public static func seconds(_ text: String) throws(DurationTextError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let plain = Double(trimmed), plain.isFinite { return plain }
        var rest = Substring(trimmed)
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(number.count)
            let word = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(word.count)
            guard let value = Double(number), let unit = units.first(where: { $0.suffix == word }) else {
                throw DurationTextError(text: text)
            }
            total += value * unit.seconds
        }
        guard !trimmed.isEmpty, total.isFinite else { throw DurationTextError(text: text) }
        return total
    }
}

/// A duration flag's text is neither seconds nor numbers with units.
public struct DurationTextError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text given.
    public let text: String

    /// The error about `text`.
    public init(text: String) { self.text = text }

    public var description: String {
        "'\(text)' is not a duration: give seconds (1.5) or numbers with units: 500ms, 15s, 2m, 1h, 1h30m"
    }
}
