import ArgumentParser
import Core
import Foundation
import Logging
import MetricsServer

#if canImport(Glibc)
    import Glibc
#endif

/// The flags of the commands that supervise one lavap (`wrap`, `pod`, `init --auto-start`).
struct SupervisionFlags<Backend: BackendFlags>: ParsableArguments {
    /// First in the help, under its own title: what the command supervises.
    @OptionGroup(title: "The lavap command") var command: CommandFlag
    @OptionGroup var monitor: MonitorFlags
    @OptionGroup var process: ProcessFlags
    @OptionGroup var backend: Backend
    @OptionGroup var prune: AutoPruneFlags
    @OptionGroup var metrics: MetricsFlags
    @OptionGroup var hooks: HookFlags
}

/// What `supervise` runs: the flags of the supervision and the plugins, and the command's defaults.
struct SupervisionPlan {
    var versionSources: VersionSourceFlags
    var binarySources: BinarySourceFlags
    var monitor: MonitorFlags
    /// `--cmd`; nil for the services of `config.yml` (`start`, `init --auto-start` without it).
    var command: CommandFlag?
    var process: ProcessFlags
    var backend: BackendSelection
    var prune: AutoPruneFlags
    /// `--metrics-address`.
    var metrics: MetricsFlags
    var defaultSource: String
    var defaultBackend: String
    /// A pod has nobody else to fetch for it: it fetches whatever `--auto-download` says.
    var alwaysFetch = false
    /// The hook flags.
    var hooks = HookFlags()
}

extension SupervisionPlan {
    /// The plan of a command that mounts every supervision flag (`wrap`, `pod`, `init`).
    init(
        versionSources: VersionSourceFlags, binarySources: BinarySourceFlags, supervision: SupervisionFlags<some BackendFlags>,
        defaultSource: String, defaultBackend: String, alwaysFetch: Bool = false
    ) {
        self.init(
            versionSources: versionSources, binarySources: binarySources, monitor: supervision.monitor, command: supervision.command,
            process: supervision.process, backend: supervision.backend.selection, prune: supervision.prune, metrics: supervision.metrics,
            defaultSource: defaultSource, defaultBackend: defaultBackend, alwaysFetch: alwaysFetch, hooks: supervision.hooks)
    }
}

extension Runtime {
    /// The run shared by `wrap`, `pod` and `init --auto-start`: pick the plugins, ask for the
    /// password if wanted, then supervise until lavap ends; returns lavavisor's exit status.
    func supervise(_ plan: SupervisionPlan) async throws -> Int32 {
        // Under systemd (Type=notify): taken before any child is started, so none inherits the socket.
        let notifier = ServiceManagerNotifier.takeFromEnvironment()
        var runtime = try forBackend(plan.backend, default: plan.defaultBackend)
        runtime.context.health = Health(pollInterval: .seconds(plan.monitor.pollInterval))
        return try await runtime.superviseForBackend(plan, notifier: notifier)
    }

