public import ArgumentParser
public import Core
public import Foundation
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `systemd` process backend (`start`, `create-service`): the services listed in `config.yml`
/// run under systemd, which restarts them when they end; lavavisor only enables and restarts them,
/// and on an upgrade restarts them one after another, each active before the next goes down.
///
/// systemd owns the services: when lavavisor is asked to stop (SIGTERM, Ctrl-C), it ends its
/// version monitor only and leaves the services running. It declares no capability: it stops no
/// process, forwards no signal, does not watch the services end (systemd restarts them) and judges
/// no upgrade.
public final class SystemdBackend: ProcessBackend {
    public static let id = "systemd"
    public static let summary =
        "runs the services of create-service under systemd (start): enable and restart by systemctl, one by one on upgrades"

    /// The flags of the systemd backend: how `systemctl` is run and where units are linked.
    public struct Options: PluginOptions {
        public typealias Owner = SystemdBackend

        /// `--systemctl`.
        @Option(help: "The systemctl program to run (a path, or a name in PATH).")
        public var systemctl = "systemctl"

        /// `--sudo`.
        @Flag(help: "Run systemctl through 'sudo -n' (never prompting), for a system manager lavavisor's user cannot drive.")
        public var sudo = false

        /// `--user`.
        @Flag(help: "Use the user's service manager (systemctl --user, units in ~/.config/systemd/user), no root needed.")
        public var user = false

        /// `--unit-dir`.
        @Option(
            name: .customLong("unit-dir"),
            help: "Where create-service --create-link links units (default: /etc/systemd/system, or ~/.config/systemd/user with --user).")
        public var unitDirectory: String?

        /// `--service-start-timeout`.
        @Option(
            name: .customLong("service-start-timeout"),
            help:
                "How long a restarted service gets to become active before the next one is restarted (default: \(SystemdBackend.defaultStartTimeout.flagText)).",
            transform: DurationText.seconds)
        public var serviceStartTimeout: Double = SystemdBackend.defaultStartTimeout.seconds

        /// The defaults.
        public init() {}

        /// Checks the flags before anything runs.
        public func validate() throws {
            guard !systemctl.isEmpty else { throw ValidationError("--systemctl must name a program, got an empty value") }
            try DurationText.requirePositive(["--service-start-timeout": serviceStartTimeout])
        }

        /// The `systemctl` these flags describe; a relative `--systemctl` path is resolved in `context`.
        public func systemctl(in context: PluginContext) -> Systemctl {
            let program = systemctl.contains("/") ? context.resolve(systemctl).path : systemctl
            return Systemctl(program: program, sudo: sudo, user: user)
        }

        /// The folder `--create-link` links units into.
        public func unitFolder(in context: PluginContext) -> URL {
            if let unitDirectory { return context.resolve(unitDirectory) }
            if user {
                return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/systemd/user", isDirectory: true)
            }
            return URL(fileURLWithPath: "/etc/systemd/system", isDirectory: true)
        }
    }

    /// The default `--service-start-timeout`.
    public static let defaultStartTimeout: Duration = .seconds(60)
    /// The services outlive lavavisor, systemd forwards their signals and restarts them.
    public static let capabilities: BackendCapabilities = []

    /// How `systemctl` is run.
    public let systemctl: Systemctl
    /// The store whose `config.yml` lists the services and whose `current` they run.
    public let store: Store
    /// How long a restarted service gets to become active.
    public let startTimeout: Duration
    /// The time between two `is-active` questions while waiting.
    public let activePoll: Duration
    /// Where units are linked (`--unit-dir`): a unit found there is the one systemd loads.
    public let unitFolder: URL?
    private let logger: Logger
    /// The version `current` linked to when the services were last restarted successfully.
    private let running = Mutex<SemanticVersion?>(nil)
    /// Whether every service was enabled (once, at the first start that got so far).
    private let enabled = Mutex(false)

    /// A backend driving the services of `store` with `systemctl`.
    public init(
        systemctl: Systemctl, store: Store, logger: Logger, startTimeout: Duration = defaultStartTimeout,
        activePoll: Duration = .milliseconds(200), unitFolder: URL? = nil
    ) {
        self.unitFolder = unitFolder
        self.systemctl = systemctl
        self.store = store
        self.logger = logger
        self.startTimeout = startTimeout
        self.activePoll = activePoll
    }

    /// Writes the unit (`ServiceCreator`), lists it in `config.yml` and links it when asked.
    public static func createService(_ request: ServiceRequest, options: Options, context: PluginContext) async throws -> CreatedService {
        try await ServiceCreator(options: options, context: context).create(request)
    }

    /// The services' states under systemd (`systemctl show`), each failure kept in its state.
    public static func serviceStates(of services: [String], options: Options, context: PluginContext) async -> [ServiceState]? {
        let systemctl = options.systemctl(in: context)
        var states: [ServiceState] = []
        for service in services { states.append(await systemctl.state(of: service)) }
        return states
    }

    public static func make(options: Options, context: PluginContext, processes: ProcessSettings) throws -> SystemdBackend {
        if processes.command != nil {
            throw OptionError(
                "the systemd backend runs the services in config.yml, not --cmd; create them with 'lavavisor create-service' and run 'lavavisor start'"
            )
        }
        return SystemdBackend(
            systemctl: options.systemctl(in: context), store: context.store, logger: context.logger,
            startTimeout: .seconds(options.serviceStartTimeout), unitFolder: options.unitFolder(in: context))
    }

    /// The services `config.yml` lists; throws when there are none.
    public func services() throws -> [String] {
        let services = try store.readConfig().services
        guard !services.isEmpty else {
            throw StoreError(
                "\(store.configFile.path) lists no services; create them with 'lavavisor create-service provider|consumer CONFIG …' first")
        }
        return services
    }

