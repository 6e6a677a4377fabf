public import Foundation

/// Stand-in `lavap` scripts: NOT the real binary. They answer `version` like lavap and record what
/// happens to them in an events file, one line per event: `start V PID ARGS`, `sigterm V PID`, `sigint V PID`,
/// `stdin V PID LINE`.
public enum StandIn {
    /// How the stand-in behaves once started.
    public enum Behaviour: Sendable {
        /// Serve until SIGTERM, then exit 0.
        case serve
        /// Ignore SIGTERM (to test the SIGKILL escalation).
        case ignoreTerm
        /// Exit at once with this status.
        case exit(Int32)
        /// Read one line from stdin, record it, then serve.
        case readStdin
        /// Serve; on SIGTERM, record it, take half a second to clean up, then exit 0.
        case slowStop
    }

    /// The script text for `version`.
    public static func script(version: String, events: URL?, behaviour: Behaviour = .serve) -> String {
        let record = events.map { "echo \"$@\" >> '\($0.path)'" } ?? ":"
        var lines = [
            "#!/bin/sh",
            "# STAND-IN for lavap \(version), for tests: not the real Lava binary.",
            "if [ \"$1\" = version ]; then echo \(version); exit 0; fi",
            "record() { \(record); }",
        ]
        // The trap is set before `start` is recorded, so a SIGTERM sent once the test sees `start` is handled.
        switch behaviour {
        case .serve, .readStdin:
            // As lavap: SIGTERM and SIGINT (Ctrl-C) both end it gracefully.
            lines.append("trap 'record sigterm \(version) $$; exit 0' TERM")
            lines.append("trap 'record sigint \(version) $$; exit 0' INT")
        case .ignoreTerm:
            lines.append("trap 'record ignored-sigterm \(version) $$' TERM")
        case .slowStop:
            lines.append("trap 'record sigterm \(version) $$; sleep 0.5; exit 0' TERM")
        case .exit:
            break
        }
        lines.append("record start \(version) $$ \"$*\"")
        switch behaviour {
        case .exit(let status):
            lines.append("exit \(status)")
        case .readStdin:
            lines.append("IFS= read -r line; record stdin \(version) $$ \"$line\"")
        case .serve, .ignoreTerm, .slowStop:
            break
        }
        lines.append("echo \"stand-in lavap \(version) serving\"")
        // The loop's stderr is /dev/null: when the group's SIGTERM ends the background sleep, dash may
        // report its job as "Terminated" on stderr, which is lavavisor's (the journal test reads it).
        lines.append("while :; do sleep 3600 & wait $!; done 2>/dev/null")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes a stand-in to `url` and makes it executable.
    @discardableResult
    public static func install(version: String, at url: URL, events: URL?, behaviour: Behaviour = .serve) throws -> URL {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(script(version: version, events: events, behaviour: behaviour).utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    /// The recorded events, one array of words per line.
    public static func events(_ file: URL) -> [[String]] {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 3).map(String.init) }
    }
}
