import Crypto
public import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// What a supervising lavavisor records in the store about the child it runs, so that a lavavisor
/// started after it was killed finds the `lavap` it left behind: `run/<command>.json`, guarded by
/// `run/<command>.lock`, which the supervising lavavisor holds for as long as it lives (the kernel
/// frees it when it dies, however it dies).
public struct ChildRecord: Codable, Sendable, Equatable {
    /// The child's pid, which is also its process group.
    public var pid: Int32
    /// The child's start time in clock ticks since boot (`/proc/<pid>/stat`), so a reused pid is not taken for it.
    public var startTime: UInt64
    /// The version it runs.
    public var version: String
    /// The lavavisor that runs it.
    public var supervisor: Int32

    /// A record of a running child.
    public init(pid: Int32, startTime: UInt64, version: String, supervisor: Int32) {
        self.pid = pid
        self.startTime = startTime
        self.version = version
        self.supervisor = supervisor
    }

    /// The start time of a running process, nil when there is none with that pid.
    public static func startTime(of pid: Int32) -> UInt64? {
        // After "pid (comm)": state is field 3, start time field 22.
        guard let fields = ProcStat.fields(of: pid), fields.count > 19, fields[0] != "Z" else { return nil }
        return UInt64(fields[19])
    }

    /// The record in `file`, nil when there is none or it cannot be read.
    static func load(_ file: URL) -> ChildRecord? {
        guard let data = try? Data(contentsOf: file) else { return nil }
        return try? JSONDecoder().decode(ChildRecord.self, from: data)
    }

    /// Whether the recorded process still runs (same pid, same start time).
    public var isRunning: Bool { Self.startTime(of: pid) == startTime }
}

/// The record and lock of one supervised command in a store, and the mark its children carry.
///
/// The record alone cannot find every child: a lavavisor killed between the spawn and the record's
/// write, or one whose record cannot be written (a full disk), leaves a `lavap` no record names.
/// So every child also carries `LAVAVISOR_SUPERVISED=<mark>` in its environment, the mark naming
/// the store and the command, and the next lavavisor to claim the command looks for it in `/proc`.
public struct ChildRecordFile: Sendable {
    /// `run/<key>.json`.
    public let record: URL
    /// `run/<key>.lock`.
    public let lock: URL
    /// The value of `LAVAVISOR_SUPERVISED` in the environment of the command's children: a digest of
    /// the store's path and the command, so that no other store's or command's child carries it.
    public let mark: String

    /// The environment variable that marks a supervised child.
    public static let markVariable = "LAVAVISOR_SUPERVISED"

    /// The files of `arguments` (the words after `lavap`) in `store`.
    public init(store: Store, arguments: [String]) {
        let digest = SHA256.hash(data: Data(arguments.joined(separator: "\u{0}").utf8))
        let key = digest.prefix(8).map { String(format: "%02x", $0) }.joined()
        record = store.run.appendingPathComponent("\(key).json")
        lock = store.run.appendingPathComponent("\(key).lock")
        let marked = SHA256.hash(data: Data(([store.root.standardizedFileURL.path] + arguments).joined(separator: "\u{0}").utf8))
        mark = marked.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// The environment of a new child: lavavisor's own plus the mark.
    public func childEnvironment() -> [String: String] {
        var environment = ServiceManagerNotifier.environmentForChildren()
        environment[Self.markVariable] = mark
        return environment
    }

    /// The processes that carry this command's mark and lead their own process group (the
    /// `lavap` children, not what they spawned), except this process's own children: what a killed
    /// lavavisor left running, found whether or not its record was written. Zombies are not listed.
    public func markedProcesses() -> [ChildRecord] {
        let own = OwnChildren.withOwnPids { $0 }
        let entry = Array("\(Self.markVariable)=\(mark)".utf8)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> ChildRecord? in
            guard let pid = Int32(name), pid != getpid(), !own.contains(pid), getpgid(pid) == pid,
                let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                environment.split(separator: 0, omittingEmptySubsequences: true).contains(where: { $0.elementsEqual(entry) }),
                let startTime = ChildRecord.startTime(of: pid)
            else { return nil }
            return ChildRecord(pid: pid, startTime: startTime, version: "unknown", supervisor: 0)
        }.sorted { $0.pid < $1.pid }
    }

    /// Takes the command's lock without waiting: nil when another lavavisor holds it.
    public func claim(logger: Logger) async throws -> FileLock? {
        try FileManager.default.createDirectory(at: lock.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            return try await FileLock.acquire(lock.path, timeout: .zero, logger: logger, purpose: "supervising this command")
        } catch is LockTimeoutError {
            return nil
        }
    }

    /// The record left by the last lavavisor, if any.
    public func read() -> ChildRecord? { ChildRecord.load(record) }

    /// Records the running child.
    public func write(_ child: ChildRecord) throws {
        try AtomicFile.write(JSONEncoder().encode(child), to: record)
    }

    /// Forgets the child.
    public func remove() { try? FileManager.default.removeItem(at: record) }
}

extension Store {
    /// `run/`: one claim and one record per supervised command.
    public var run: URL { root.appendingPathComponent("run", isDirectory: true) }

    /// The children recorded by supervising lavavisors on this store that still run.
    public func runningChildren() -> [ChildRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { ChildRecord.load(run.appendingPathComponent($0)) }
            .filter(\.isRunning).sorted { $0.pid < $1.pid }
    }

    /// The versions in use, with the pids using them: those of the recorded children, and those
    /// whose `upgrades/vX.Y.Z/lavap` a process executes (`/proc/PID/exe`), whoever started it: a
    /// wrapper whose record is not written yet or could not be (a full disk), a systemd service, an
    /// operator by hand. Processes of other users are seen only by root.
    public func runningVersions() -> [SemanticVersion: [Int32]] {
        var running = PrunePlan.versions(of: runningChildren())
        for (version, pids) in executingVersions() {
            running[version] = Array(Set(running[version, default: []] + pids)).sorted()
        }
        return running
    }

    /// The versions of this store whose binary a running process executes, with their pids.
    func executingVersions() -> [SemanticVersion: [Int32]] {
        let prefix = upgrades.resolvingSymlinksInPath().path + "/"
        var executing: [SemanticVersion: [Int32]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let exe = Posix.readLink("/proc/\(pid)/exe"), exe.hasPrefix(prefix) else { continue }
            let parts = exe.dropFirst(prefix.count).split(separator: "/")
            guard parts.count == 2, parts[1] == "lavap", let version = try? SemanticVersion(parsing: String(parts[0])) else { continue }
            executing[version, default: []].append(pid)
        }
        return executing
    }
}
