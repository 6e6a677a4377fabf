import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Processes a failed test left behind.
///
/// A test that fails half-way (a timeout, say) can leave a stand-in lavap or a lavavisor running,
/// in a process group of its own with the test runner's output as its own: it would outlive the
/// runner and hold that output open, so that whatever reads it waits for the stand-in's
/// `sleep 3600`. Every process whose command line names a test's temporary folder ends with it.
enum LeftoverProcesses {
    /// Kills (SIGKILL) every process whose command line contains `path`, with its process group
    /// when that group is not the test runner's; returns their pids.
    @discardableResult
    static func kill(mentioning path: String) -> [pid_t] {
        let needle = Array(path.utf8)
        let me = getpid()
        let ownGroup = getpgrp()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var killed: [pid_t] = []
        for name in names {
            guard let pid = pid_t(name), pid != me,
                let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                cmdline.count >= needle.count, Array(cmdline).firstRange(of: needle) != nil
            else { continue }
            let group = getpgid(pid)
            if group > 1 && group != ownGroup { Glibc.kill(-group, SIGKILL) }
            Glibc.kill(pid, SIGKILL)
            killed.append(pid)
        }
        return killed
    }
}