    /// `supervise`, on a runtime whose plugins are made for the chosen backend; `notifier` tells
    /// systemd when lavap first runs (READY=1), that lavavisor lives (WATCHDOG=1) and when it stops.
    private func superviseForBackend(_ plan: SupervisionPlan, notifier: ServiceManagerNotifier?) async throws -> Int32 {
        Signals.install()  // again for `init --auto-start`, whose preparation kept the default actions
        let command = try plan.command?.command()
        let source = try versionSource(plan.versionSources)
        let binaries = try binarySource(plan.binarySources, default: plan.defaultSource)
        var processes = ProcessSettings(
            command: command, stopTimeout: .seconds(plan.process.stopTimeout), restart: plan.process.restartPolicy,
            upgradeProbation: plan.process.upgradeProbation)
        if let file = plan.process.keyringPasswordFile {
            processes.keyringPassword = try KeyringPasswordFile.read(context.resolve(file))
        } else if plan.process.enterKeyringPassword {
            do {
                processes.keyringPassword = try await PasswordPrompt.read(logger: logger)
            } catch let interrupted as PromptInterrupted {
                logger.info("\(interrupted)")
                return interrupted.exitStatus
            }
        }
        // The password's memory is zeroed whichever way supervision ends.
        defer { processes.keyringPassword?.wipe() }
        let backend = try backend(plan.backend, default: plan.defaultBackend, processes: processes)
        // Every handled signal: SIGTERM and SIGINT stop lavap, the others are forwarded to it.
        let signals = Signals.stream()
        // The metrics server's clients, downloads, lock files and lavap's pipes draw on one limit:
        // take all the system allows, as lavap (a Go program) does too.
        let descriptors = DescriptorLimit.raise()
        if descriptors < DescriptorLimit.comfortable {
            logger.warning(
                "lavavisor may open only \(descriptors) files (its hard limit); raise it to \(DescriptorLimit.comfortable) or more: ulimit -Hn, LimitNOFILE= in a unit, or the container's nofile ulimit"
            )
        }
        // A metrics address that cannot be served is an error before anything starts, the store included.
        var metrics: MetricsServer?
        if let address = plan.metrics.address {
            metrics = try await MetricsServer.start(at: address, health: context.health ?? Health(), version: Lavavisor.version)
        }
        if let metrics { logger.info("serving GET /metrics, /livez, /readyz and /healthz", metadata: ["address": "\(metrics.address)"]) }
        try store.prepare()
        // As root: no store another user could change (the binaries are checked again before each start).
        try store.checkOwnership()
        (try? SettingsResolution.ofThisProcess.get())?.recordSources(
            in: store, defaults: ["source": plan.defaultSource], logger: logger)
        let role = command?.role ?? .any
        logger.info(
            "lavavisor \(Lavavisor.version) supervising",
            metadata: [
                "store": "\(store.root.path)", "version-source": "\(type(of: source).id)",
                "source": "\(type(of: binaries).id)", "backend": "\(type(of: backend).id)", "role": "\(role.rawValue)",
            ])
        let fetches = plan.monitor.autoDownload || plan.alwaysFetch
        let status = BackendStatus()
        let supervisor = Supervisor(
            monitor: monitor(
                source: source, binaries: binaries, autoDownload: fetches, role: role, prefetch: fetches && !plan.monitor.noPrefetch,
                proposalsInterval: .seconds(plan.monitor.proposalsInterval), upgradeSpread: .seconds(plan.monitor.upgradeSpread),
                hooks: plan.hooks.hooks(command: (["lavap"] + (command?.arguments ?? [])).joined(separator: " "), store: store)),
            backend: backend, status: status, pollInterval: .seconds(plan.monitor.pollInterval), logger: logger,
            afterUpgrade: plan.prune.afterUpgrade(
                store: store, wait: processes.restart.resetAfter, running: { await status.running }, logger: logger),
            // Once lavap runs, this process only checks and waits: the pages start-up touched go
            // back, a few seconds later, so that the page-out never competes with lavap's own start
            // for the CPU (on one core it slowed a child's first 500 MB of output by a fifth).
            afterStart: {
                notifier?.send("READY=1\nSTATUS=lavap runs")
                Task {
                    try? await Task.sleep(for: .seconds(3))
                    Footprint.releaseStartupPages()
                }
            },
            // `lavavisor ctl` lists each wrapper by this: `wrap: lavap rpcprovider …` (`init --auto-start` goes on as wrap or start).
            controlCommand: command.map { "\(plan.alwaysFetch ? "pod" : "wrap"): \((["lavap"] + $0.arguments).joined(separator: " "))" }
                ?? "start: the services of \(store.configFile.path)")
        let watchdog = Task { await notifier?.keepWatchdogFed() }
        defer {
            watchdog.cancel()
            notifier?.send("STOPPING=1")
        }
        let ended: Result<Int32, any Error>
        do { ended = .success(try await supervisor.run(signals: signals)) } catch { ended = .failure(error) }
        await metrics?.stop()
        return try ended.get()
    }
}
