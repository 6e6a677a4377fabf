import Synchronization

/// How lavavisor writes to a terminal: with a redrawn progress bar, or as plain log lines only
/// (the `pod` backend: container logs keep every byte, so no control codes and no redraws).
public enum OutputStyle {
    private static let plainLines = Atomic(false)

    /// Whether only plain log lines are written, even on a terminal.
    public static var plain: Bool {
        get { plainLines.load(ordering: .relaxed) }
        set { plainLines.store(newValue, ordering: .relaxed) }
    }
}
