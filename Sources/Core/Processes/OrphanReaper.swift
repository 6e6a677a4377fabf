import Foundation
import Synchronization

#if canImport(Glibc)
    public import Glibc
#endif

/// The children lavavisor spawned itself (`ChildProcess`), each reaped by its own waiter: the
/// orphan reaper leaves them alone.
enum OwnChildren {
    private static let pids = Mutex(Set<pid_t>())

    /// Runs `spawn` (which returns its result and the new pid, 0 when none) under the lock, and records the pid.
    static func spawning<Result>(_ spawn: () -> (Result, pid_t)) -> Result {
        pids.withLock { pids in
            let (result, pid) = spawn()
            if pid > 0 { pids.insert(pid) }
            return result
        }
    }

    /// Forgets a child its waiter reaped.
    static func reaped(_ pid: pid_t) { _ = pids.withLock { $0.remove(pid) } }

    /// Runs `body` with the pids of the children being waited for, while none can be spawned.
    static func withOwnPids<Result>(_ body: (Set<pid_t>) -> Result) -> Result { pids.withLock { body($0) } }
}

/// Reaps the zombies lavavisor did not spawn: the orphans that the kernel hands to it as PID 1 of a
/// container, or as a child subreaper (`PR_SET_CHILD_SUBREAPER`) when `lavap` leaves grandchildren behind.
///
/// It never calls `waitpid(-1)`: that would steal the exit status of lavavisor's own children
/// (lavap, `lavap version` probes, git). On every SIGCHLD (and every few seconds as a safety net) it
/// lists lavavisor's zombie children in `/proc` and reaps, one by one, those it did not spawn.
public enum OrphanReaper {
    /// Becomes a child subreaper, unless lavavisor is PID 1 (which reaps orphans anyway); true when
    /// orphans now come to lavavisor.
    @discardableResult
    public static func adoptOrphans() -> Bool {
        getpid() == 1 || Posix.prctl?(setChildSubreaper, 1, 0, 0, 0) == 0
    }

    /// `PR_SET_CHILD_SUBREAPER` of `<linux/prctl.h>`.
    private static let setChildSubreaper: Int32 = 36

    /// Starts the reaper thread once; later calls do nothing.
    public static func start() { _ = reaper }

    /// The reaper thread, started at the first use (a static's initializer runs once).
    private static let reaper: Void = {
        let exits = Signals.childExits
        Thread.detach(name: "lavavisor-orphans", stackSize: 64 * 1024) {
            // This thread takes SIGCHLD, so a process-directed one always finds a thread.
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGCHLD)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            var buffer = [UInt8](repeating: 0, count: 64)
            var poll = pollfd(fd: exits, events: Int16(POLLIN), revents: 0)
            while true {
                reapOrphans()
                // A SIGCHLD, or five seconds as a safety net (a pid still registered as ours a moment too long).
                if Glibc.poll(&poll, 1, 5000) > 0 { _ = read(exits, &buffer, buffer.count) }
            }
        }
    }()

    /// Reaps every zombie child of lavavisor that it did not spawn.
    static func reapOrphans() {
        OwnChildren.withOwnPids { own in
            for pid in zombieChildren() where !own.contains(pid) {
                var status: Int32 = 0
                while waitpid(pid, &status, WNOHANG) < 0 && errno == EINTR {}
            }
        }
    }

    /// The pids of lavavisor's children that are zombies, from `/proc/<pid>/stat`.
    static func zombieChildren() -> [pid_t] {
        let me = getpid()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let stat = ProcStat(pid: pid), stat.parent == me, stat.state == "Z" else { return nil }
            return pid
        }
    }
}

/// The fields of `/proc/<pid>/stat` lavavisor reads.
public struct ProcStat: Sendable, Equatable {
    /// The state letter (R, S, D, Z, T …).
    public var state: Character
    /// The parent's pid.
    public var parent: pid_t
    /// The process group.
    public var group: pid_t

    /// Reads `/proc/<pid>/stat`; nil when there is no such process.
    public init?(pid: pid_t) {
        // After "pid (comm)": state, ppid, pgrp.
        guard let fields = Self.fields(of: pid), fields.count > 3, let state = fields[0].first, let parent = pid_t(fields[1]),
            let group = pid_t(fields[2])
        else { return nil }
        self.state = state
        self.parent = parent
        self.group = group
    }

    /// The fields of `/proc/<pid>/stat` after "pid (comm)", the state first; nil when there is no such process.
    static func fields(of pid: pid_t) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = text.lastIndex(of: ")") else {
            return nil
        }
        return text[text.index(after: end)...].split(separator: " ")
    }
}
