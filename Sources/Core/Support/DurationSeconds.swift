extension Duration {
    /// The duration in seconds, as flags write it (`--poll-interval 0.5`).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension Duration {
    /// The duration in whole nanoseconds (for timers and metrics that count them).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension Duration {
    /// The duration as a `poll` timeout: whole milliseconds rounded up (a wait never ends before
    /// the time), 0 for what is already over, at most `Int32.max`.
    public var pollMilliseconds: Int32 {
        guard self > .zero else { return 0 }
        let (seconds, attoseconds) = components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        return Int32(clamping: seconds * 1000 + (attoseconds + perMillisecond - 1) / perMillisecond)
    }
}

extension Duration {
    /// A short text for logs: seconds with at most three decimals, e.g. "0.048 s", "30 s".
    public var brief: String {
        let milliseconds = (seconds * 1000).rounded()
        let text = milliseconds.truncatingRemainder(dividingBy: 1000) == 0 ? "\(Int(milliseconds / 1000))" : "\(milliseconds / 1000)"
        return "\(text) s"
    }
}
