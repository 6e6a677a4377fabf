import Core
import FileVersionSource
import Foundation

extension Fuzz {
    /// A versions file: its versions and its `pending:` entries. Invariant: the versions read,
    /// written as JSON, read back the same.
    public static func versionsFile(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = FileVersionSource.pendingVersions(inText: text)
        guard let versions = try? FileVersionSource.parse(text, path: "versions.yml") else { return }
        let json = String(decoding: try! JSONEncoder().encode(versions), as: UTF8.self)
        precondition((try? FileVersionSource.parse(json, path: "versions.json")) == versions, "\(versions) does not read back from \(json)")
    }

    /// The store's `config.yml`, read and edited: the input is the file, or a service name, a NUL
    /// byte and the file. Invariants: adding the service twice is adding it once, and a file that
    /// reads and takes the service reads back with the service appended once.
    public static func storeConfig(_ bytes: [UInt8]) {
        var service = "alice-lava-mainnet-1"
        var file = bytes[...]
        if let nul = bytes.firstIndex(of: 0) {
            service = String(decoding: bytes[..<nul], as: UTF8.self)
            file = bytes[(nul + 1)...]
        }
        let before = try? StoreConfig.decode(Data(file))
        guard let edited = try? StoreConfig.adding(service: service, to: Data(file)) else { return }
        precondition(
            (try? StoreConfig.adding(service: service, to: edited)) == edited, "adding \(service.debugDescription) twice changes the file")
        guard let before else { return }
        let expected = before.services.contains(service) ? before.services : before.services + [service]
        let after = try? StoreConfig.decode(edited)
        precondition(
            after?.services == expected,
            "adding \(service.debugDescription) to \(before.services) read back \(String(describing: after?.services))")
    }
}
