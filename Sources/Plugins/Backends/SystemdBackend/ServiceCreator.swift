public import Core
public import Foundation
public import Logging
import Yams

#if canImport(Glibc)
    import Glibc
#endif

/// Makes the services of `create-service`: copies the config into the store, writes the unit,
/// links it when asked, and lists it in `config.yml`. Every input is checked before anything is
/// written, and each file is written atomically.
public struct ServiceCreator: Sendable {
    /// The store the services belong to.
    public var store: Store
    /// The `systemctl` asked for the systemd version (for `RestartSteps=`).
    public var systemctl: Systemctl
    /// Where `--create-link` links units.
    public var unitFolder: URL
    /// The logger.
    public var logger: Logger

    /// A creator for the store of `context`, with the systemd backend's flags.
    public init(options: SystemdBackend.Options, context: PluginContext) {
        self.init(
            store: context.store, systemctl: options.systemctl(in: context), unitFolder: options.unitFolder(in: context),
            logger: context.logger)
    }

    /// A creator.
    public init(store: Store, systemctl: Systemctl, unitFolder: URL, logger: Logger) {
        self.store = store
        self.systemctl = systemctl
        self.unitFolder = unitFolder
        self.logger = logger
    }

    /// `.lavavisor/services/`.
    public var servicesFolder: URL { store.root.appendingPathComponent("services", isDirectory: true) }
    /// `.lavavisor/services/protocol_yml_configs/`, the copies of the configs.
    public var configsFolder: URL { servicesFolder.appendingPathComponent("protocol_yml_configs", isDirectory: true) }

    /// The chain id of the first endpoint of a provider or consumer config, as the service's name uses it.
    public static func chainID(ofConfig data: Data, path: String) throws(ServiceError) -> String {
        let node: Node?
        do { node = try Yams.compose(yaml: String(decoding: data, as: UTF8.self)) } catch {
            throw ServiceError("the config \(path) is not valid YAML (\(error)); fix it")
        }
        guard let endpoints = node?.mapping?["endpoints"]?.sequence, let first = endpoints.first else {
            throw ServiceError(
                "the config \(path) lists no endpoints; it needs an 'endpoints:' list whose entries have a chain-id, as lavap's example configs"
            )
        }
        guard let chainID = first.mapping?["chain-id"]?.string, !chainID.isEmpty else {
            throw ServiceError("the first endpoint of the config \(path) has no chain-id; add 'chain-id: <id>' to it")
        }
        return chainID
    }

    /// The unit `request` gives: `current/lavap` with the copied config and the flags.
    public func unit(for request: ServiceRequest, config: URL, name: String, systemdVersion: Int?) -> ServiceUnit {
        var command = [
            store.currentBinary.path, request.kind.subcommand, config.path, "--from", request.from, "--geolocation",
            "\(request.geolocation)", "--log_level", request.logLevel, "--keyring-backend", request.keyringBackend,
            "--parallel-connections", "\(request.parallelConnections)",
        ]
        if let chainID = request.chainID { command += ["--chain-id", chainID] }
        if let node = request.node { command += ["--node", node] }
        return ServiceUnit(
            description: "lavap \(request.kind.subcommand) \(name), kept on the chain's protocol version by lavavisor",
            command: command, workingDirectory: store.root.deletingLastPathComponent().path,
            user: systemctl.user ? nil : Self.userName(), keyringPasswordFile: request.keyringPasswordFile?.path,
            hasRestartSteps: (systemdVersion ?? 0) >= 254, wantedBy: systemctl.user ? "default.target" : "multi-user.target",
            stopTimeoutSeconds: Int(ProcessSettings.defaultStopTimeout.seconds))
    }

