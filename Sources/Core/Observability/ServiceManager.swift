import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// systemd's notification protocol (`Type=notify`), without libsystemd: datagrams to the unix
/// socket named by `NOTIFY_SOCKET` ("READY=1", "WATCHDOG=1", "STOPPING=1"). Read once at start
/// and removed from the environment, so that lavap (a child) does not see the socket meant for
/// lavavisor.
public struct ServiceManagerNotifier: Sendable {
    /// The socket's address (a path, or `@name` for the abstract namespace).
    public let socket: String
    /// How often systemd expects "WATCHDOG=1" (`WatchdogSec=`), halved as systemd advises; nil
    /// when the unit has no watchdog.
    public let watchdogEvery: Duration?

    /// The variables systemd sets for the service's main process, never handed to a child.
    public static let variables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]

    /// lavavisor's environment without these variables: what a program it starts (lavap, a hook)
    /// inherits. They are removed at start; this keeps them out whatever ran before that.
    public static func environmentForChildren() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in variables { environment[name] = nil }
        return environment
    }

    /// The notifier systemd set up for this process, if any; the variables are removed either way.
    public static func takeFromEnvironment() -> ServiceManagerNotifier? {
        let environment = ProcessInfo.processInfo.environment
        defer { for name in variables { unsetenv(name) } }
        guard let socket = environment["NOTIFY_SOCKET"], !socket.isEmpty else { return nil }
        var watchdog: Duration?
        if let text = environment["WATCHDOG_USEC"], let micros = Int64(text), micros > 0,
            environment["WATCHDOG_PID"].map({ Int32($0) == getpid() }) ?? true
        {
            watchdog = .microseconds(micros / 2)
        }
        return ServiceManagerNotifier(socket: socket, watchdogEvery: watchdog)
    }

    /// Sends `state` (lines of `KEY=VALUE`); a failure is returned, never thrown: the service
    /// manager being away must not stop lavap's supervision.
    @discardableResult
    public func send(_ state: String) -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socket.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // the abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), sockaddr, length)
            }
        }
        return sent == bytes.count
    }

    /// Sends "WATCHDOG=1" every `watchdogEvery` until cancelled (nothing without a watchdog).
    public func keepWatchdogFed() async {
        guard let every = watchdogEvery else { return }
        while !Task.isCancelled {
            send("WATCHDOG=1")
            do { try await Task.sleep(for: every) } catch { return }
        }
    }
}

/// Whether stderr is connected to the journal (`JOURNAL_STREAM` names its device and inode), so
/// that text lines can carry their syslog priority (`<3>`…), which journald reads and strips.
public enum JournalStream {
    /// Whether file descriptor 2 is the stream `JOURNAL_STREAM` names.
    public static func isStandardError() -> Bool {
        guard let text = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = text.split(separator: ":")
        var info = stat()
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]), fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
