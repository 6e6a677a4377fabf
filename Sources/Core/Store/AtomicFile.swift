public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes files so that readers see the old content or the new, never a mix, even across a crash.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `url`, flushes it, renames it over `url`, flushes the folder.
    /// The file gets exactly `permissions`, whatever the umask, from its creation on: no moment
    /// where a file meant for its owner only can be read by others.
    public static func write(_ data: Data, to url: URL, permissions: mode_t = 0o644) throws {
        let temporary = try flushedTemporary(data, beside: url, permissions: permissions)
        do {
            try Posix.rename(temporary, url.path)
            try Posix.fsync(path: url.deletingLastPathComponent().path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Creates `url` with `data` unless a file is there: never replaces one, also one another
    /// process creates between a look and this write (a check-then-write would put an empty file
    /// over what it just wrote). Written and flushed beside `url`, then hard-linked into place.
    /// Returns whether it created the file.
    @discardableResult
    public static func create(_ data: Data, at url: URL, permissions: mode_t = 0o644) throws -> Bool {
        let temporary = try flushedTemporary(data, beside: url, permissions: permissions)
        defer { unlink(temporary) }
        guard link(temporary, url.path) == 0 else {
            if errno == EEXIST { return false }
            throw SystemError("creating \(url.path)")
        }
        try Posix.fsync(path: url.deletingLastPathComponent().path)
        return true
    }

    /// A new file beside `url` holding `data`, flushed to disk, with exactly `permissions`; its path.
    private static func flushedTemporary(_ data: Data, beside url: URL, permissions: mode_t) throws -> String {
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/.\(url.lastPathComponent).\(Posix.uniqueSuffix()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, permissions & 0o600)
        guard fd >= 0 else { throw SystemError("writing \(temporary)") }
        do {
            defer { close(fd) }
            guard fchmod(fd, permissions) == 0 else { throw SystemError("setting the mode of \(temporary)") }
            guard data.withUnsafeBytes({ Posix.writeAll(fd, $0) }) else { throw SystemError("writing \(temporary)") }
            guard fsync(fd) == 0 else { throw SystemError("flushing \(temporary) to disk") }
        } catch {
            unlink(temporary)
            throw error
        }
        return temporary
    }
}
