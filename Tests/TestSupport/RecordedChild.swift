public import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real running process recorded in a store as a supervised child on `version`, as a lavavisor
/// records its `lavap` (`run/<command>.json`): what `prune` must never take the version from.
/// The process (a `sleep`, its output to /dev/null) is killed when the value goes away.
public final class RecordedChild: Sendable {
    /// The running process.
    public let process: ChildProcess
    /// Its record in the store.
    public let record: ChildRecord

    /// Starts the process and records it in `store` as running `version`, under a command of its own.
    public init(store: Store, version: String) throws {
        process = try ChildProcess.spawn(executable: "/bin/sleep", arguments: ["3600"], stdin: .null, output: .null)
        guard let startTime = ChildRecord.startTime(of: process.pid) else {
            process.signal(SIGKILL)
            throw TestFailure("the recorded child \(process.pid) is not running")
        }
        record = ChildRecord(pid: process.pid, startTime: startTime, version: version, supervisor: getpid())
        try FileManager.default.createDirectory(at: store.run, withIntermediateDirectories: true)
        try ChildRecordFile(store: store, arguments: ["recorded-child", UUID().uuidString]).write(record)
    }

    deinit {
        let process = process
        process.signal(SIGKILL)
        Task { _ = await process.wait() }
    }

    /// Whether the process still runs.
    public var isRunning: Bool { record.isRunning }
}
