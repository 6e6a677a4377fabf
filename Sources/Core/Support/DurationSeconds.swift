extension Duration {
    /// The duration in seconds, as flags write it (`--poll-interval 0.5`).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