    /// Makes the service; throws `ServiceError` (or the store's error) before writing anything when an input is wrong.
    public func create(_ request: ServiceRequest) async throws -> CreatedService {
        let path = request.config.path
        let data: Data
        do { data = try Data(contentsOf: request.config) } catch {
            throw ServiceError(
                "the \(request.kind.rawValue) config \(path) does not exist or cannot be read; pass the path of your \(request.kind.rawValue) config file"
            )
        }
        let name = "\(request.from)-\(try Self.chainID(ofConfig: data, path: path)).service"
        try Self.checkUnitName(name)
        if let password = request.keyringPasswordFile {
            try Self.checkPasswordFile(password)
        } else if request.keyringBackend == "file" {
            // lavap would wait for the password on a stdin that has none, and fail at every start.
            throw ServiceError(
                "--keyring-backend file needs the keyring password: pass --keyring-password-file PATH (mode 600); systemd hands it to lavap as a credential"
            )
        }
        let link = request.createLink ? unitFolder.appendingPathComponent(name) : nil
        if let link { try checkLink(link) }
        try checkOwnership(linking: link != nil)
        let configCopy = configsFolder.appendingPathComponent((name as NSString).deletingPathExtension + ".yml")
        let unitFile = servicesFolder.appendingPathComponent(name)
        let text = try unit(for: request, config: configCopy, name: name, systemdVersion: await systemctl.systemdVersion()).render()
        // config.yml is checked before anything is written, so a broken one leaves nothing half-made.
        do {
            _ = try StoreConfig.adding(service: name, to: (try? Data(contentsOf: store.configFile)) ?? Data())
        } catch {
            throw ServiceError(
                "cannot add \(name) to \(store.configFile.path): it \(error.problem); fix the file or remove it and run 'lavavisor init'")
        }
        try store.prepare()
        // Several create-service at once each add their name: the edits of config.yml take turns.
        let lock = try await FileLock.acquire(
            store.locks.appendingPathComponent("services.lock").path, timeout: .seconds(30), logger: logger,
            purpose: "adding a service to config.yml")
        defer { withExtendedLifetime(lock) {} }
        try FileManager.default.createDirectory(
            at: configsFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        // The copy may hold node URLs with credentials: for its owner only, whatever the source's mode.
        try AtomicFile.write(data, to: configCopy, permissions: 0o600)
        try AtomicFile.write(Data(text.utf8), to: unitFile)
        if let link { try Self.replaceLink(at: link, pointingTo: unitFile) }
        try store.addService(name)
        logger.info(
            "created \(name)", metadata: ["unit": "\(unitFile.path)", "config": "\(configCopy.path)", "link": "\(link?.path ?? "none")"])
        return CreatedService(name: name, unitFile: unitFile, config: configCopy, link: link)
    }

    /// A unit name systemd accepts, not a template: letters, digits and `:_.-`.
    static func checkUnitName(_ name: String) throws(ServiceError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.-")
        guard name.allSatisfy(allowed.contains), name.utf8.count <= 255 else {
            throw ServiceError(
                "the service name \(name) (from --from and the config's chain-id) may hold only letters, digits, ':', '_', '.' and '-'; choose another --from"
            )
        }
    }

    /// The password file must exist and be readable by its owner only: systemd reads it as a credential.
    static func checkPasswordFile(_ file: URL) throws(ServiceError) {
        var info = stat()
        guard stat(file.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ServiceError("the keyring password file \(file.path) does not exist; write the password in it (chmod 600)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ServiceError(
                "the keyring password file \(file.path) may be read by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(file.path)"
            )
        }
    }

    /// The unit folder must be writable, and `link` a link (ours to replace) or absent.
    private func checkLink(_ link: URL) throws(ServiceError) {
        let folder = link.deletingLastPathComponent().path
        guard access(folder, W_OK) == 0 else {
            throw ServiceError(
                "cannot link the unit into \(folder): it does not exist or is not writable; run as root, pass --user, or choose --unit-dir")
        }
        var info = stat()
        if lstat(link.path, &info) == 0, info.st_mode & S_IFMT != S_IFLNK {
            throw ServiceError("\(link.path) exists and is not a link lavavisor made; remove it or choose another --unit-dir")
        }
    }

    /// As root: refuses a store, a services folder, a `current` binary or a unit folder that another
    /// user could change, before anything is written or linked (systemd would run what they wrote as root).
    private func checkOwnership(linking: Bool) throws(OwnershipError) {
        try store.checkOwnership()
        for folder in [servicesFolder, configsFolder] { try Ownership.current.check(folder.path, what: "the services folder") }
        try store.checkOwnership(ofBinary: store.currentBinary)
        if linking { try Ownership.current.check(unitFolder.path, what: "the unit folder") }
    }

    /// Points `link` at `target` atomically (a new link renamed over the old).
    static func replaceLink(at link: URL, pointingTo target: URL) throws {
        let temporary = link.deletingLastPathComponent().appendingPathComponent(".\(link.lastPathComponent).\(getpid()).tmp").path
        unlink(temporary)
        guard symlink(target.path, temporary) == 0 else {
            throw ServiceError("cannot create a link in \(link.deletingLastPathComponent().path): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, link.path) == 0 else {
            let problem = String(cString: strerror(errno))
            unlink(temporary)
            throw ServiceError("cannot link \(link.path): \(problem)")
        }
    }

    /// The name of the user lavavisor runs as, for `User=`.
    static func userName() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "\(geteuid())" }
        return String(cString: name)
    }
}

/// `create-service` cannot go on; the message names the input and what to do.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    /// The sentence for the user.
    public let description: String

    /// The error with its message.
    public init(_ description: String) { self.description = description }
}
