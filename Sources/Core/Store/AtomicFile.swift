public import Foundation

/// Writes files so that readers see the old content or the new, never a mix, even across a crash.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `url`, flushes it, renames it over `url`, flushes the folder.
    public static func write(_ data: Data, to url: URL, permissions: Int = 0o644) throws {
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/.\(url.lastPathComponent).\(Posix.uniqueSuffix()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: permissions])
        else { throw SystemError("writing \(temporary)") }
        do {
            try Posix.fsync(path: temporary)
            try Posix.rename(temporary, url.path)
            try Posix.fsync(path: folder)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
