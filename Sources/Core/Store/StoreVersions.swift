public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One installed version as `lavavisor versions` shows it: its space on disk and when it got its
/// place in `upgrades/`.
public struct InstalledVersion: Sendable, Equatable {
    /// The version.
    public var version: SemanticVersion
    /// The space its folder takes on disk, in bytes (allocated blocks, as `du` counts them).
    public var size: Int64
    /// When its folder was renamed into `upgrades/` (the folder's status change time); nil when unknown.
    public var installedAt: Date?

    /// An installed version.
    public init(version: SemanticVersion, size: Int64, installedAt: Date?) {
        self.version = version
        self.size = size
        self.installedAt = installedAt
    }
}

extension Store {
    /// Every installed version with its size and install time, oldest version first.
    public func installedVersionDetails() -> [InstalledVersion] {
        installedVersions().map { version in
            let folder = folder(for: version)
            return InstalledVersion(version: version, size: Self.diskUsage(of: folder), installedAt: Self.statusChangeTime(of: folder))
        }
    }

    /// The space `url` and everything under it take on disk, in bytes; links are not followed.
    public static func diskUsage(of url: URL) -> Int64 {
        func allocated(_ path: String) -> Int64 {
            var info = stat()
            guard lstat(path, &info) == 0 else { return 0 }
            return Int64(info.st_blocks) * 512
        }
        let entries = FileManager.default.enumerator(atPath: url.path)?.allObjects as? [String] ?? []
        return entries.reduce(allocated(url.path)) { $0 + allocated(url.appendingPathComponent($1).path) }
    }

    /// The status change time of `url` (a rename sets it), nil when it cannot be read.
    static func statusChangeTime(of url: URL) -> Date? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return nil }
        return Date(timeIntervalSince1970: Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9)
    }

    /// Throws unless `prepare()` has run here (`lavavisor init`, or a wrapper): the commands that
    /// only look after a store never create one where an operator mistyped `--directory`.
    public func requirePrepared() throws {
        guard isPrepared else {
            throw StoreError(
                "there is no lavavisor store at \(root.path); give the --directory that holds .lavavisor, or run 'lavavisor init --directory \(root.deletingLastPathComponent().path)' first"
            )
        }
    }

    /// Throws unless this process may change the store's folders, naming the first it may not.
    public func requireWritable() throws {
        for folder in [root, upgrades, staging, locks] where access(folder.path, W_OK | X_OK) != 0 {
            let reason = String(cString: strerror(errno))
            throw StoreError(
                "cannot write to \(folder.path) (\(reason)); run lavavisor as the user that owns \(root.path), or fix its permissions")
        }
    }
}
