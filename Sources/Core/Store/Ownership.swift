public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What lavavisor, running as root, trusts to run or to hand to systemd: a file that no other user
/// can change. The file and every folder above it up to `/` must belong to root, the file must not
/// be writable by its group or others, and no folder may be writable by its group or others unless
/// it has the sticky bit (as `/tmp`: others cannot replace root's entries there). Links are
/// followed first, so the checks apply to what would be opened.
///
/// Run as another user, lavavisor runs with that user's rights only and checks nothing.
public struct Ownership: Sendable {
    /// The effective user id the checks are made for; only root (0) is checked.
    public let user: uid_t

    /// The checks for the user lavavisor runs as.
    public static var current: Ownership { Ownership(user: geteuid()) }

    /// The checks for `user`.
    public init(user: uid_t) { self.user = user }

    /// Whether the checks apply: lavavisor runs as root.
    public var applies: Bool { user == 0 }

    /// Throws `OwnershipError` when `path` (or, when it does not exist, its nearest existing folder)
    /// or a folder above it belongs to another user than root or can be written by others; `what`
    /// names it in the message ("the binary", "the unit").
    public func check(_ path: String, what: String) throws(OwnershipError) {
        guard applies else { return }
        try checkLinks(on: path, what: what)
        var existing = path
        var resolved: String?
        while resolved == nil {
            if let real = realpath(existing, nil) {
                resolved = String(cString: real)
                free(real)
            } else {
                let parent = (existing as NSString).deletingLastPathComponent
                guard parent != existing, !parent.isEmpty else { return }
                existing = parent
            }
        }
        guard var current = resolved else { return }
        var isFile = existing == path
        while true {
            var info = stat()
            guard lstat(current, &info) == 0 else { return }
            let mode = info.st_mode & 0o7777
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            if info.st_uid != 0 {
                throw OwnershipError(what: what, checked: path, path: current, problem: .owner(uid: info.st_uid))
            }
            let sticky = isDirectory && mode & S_ISVTX != 0
            if mode & 0o022 != 0 && !(sticky && !isFile) {
                throw OwnershipError(what: what, checked: path, path: current, problem: .writable(mode: mode, isDirectory: isDirectory))
            }
            guard current != "/" else { return }
            current = (current as NSString).deletingLastPathComponent
            if current.isEmpty { current = "/" }
            isFile = false
        }
    }
}

extension Ownership {
    /// Each link on the way to `path` must belong to root: in a shared (sticky) folder another user
    /// may add a link of theirs, pointing anywhere.
    func checkLinks(on path: String, what: String) throws(OwnershipError) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var prefix = ""
        for component in absolute.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            guard lstat(prefix, &info) == 0 else { return }
            if info.st_mode & S_IFMT == S_IFLNK && info.st_uid != 0 {
                throw OwnershipError(what: what, checked: path, path: prefix, problem: .owner(uid: info.st_uid))
            }
        }
    }
}

/// lavavisor runs as root and refuses a file that another user could change: it would run what they wrote.
public struct OwnershipError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with one path.
    public enum Problem: Sendable, Hashable {
        /// It belongs to this user, not root.
        case owner(uid: uid_t)
        /// Its group or others may write it (`mode`, the permission bits).
        case writable(mode: mode_t, isDirectory: Bool)
    }

    /// What was checked: "the binary", "the unit", "the store".
    public let what: String
    /// The path asked about.
    public let checked: String
    /// The path (the file or a folder above it, links followed) that is wrong.
    public let path: String
    /// What is wrong with it.
    public let problem: Problem

    public var description: String {
        let subject = "lavavisor runs as root and refuses \(what) \(checked): \(path == checked ? "it" : path)"
        switch problem {
        case .owner(let uid):
            return
                "\(subject) belongs to \(Self.userName(uid)), not root, who could change what root runs; run 'chown root: \(path)', choose a --directory whose folders all belong to root, or run lavavisor as that user"
        case .writable(let mode, let isDirectory):
            let also = isDirectory ? " (or 'chmod +t \(path)' if others must create files in it)" : ""
            return "\(subject) may be written by its group or others (mode \(String(mode, radix: 8))); run 'chmod go-w \(path)'\(also)"
        }
    }

    /// `name (uid N)`, or `uid N` when the user has no name.
    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "user id \(uid)" }
        return "user \(String(cString: name)) (uid \(uid))"
    }
}

extension Store {
    /// Refuses (when lavavisor runs as root) a store that another user could change: `.lavavisor`
    /// and every folder above it, `upgrades/`, `staging/`, `locks/`, `services/`, what `current`
    /// links to and `config.yml`, those that exist.
    public func checkOwnership(_ ownership: Ownership = .current) throws(OwnershipError) {
        try ownership.check(root.path, what: "the store")
        let services = root.appendingPathComponent("services", isDirectory: true)
        for item in [upgrades, staging, locks, current, configFile, services] {
            try ownership.check(item.path, what: "the store")
        }
    }

    /// Refuses (when lavavisor runs as root) a binary that another user could change, before it is run.
    public func checkOwnership(ofBinary binary: URL, _ ownership: Ownership = .current) throws(OwnershipError) {
        try ownership.check(binary.path, what: "the binary")
    }
}
