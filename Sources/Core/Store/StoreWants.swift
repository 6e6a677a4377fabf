public import Foundation

/// `run/wanted/vX.Y.Z`: the versions that a lavavisor without `--auto-download` on this store waits
/// for. Several wrappers share one store and one of them downloads; that one fetches only what its
/// own plan needs, so a wrapper whose lavap runs above the chain's target would never fetch the
/// target that another wrapper (a fallback, a rollback, a lower role) waits for. The waiter leaves
/// its wish here at every check; the downloader reads it.
extension Store {
    /// `run/wanted/`.
    public var wanted: URL { run.appendingPathComponent("wanted", isDirectory: true) }

    /// How long a wish counts: a waiter renews it at every check, so an older one is of a
    /// lavavisor that stopped waiting (or stopped).
    public static let wantFreshness: TimeInterval = 3600

    /// Says that a lavavisor here waits for `version`: writes (or renews) `run/wanted/vX.Y.Z`.
    public func want(_ version: SemanticVersion) throws {
        do {
            try FileManager.default.createDirectory(at: wanted, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try Data().write(to: wanted.appendingPathComponent(version.tag))
        } catch {
            throw StoreError("cannot write \(wanted.appendingPathComponent(version.tag).path): \(SystemError.reason(of: error))")
        }
    }

    /// The versions wished for within `wantFreshness` of `now` that are not installed, newest
    /// first. Names that are not versions, and entries that are not plain files, are ignored.
    public func wantedVersions(now: Date = Date()) -> [SemanticVersion] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: wanted.path)) ?? []
        return names.compactMap { name -> SemanticVersion? in
            guard name.hasPrefix("v"), let version = try? SemanticVersion(parsing: name), version.tag == name,
                let attributes = try? FileManager.default.attributesOfItem(atPath: wanted.appendingPathComponent(name).path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let modified = attributes[.modificationDate] as? Date, now.timeIntervalSince(modified) < Self.wantFreshness,
                !isInstalled(version)
            else { return nil }
            return version
        }.sorted(by: >)
    }

    /// Forgets the wish for `version` (it is installed).
    public func forgetWant(_ version: SemanticVersion) {
        try? FileManager.default.removeItem(at: wanted.appendingPathComponent(version.tag))
    }
}
