import ArgumentParser
import Core
import Logging

/// `--auto-prune`: the commands that supervise remove old versions once an upgrade has proved itself.
struct AutoPruneFlags: ParsableArguments {
    @Flag(
        name: .customLong("auto-prune"),
        help: "Once an upgrade has stayed up for --restart-reset-after, remove old versions as 'lavavisor prune --keep N' does.")
    var autoPrune = false

    @OptionGroup var keep: KeepFlag

    func validate() throws {
        if keep.keep != nil, !autoPrune {
            throw ValidationError("--keep applies to --auto-prune here; add --auto-prune, or run 'lavavisor prune --keep N'")
        }
    }

    /// What the supervisor calls after each upgrade: prune once the upgrade stayed up for `wait`
    /// and `running` still reports that version; nil without `--auto-prune`.
    func afterUpgrade(
        store: Store, wait: Duration, running: @escaping @Sendable () async -> SemanticVersion?, logger: Logger
    ) -> (@Sendable (SemanticVersion) async -> Void)? {
        guard autoPrune else { return nil }
        let pruner = AutoPrune(store: store, keep: keep.count, wait: wait, running: running, logger: logger)
        return { version in pruner.upgraded(to: version) }
    }
}
