import ArgumentParser
import Core
import Foundation

extension Lavavisor {
    /// `lavavisor install VERSION`: put one version in place ahead of an upgrade, as the monitor would.
    struct Install: RuntimeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch, verify and install one lavap version ahead of an upgrade, without touching current.",
            discussion:
                "The version is fetched, checked and placed as a wrapper with --auto-download does it; a wrapper that later needs it switches to it without downloading. Example: lavavisor install 5.2.1 --source github"
        )

        @Argument(help: ArgumentHelp("X.Y.Z, or latest when --source can list the versions it has.", valueName: "version"))
        var version: String

        @OptionGroup var common: CommonFlags
        @OptionGroup var connection: ConnectionFlags
        @OptionGroup var binarySources: BinarySourceFlags

        /// The version asked for; nil for `latest`.
        var requested: SemanticVersion? { try? SemanticVersion(parsing: version) }

        func validate() throws {
            guard version != "latest" else { return }
            do { _ = try SemanticVersion(parsing: version) } catch {
                throw ValidationError("\(error); give the version to install as X.Y.Z, or latest")
            }
        }

        var runtime: Runtime { Runtime(common, chainID: nil, connection: connection) }

        func run(in runtime: Runtime) async throws -> Int32 {
            let store = runtime.store
            try store.requirePrepared()
            try store.requireWritable()
            try store.checkOwnership()
            let binaries = try runtime.binarySource(binarySources, default: DefaultPlugin.binarySource)
            let source = "--source \(type(of: binaries).id)"
            let wanted: SemanticVersion
            if let requested {
                wanted = requested
            } else {
                let listed: [SemanticVersion]
                do { listed = try await binaries.availableVersions() } catch {
                    throw InstallError("cannot tell which version is the latest: \(error)")
                }
                guard let newest = listed.max() else {
                    throw InstallError("\(source) has no versions to offer; name the version to install (X.Y.Z)")
                }
                runtime.logger.info("the latest version \(source) has is \(newest)")
                wanted = newest
            }
            if store.isInstalled(wanted) {
                print("\(wanted) is already installed: \(store.binary(for: wanted).path)")
                return 0
            }
            runtime.logger.info("fetching \(wanted)", metadata: ["source": "\(type(of: binaries).id)"])
            let lock = store.lockFile(for: wanted).path
            let lockWasThere = FileManager.default.fileExists(atPath: lock)
            do {
                let fresh = try await store.install(wanted, logger: runtime.logger) { staged in
                    try await binaries.fetch(wanted, to: staged)
                }
                print(
                    "\(wanted) \(fresh ? "installed" : "is already installed (by another lavavisor)"): \(store.binary(for: wanted).path)"
                )
            } catch {
                // The staging folder is gone already; the lock file this attempt made goes too.
                if !lockWasThere { FileLock.removeIfFree(lock) }
                throw InstallError("cannot install \(wanted) from \(source): \(error)")
            }
            return 0
        }
    }
}

/// `install` could not put the version in place; the message says why and what to do.
struct InstallError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
