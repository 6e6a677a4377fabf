/// How lavavisor writes to a terminal: with a redrawn progress bar, or as plain log lines only.
/// A backend declares the style it needs (`ProcessBackend.outputStyle`: the `pod` backend's
/// container logs keep every byte, so no control codes and no redraws), and the command passes it
/// to every plugin in the `PluginContext`.
public enum OutputStyle: Sendable, Hashable {
    /// A progress bar redrawn in place when stderr is a terminal; log lines otherwise.
    case interactive
    /// Plain log lines only, even on a terminal.
    case plain
}
