public import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The `<dir>/.lavavisor/` folder: `config.yml`, `upgrades/vX.Y.Z/lavap`, the `current` link,
/// and the `staging/` and `locks/` folders that make installs crash-safe and shared.
public struct Store: Sendable {
    /// `<dir>/.lavavisor`.
    public let root: URL

    /// The store under `directory` (the original's `--directory`).
    public init(directory: URL) {
        root = directory.appendingPathComponent(".lavavisor", isDirectory: true)
    }

    /// `upgrades/`.
    public var upgrades: URL { root.appendingPathComponent("upgrades", isDirectory: true) }
    /// `staging/`: where binaries are written before they are whole.
    public var staging: URL { root.appendingPathComponent("staging", isDirectory: true) }
    /// `locks/`: one lock file per version being installed.
    public var locks: URL { root.appendingPathComponent("locks", isDirectory: true) }
    /// `current`: a relative link to `upgrades/vX.Y.Z`.
    public var current: URL { root.appendingPathComponent("current") }
    /// The binary processes run: `current/lavap`.
    public var currentBinary: URL { current.appendingPathComponent("lavap") }
    /// `config.yml`.
    public var configFile: URL { root.appendingPathComponent("config.yml") }

    /// The folder of one installed version.
    public func folder(for version: SemanticVersion) -> URL {
        upgrades.appendingPathComponent(version.tag, isDirectory: true)
    }

    /// The binary of one installed version.
    public func binary(for version: SemanticVersion) -> URL {
        folder(for: version).appendingPathComponent("lavap")
    }

