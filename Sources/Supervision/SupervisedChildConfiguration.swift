public import Core

extension SupervisedChild {
    /// What the child is and how it is run.
    public struct Configuration: Sendable {
        /// The arguments after `lavap`.
        public var arguments: [String]
        /// The store whose `current` version is run.
        public var store: Store
        /// The time between SIGTERM and SIGKILL.
        public var stopTimeout: Duration
        /// The keyring password, handed to every new child on its stdin.
        public var password: Secret?
        /// When a child that ended by itself is started again.
        public var restart: RestartPolicy
        /// How many ends within the reset window after an upgrade make the new version bad (0: never).
        public var upgradeProbation: Int
        /// Whether the child gets lavavisor's terminal while it runs (not in pods).
        public var terminal: ChildProcess.Terminal
        /// How long a child may take to read the keyring password from its stdin; after it the pipe is closed.
        public var passwordTimeout: Duration = .seconds(30)

        /// The configuration of a backend's `make`: the `--cmd` of `processes` on the context's store;
        /// throws `OptionError` without `--cmd`.
        public init(context: PluginContext, processes: ProcessSettings, terminal: ChildProcess.Terminal) throws {
            guard let command = processes.command else {
                throw OptionError("this command needs --cmd 'lavap …': the lavap command line to supervise")
            }
            self.init(arguments: command.arguments, store: context.store, settings: processes, terminal: terminal)
        }

        /// A configuration from the shared process settings.
        public init(arguments: [String], store: Store, settings: ProcessSettings, terminal: ChildProcess.Terminal = .foreground) {
            self.arguments = arguments
            self.store = store
            self.stopTimeout = settings.stopTimeout
            self.password = settings.keyringPassword
            self.restart = settings.restart
            self.upgradeProbation = settings.upgradeProbation
            self.terminal = terminal
        }
    }
}
