public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `--keyring-password-file`: the keyring password from a file that only its owner (and group)
/// can read, read once at start: a file of lavavisor's user with mode 0600 or 0400, a Kubernetes
/// secret (root's, mode 0400, or 0440 with the pod's `fsGroup`), a systemd credential (root's,
/// readable by the service's user through an ACL, which shows as group bits).
public enum KeyringPasswordFile {
    /// Reads the password, and strips one trailing newline. Refuses a file that belongs to another
    /// user than lavavisor's or root (who else wrote it?), that others may read, or that its group
    /// may change.
    public static func read(_ file: URL) throws(KeyringPasswordFileError) -> Secret {
        let limit = 64 * 1024
        let path = file.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw KeyringPasswordFileError(path: path, problem: "cannot be opened (\(String(cString: strerror(errno)))); check the path")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw KeyringPasswordFileError(path: path, problem: "cannot be inspected (\(String(cString: strerror(errno))))")
        }
        guard info.st_uid == geteuid() || info.st_uid == 0 else {
            throw KeyringPasswordFileError(
                path: path,
                problem:
                    "belongs to user id \(info.st_uid), neither lavavisor's (\(geteuid())) nor root; chown it to the user that runs lavavisor"
            )
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o027 == 0 else {
            throw KeyringPasswordFileError(
                path: path,
                problem:
                    "may be read by others or changed by its group (mode \(String(mode, radix: 8))); run chmod 600 \(path) (or mount the secret with mode 0400, or 0440 with the pod's fsGroup)"
            )
        }
        // No core file from now on: the password and its temporary copies come into memory.
        CoreDumps.forbid()
        // Room for the largest accepted file up front: no reallocation leaves a copy behind in freed memory.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(limit + 4096)
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer {
            Secret.zero(&buffer)
            Secret.zero(&bytes)
        }
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw KeyringPasswordFileError(path: path, problem: "cannot be read (\(String(cString: strerror(errno))))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            guard bytes.count <= limit else {
                throw KeyringPasswordFileError(path: path, problem: "is larger than 64 KiB: is it the right file?")
            }
        }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw KeyringPasswordFileError(path: path, problem: "is empty; write the keyring password in it") }
        return Secret(copying: bytes)
    }
}

/// A keyring password file that cannot be used; the message names it and what to do.
public struct KeyringPasswordFileError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What is wrong and what to do.
    public let problem: String

    public var description: String { "the keyring password file \(path) \(problem)" }
}
