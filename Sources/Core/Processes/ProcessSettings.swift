/// What a command asks a process backend to run, built by the CLI from the shared process flags.
public struct ProcessSettings: Sendable {
    /// The default time a process gets between SIGTERM and SIGKILL (`--stop-timeout`).
    public static let defaultStopTimeout: Duration = .seconds(30)

    /// The `lavap …` command line to supervise (`--cmd`); nil for backends that run services instead.
    public var command: SupervisedCommand?
    /// How long a stopped process gets between SIGTERM and SIGKILL.
    public var stopTimeout: Duration
    /// The keyring password to hand to each new process on its stdin.
    public var keyringPassword: Secret?
    /// When a process that ended by itself is started again.
    public var restart: RestartPolicy
    /// How many ends within the restart policy's reset window after an upgrade make the new
    /// version bad and roll back from it (`--upgrade-probation`; 0 turns rollback off).
    public var upgradeProbation: Int

    /// The default `--upgrade-probation`: a version that ends 3 times within the reset window of the upgrade to it is rolled back from.
    public static let defaultUpgradeProbation = 3

    /// Settings; the defaults stop within 30 s, hand over no password and restart nothing.
    public init(
        command: SupervisedCommand? = nil, stopTimeout: Duration = defaultStopTimeout, keyringPassword: Secret? = nil,
        restart: RestartPolicy = .never, upgradeProbation: Int = defaultUpgradeProbation
    ) {
        self.command = command
        self.stopTimeout = stopTimeout
        self.keyringPassword = keyringPassword
        self.restart = restart
        self.upgradeProbation = upgradeProbation
    }
}

/// A `lavap …` command line to supervise, split like a POSIX shell splits words.
public struct SupervisedCommand: Sendable, Hashable {
    /// The words after `lavap`.
    public var arguments: [String]

    /// Parses `--cmd`: quotes and backslashes honoured, nothing expanded; it must start with `lavap`
    /// (any path ending in `/lavap`), which the managed binary replaces.
    public init(parsing line: String) throws {
        try self.init(words: try ShellWords.split(line), given: "--cmd")
    }

    /// A command from its words, the first `lavap` (any path ending in `/lavap`); `given` names
    /// where they came from, for the error.
    public init(words: [String], given: String) throws {
        guard let first = words.first, first.split(separator: "/").last == "lavap" else {
            throw OptionError(
                "\(given) must start with lavap (it is replaced by the managed binary); got \(words.first.map { "'\($0)'" } ?? "an empty command")"
            )
        }
        arguments = Array(words.dropFirst())
    }

    /// The role the command serves, from its subcommand.
    public var role: Role { Role(arguments: arguments) }
}
