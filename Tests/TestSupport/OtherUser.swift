public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Another, unprivileged user (`nobody`), for the tests of what lavavisor refuses as root: the
/// tests run as root here and in CI, and hand files to this user with `chown`.
public enum OtherUser {
    /// `nobody`'s user id (65534 when the system has no such entry).
    public static var uid: uid_t { getpwnam("nobody").map { $0.pointee.pw_uid } ?? 65534 }

    /// How lavavisor's messages name it.
    public static var described: String { "user nobody (uid \(uid))" }

    /// Whether the tests run as root, as they must to hand files to another user.
    public static var testsRunAsRoot: Bool { geteuid() == 0 }

    /// Gives `url` (not following a link) to `nobody`, keeping its group.
    public static func give(_ url: URL) throws {
        guard lchown(url.path, uid, gid_t.max) == 0 else {
            throw TestFailure("chown nobody \(url.path): \(String(cString: strerror(errno))); the tests must run as root")
        }
    }

    /// Sets the permission bits of `url`.
    public static func chmod(_ url: URL, _ mode: mode_t) throws {
        guard Glibc.chmod(url.path, mode) == 0 else { throw TestFailure("chmod \(url.path): \(String(cString: strerror(errno)))") }
    }

    /// The permission bits of `url`.
    public static func mode(of url: URL) throws -> mode_t {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw TestFailure("stat \(url.path): \(String(cString: strerror(errno)))") }
        return info.st_mode & 0o7777
    }
}
