public import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    /// Installs `version` crash-safely, at most once across every lavavisor sharing this store.
    ///
    /// Under the version's lock: if another process installed it meanwhile, nothing is done;
    /// otherwise leftovers of a dead holder are removed, `fetch` writes into a fresh staging folder,
    /// the binary is made executable and must report `version`, then it is flushed and its folder
    /// renamed to `upgrades/vX.Y.Z`. Any failure removes the staging folder; `upgrades/` never holds
    /// a partial binary. Returns false when the version was already there.
    @discardableResult
    public func install(
        _ version: SemanticVersion, logger: Logger, lockTimeout: Duration = .seconds(3600),
        fetch: (URL) async throws -> Void
    ) async throws -> Bool {
        try prepare()
        let lock = try await FileLock.acquire(
            lockFile(for: version).path, timeout: lockTimeout, logger: logger,
            purpose: "installing \(version)")
        defer { withExtendedLifetime(lock) {} }
        if isInstalled(version) { return false }
        removeStagingLeftovers(of: version, logger: logger)

        let stage = staging.appendingPathComponent("\(version.tag).\(Posix.uniqueSuffix())", isDirectory: true)
        try FileManager.default.createDirectory(at: stage, withIntermediateDirectories: true)
        do {
            let staged = stage.appendingPathComponent("lavap")
            try await fetch(staged)
            guard FileManager.default.fileExists(atPath: staged.path) else {
                throw StoreError("the binary source wrote nothing for \(version)")
            }
            guard chmod(staged.path, 0o755) == 0 else { throw SystemError("making \(staged.path) executable") }
            let reported: SemanticVersion
            do { reported = try await BinaryProbe.checkedVersion(of: staged.path) } catch {
                throw StoreError("refusing the binary fetched for \(version): \(error)")
            }
            guard reported == version else {
                throw StoreError("refusing the binary fetched for \(version): it reports version \(reported)")
            }
            try Posix.fsync(path: staged.path)
            try Posix.fsync(path: stage.path)
            try placeStagedFolder(stage, as: version)
        } catch {
            try? FileManager.default.removeItem(at: stage)
            throw error
        }
        logger.info("installed \(version)", metadata: ["path": "\(binary(for: version).path)"])
        return true
    }

    /// Renames a verified staging folder to `upgrades/vX.Y.Z` and flushes `upgrades/`.
    private func placeStagedFolder(_ stage: URL, as version: SemanticVersion) throws {
        let destination = folder(for: version).path
        if Glibc.rename(stage.path, destination) != 0 {
            let code = errno
            // An empty folder of the same name (made by hand) is replaced by the rename itself;
            // a non-empty one without a binary is the operator's and is left alone.
            guard code == ENOTEMPTY || code == EEXIST else {
                throw SystemError("moving \(stage.path) into place", code: code)
            }
            throw StoreError("\(destination) exists but holds no executable lavap; move it away and retry")
        }
        try Posix.fsync(path: upgrades.path)
    }

    /// Removes `staging/vX.Y.Z.*` folders (an install's, never a removal's); call only while holding the version's lock.
    func removeStagingLeftovers(of version: SemanticVersion, logger: Logger) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []
        for name in names where name.hasPrefix("\(version.tag).") {
            logger.info("removing the leftovers of an interrupted install", metadata: ["path": "\(staging.path)/\(name)"])
            try? FileManager.default.removeItem(at: staging.appendingPathComponent(name))
        }
    }
}
