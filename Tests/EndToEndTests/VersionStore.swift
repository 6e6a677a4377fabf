import Core
import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A quickstart-like setup for the version commands (`install`, `versions`, `prune`): stand-in
/// binaries in `bin/` for the `local` source, a versions file, and a store under `home/`.
struct VersionStore {
    let setup: Quickstart
    var store: Store { setup.store }
    var temp: TemporaryDirectory { setup.temp }
    var home: String { setup.temp.path("home").path }

    /// Stand-ins for `binaries` in `bin/`; the chain demands `demanded`.
    init(demanded: String = "1.2.0", binaries: [String] = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]) throws {
        setup = try Quickstart(versions: demanded, binaries: binaries)
    }

    /// The flags of the `local` source on `bin/`.
    var local: [String] { ["--source", "local", "--binaries-dir", setup.bin.path] }

    /// A prepared store with `installed` in `upgrades/` (stand-ins recording into the events file) and `current` linked.
    func prepare(installed: [String], current: String?) throws {
        try store.prepare()
        for version in installed {
            try StandIn.install(version: version, at: store.binary(for: v(version)), events: setup.events)
        }
        if let current { try store.switchCurrent(to: v(current)) }
    }

    /// Runs `lavavisor command arguments… --directory home`.
    func run(_ command: String, _ arguments: [String] = []) async throws -> CLI.Finished {
        try await CLI.run([command] + arguments + ["--directory", home], in: temp)
    }

    /// Every path under the store with its size and the target of each link: to show that nothing changed.
    func snapshot() -> [String: String] {
        let paths = FileManager.default.enumerator(atPath: store.root.path)?.allObjects as? [String] ?? []
        var entries: [String: String] = [:]
        for path in paths {
            let url = store.root.appendingPathComponent(path)
            let link = try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int).map(String.init)
            entries[path] = link ?? size ?? "?"
        }
        return entries
    }

    /// Runs `lavavisor arguments…` as the user nobody (uid 65534), who may read the test's folder but not write it.
    func runAsNobody(_ arguments: [String]) async throws -> CLI.Finished { try await CLI.runAsNobody(in: temp, arguments) }
}
