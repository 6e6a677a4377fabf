import Core
import Logging

#if canImport(Glibc)
    import Glibc
#endif

extension ChildRecord {
    /// Stops this child, which a killed lavavisor left running (it is not ours to wait for):
    /// SIGTERM and SIGCONT to its group, then SIGKILL after `stopTimeout`.
    func stopLeftover(within stopTimeout: Duration, logger: Logger) async {
        let found: Logger.Metadata =
            supervisor == 0
            ? ["found-by": "its \(ChildRecordFile.markVariable) mark; no record named it"]
            : ["version": "\(version)", "killed-lavavisor": "\(supervisor)"]
        logger.warning(
            "a lavap left running by a lavavisor that was killed is stopped before the new one starts",
            metadata: found.merging(["pid": "\(pid)"]) { $1 })
        Glibc.kill(-pid, SIGTERM)
        Glibc.kill(-pid, SIGCONT)  // a stopped group acts on SIGTERM only once continued
        let clock = ContinuousClock()
        let deadline = clock.now + stopTimeout
        while isRunning && clock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        guard isRunning else { return }
        logger.warning("the left lavap did not stop within \(stopTimeout.brief); sending SIGKILL", metadata: ["pid": "\(pid)"])
        Glibc.kill(-pid, SIGKILL)
        let gone = clock.now + .seconds(5)
        while isRunning && clock.now < gone { try? await Task.sleep(for: .milliseconds(50)) }
    }
}