    /// Creates the folders and an empty `config.yml` when they are missing; keeps what exists.
    public func prepare() throws {
        for folder in [root, upgrades, staging, locks] {
            do {
                // 0755 whatever the umask: as root, lavavisor refuses a store others may write.
                if !FileManager.default.fileExists(atPath: folder.path) {
                    try FileManager.default.createDirectory(
                        at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                }
            } catch {
                throw StoreError(
                    "cannot create \(folder.path): \(SystemError.reason(of: error)); choose another --directory or fix its permissions")
            }
        }
        // Created only when absent, in one step: a create-service or init that listed its service
        // meanwhile must not get an empty config.yml written over it.
        if !FileManager.default.fileExists(atPath: configFile.path) {
            try AtomicFile.create(StoreConfig().encoded(), at: configFile)
        }
    }

    /// Whether `prepare()` has run here.
    public var isPrepared: Bool { FileManager.default.fileExists(atPath: upgrades.path) }

    /// The versions whose `upgrades/vX.Y.Z/lavap` is an executable file, sorted.
    public func installedVersions() -> [SemanticVersion] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: upgrades.path)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix("v"), let version = try? SemanticVersion(parsing: name) else { return nil }
            return isInstalled(version) ? version : nil
        }.sorted()
    }

    /// Whether `upgrades/vX.Y.Z/lavap` is an executable regular file (a folder or a device of that
    /// name, or a link to one, is not a version: it could not be run).
    public func isInstalled(_ version: SemanticVersion) -> Bool {
        var info = stat()
        let path = binary(for: version).path
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// What the `current` link is.
    public enum CurrentLink: Sendable, Equatable {
        /// There is no `current`.
        case none
        /// It links to `upgrades/vX.Y.Z` of this store, whose `lavap` is installed.
        case installed(SemanticVersion)
        /// It links to `upgrades/vX.Y.Z` of this store, which holds no installed `lavap`.
        case dangling(SemanticVersion)
        /// It is something lavavisor does not make: a link elsewhere (the text of the link), or not a link at all.
        case foreign(String)
    }

    /// What `current` is, read from the link (no process is run).
    public func currentLink() -> CurrentLink {
        guard let target = Posix.readLink(current.path) else {
            var info = stat()
            return lstat(current.path, &info) == 0 ? .foreign("not a link") : .none
        }
        // Made by lavavisor: `upgrades/vX.Y.Z`; by hand, maybe absolute into this store's upgrades/.
        var relative = target.hasSuffix("/") ? String(target.dropLast()) : target
        if relative.hasPrefix("/") {
            let prefix = upgrades.standardizedFileURL.path + "/"
            guard relative.hasPrefix(prefix) else { return .foreign(target) }
            relative = "upgrades/" + relative.dropFirst(prefix.count)
        }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "upgrades", parts[1].hasPrefix("v"),
            let version = try? SemanticVersion(parsing: String(parts[1]))
        else { return .foreign(target) }
        return isInstalled(version) ? .installed(version) : .dangling(version)
    }

    /// The version of this store's `upgrades/` that `current` links to, installed or not; nil when
    /// there is no link or it is not one lavavisor can run (see `currentLink()`).
    public func currentVersion() -> SemanticVersion? {
        switch currentLink() {
        case .installed(let version), .dangling(let version): version
        case .none, .foreign: nil
        }
    }

    /// What is wrong with `current`, for people; nil when it links to an installed version (or there is none).
    public func currentProblem() -> String? {
        switch currentLink() {
        case .none, .installed: nil
        case .dangling(let version):
            "\(current.path) links to \(version), which is not installed (\(binary(for: version).path) is not an executable file); install it with 'lavavisor install \(version)' or let a wrapper with --auto-download fetch it"
        case .foreign(let target):
            "\(current.path) is \(target == "not a link" ? "not a link" : "a link to \(target)"), not to a version in \(upgrades.path); lavavisor runs only what it installed there: remove it and run 'lavavisor init' or 'lavavisor install VERSION --switch'"
        }
    }

    /// What `current/lavap version` reports (what a new child would run); nil when `current` links
    /// to no installed version of this store (lavavisor runs nothing else: a link made by hand to a
    /// binary elsewhere is not probed), the binary cannot tell, or lavavisor runs as root and
    /// another user could change the binary.
    public func currentBinaryVersion() async -> SemanticVersion? {
        guard case .installed(let version) = currentLink(), (try? checkOwnership(ofBinary: binary(for: version))) != nil else {
            return nil
        }
        return await BinaryProbe.version(of: binary(for: version).path)
    }

    /// `locks/current.lock`: held while `current` is switched, and while `prune` decides about and
    /// moves away a version, so that `current` never links to a version being removed.
    public var currentLock: URL { locks.appendingPathComponent("current.lock") }

    /// Points `current` at `upgrades/vX.Y.Z` atomically: a new link renamed over the old one, under
    /// `currentLock` (a prune removing that version waits, or has removed it and the switch is refused).
    public func switchCurrent(to version: SemanticVersion) throws {
        if !FileManager.default.fileExists(atPath: locks.path) {
            try FileManager.default.createDirectory(at: locks, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        let lock = try FileLock.acquireBriefly(currentLock.path, purpose: "switching current")
        defer { withExtendedLifetime(lock) {} }
        guard isInstalled(version) else {
            throw StoreError("cannot switch to \(version): \(binary(for: version).path) is not installed")
        }
        let temporary = root.appendingPathComponent(".current.\(Posix.uniqueSuffix())").path
        guard symlink("upgrades/\(version.tag)", temporary) == 0 else {
            throw SystemError("creating the link \(temporary)")
        }
        do {
            try Posix.rename(temporary, current.path)
            try Posix.fsync(path: root.path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Reads `config.yml`.
    public func readConfig() throws -> StoreConfig {
        do {
            return try StoreConfig.decode(Data(contentsOf: configFile))
        } catch {
            throw StoreError("cannot read \(configFile.path): \(error); fix the file or remove it and run 'lavavisor init'")
        }
    }

    /// Writes `config.yml` atomically.
    public func writeConfig(_ config: StoreConfig) throws {
        try AtomicFile.write(config.encoded(), to: configFile)
    }
}

/// A store operation that cannot be done, with what to do about it.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// The full sentence for the user.
    public let description: String

    /// Builds the error from its message.
    public init(_ description: String) { self.description = description }
}
