import ArgumentParser
import Core

extension Lavavisor {
    /// `lavavisor prune [--keep N] [--dry-run]`: remove installed versions nothing needs any more.
    struct Prune: RuntimeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove installed versions older than current, beyond the --keep newest of them.",
            discussion:
                "Never removes current, a version a running lavap uses, a version newer than current (installed ahead), or one being installed. Example: lavavisor prune --keep 1 --dry-run"
        )

        @OptionGroup var common: CommonFlags
        @OptionGroup var keep: KeepFlag

        @Flag(name: .customLong("dry-run"), help: "Print what would be removed and the space it would free; change nothing.")
        var dryRun = false

        var runtime: Runtime { Runtime(common) }

        func run(in runtime: Runtime) async throws -> Int32 {
            print(Self.text(try await runtime.store.prune(keep: keep.count, dryRun: dryRun, logger: runtime.logger)))
            return 0
        }

        /// One line per version, removals first, then the space freed.
        static func text(_ report: PruneReport) -> String {
            let verb = report.dryRun ? "would remove" : "removed"
            var lines = report.removed.map { "\(verb) \($0.version) (\(ByteCount.text($0.size)))" }
            if report.removed.isEmpty { lines.append("nothing to remove") }
            lines += report.kept.map { "kept \($0.version): \($0.reason)" }
            lines.append(
                report.dryRun
                    ? "would free \(ByteCount.text(report.freed)) (--dry-run: nothing was changed)"
                    : "freed \(ByteCount.text(report.freed))")
            return lines.joined(separator: "\n")
        }
    }
}

/// `--keep N`: how many versions older than current stay for a rollback (`prune`, `--auto-prune`).
struct KeepFlag: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Versions older than current to keep for a rollback (default: \(PrunePlan.defaultKeep)).", valueName: "count"))
    var keep: Int?

    func validate() throws {
        if let keep, keep < 0 {
            throw ValidationError(
                "--keep must be 0 or more (how many versions older than current to keep for a rollback), got \(keep)")
        }
    }

    /// The `--keep` count, defaulting to one rollback target.
    var count: Int { keep ?? PrunePlan.defaultKeep }
}