    /// Reloads the units, enables every service and restarts them one by one on `current`, then
    /// restarts them again on each `restart`, until `stop` or `kill`, which leave them running. A
    /// failing `systemctl` is logged with its output and reported (`startFailed`); the supervisor
    /// asks again at its next check. Throws when `config.yml` lists no services or, as root, when
    /// another user could change a unit or the binary.
    public func run(commands: AsyncStream<BackendCommand>, events: @escaping BackendEvents) async throws -> ProcessExit {
        let services = try services()
        try checkOwnership(of: services)
        logger.info(
            "starting the services of config.yml",
            metadata: ["services": "\(services.joined(separator: " "))", "current": "\(describe(store.currentVersion()))"])
        await restartAll(events: events)
        var restarting: Task<Void, Never>?
        for await command in commands {
            switch command {
            case .restart:
                // One rolling restart at a time, in order; a stop cancels the one under way.
                let previous = restarting
                restarting = Task {
                    await previous?.value
                    await self.restartAll(events: events)
                }
            case .stop, .kill:
                restarting?.cancel()
                await restarting?.value
                logger.info("lavavisor stops watching versions; the services keep running under systemd (systemctl stop SERVICE stops one)")
                return .exited(0)
            case .forward:
                break  // not declared: the supervisor says so
            }
        }
        await restarting?.value
        return .exited(0)
    }

    /// Reloads the units, enables every service (until that succeeded once), and restarts them
    /// one by one on `current`; reports `started` or `startFailed`.
    private func restartAll(events: BackendEvents) async {
        let version = store.currentVersion()
        let started = running.withLock { $0 } != nil
        var services: [String] = []
        do {
            services = try self.services()
            try checkOwnership(of: services)
            try await systemctl.require(["daemon-reload"])
            if !enabled.withLock({ $0 }) {
                for service in services { try await systemctl.require(["enable", "--", service]) }
                enabled.withLock { $0 = true }
            }
            try await rollingRestart(services, on: version)
        } catch {
            guard !Task.isCancelled else { return }  // lavavisor stops: the services are left as they are
            logger.error(
                started
                    ? "current links to \(describe(version)) but not every service runs it; trying again on the next check"
                    : "cannot start the services; current links to \(describe(version)) but they may run another version or none; trying again on the next check",
                metadata: ["error": "\(error)"])
            _ = await events(.startFailed(version, reason: "\(error)"))
            return
        }
        guard let version else {
            // Every restart is answered: services restarted on no `current` run nothing known.
            _ = await events(.startFailed(nil, reason: "\(store.current.path) links to no installed version"))
            return
        }
        running.withLock { $0 = version }
        logger.info("every service restarted on \(version)", metadata: ["services": "\(services.joined(separator: " "))"])
        _ = await events(.started(version))
    }

    /// Restarts `services` in order, waiting for each to be active; on a failure says which ones run what.
    private func rollingRestart(_ services: [String], on version: SemanticVersion?) async throws {
        for (index, service) in services.enumerated() {
            do {
                try await systemctl.require(["restart", "--", service])
                try await waitUntilActive(service)
            } catch {
                throw RollingRestartFailed(
                    version: describe(version), previous: running.withLock { $0 }.map(\.description),
                    restarted: Array(services[..<index]), failed: service, untouched: Array(services[(index + 1)...]), cause: "\(error)")
            }
            logger.info("restarted \(service) on \(describe(version))")
        }
    }

    /// Asks `systemctl is-active` until the service is active; fails when it failed or at the deadline.
    private func waitUntilActive(_ service: String) async throws {
        let deadline = ContinuousClock.now + startTimeout
        var state = ""
        while true {
            let outcome = try await systemctl.run(["is-active", "--", service])
            state = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if state == "active" { return }
            if state == "failed" || outcome.exit == nil { break }
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: activePoll)
        }
        throw SystemctlFailed(
            command: systemctl.commandLine(["is-active", "--", service]), output: "",
            problem:
                "says '\(state.isEmpty ? "nothing" : state)', not active, within \(startTimeout.brief) of the restart; see journalctl -u \(service)"
        )
    }

    /// As root: refuses to start services whose binary (`current/lavap`) or unit file (the link in
    /// `--unit-dir`, followed, or `.lavavisor/services/NAME`) another user could change.
    private func checkOwnership(of services: [String]) throws(OwnershipError) {
        try store.checkOwnership(ofBinary: store.currentBinary)
        for service in services {
            let candidates = [unitFolder?.appendingPathComponent(service), store.root.appendingPathComponent("services/\(service)")]
            for unit in candidates.compactMap({ $0 }) where Self.exists(unit.path) {
                try Ownership.current.check(unit.path, what: "the unit")
            }
        }
    }

    /// Whether `path` exists (a dangling link counts).
    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private func describe(_ version: SemanticVersion?) -> String { version.map(\.description) ?? "nothing" }
}

/// A rolling restart stopped part-way; says which services run what.
public struct RollingRestartFailed: Error, Sendable, CustomStringConvertible {
    /// The version restarted onto.
    public let version: String
    /// The version the services ran before, when known.
    public let previous: String?
    /// The services already restarted onto `version`.
    public let restarted: [String]
    /// The service whose restart failed.
    public let failed: String
    /// The services not restarted yet.
    public let untouched: [String]
    /// Why.
    public let cause: String

    public var description: String {
        var parts = ["restarting \(failed) on \(version) failed: \(cause)"]
        if !restarted.isEmpty { parts.append("\(restarted.joined(separator: ", ")) run \(version)") }
        if !untouched.isEmpty {
            parts.append("\(untouched.joined(separator: ", ")) were not restarted and still run \(previous ?? "what they ran before")")
        }
        return parts.joined(separator: "; ")
    }
}
