import Core
public import Foundation
import Testing

/// `systemd-analyze verify` run on a unit file, with the parsed settings of its debug dump.
public struct SystemdAnalyze: Sendable {
    /// Its warnings and errors; empty when systemd accepts the unit as it is.
    public var problems: String
    /// `ExecStart=` as systemd parsed it (before `$` expansion at run time).
    public var commandLine: [String]
    /// The dumped `Key: value` settings.
    public var properties: [String: String]
    /// The whole debug output: the log lines and the dump of the unit as systemd loaded it.
    public var dump: String

    /// Verifies `unit`; fails the test plainly when systemd-analyze is missing.
    public static func verify(_ unit: URL) async throws -> SystemdAnalyze {
        let program = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let program else {
            throw SystemdAnalyzeMissing()
        }
        let quiet = try await ProcessRunner.run(program, ["verify", "--man=no", unit.path], timeout: .seconds(60))
        #expect(quiet.exit == .exited(0), "systemd-analyze verify \(unit.path): \(quiet.output)")
        // The debug level adds a dump of the unit as systemd loaded it, on stdout, after the log lines.
        let dump = try await ProcessRunner.run(
            "/usr/bin/env", ["SYSTEMD_LOG_LEVEL=debug", program, "verify", "--man=no", unit.path], timeout: .seconds(60),
            outputLimit: 4 * 1024 * 1024)
        var properties: [String: String] = [:]
        var command: [String] = []
        for line in dump.output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("Command Line: ") {
                command = try decodeCommandLine(String(trimmed.dropFirst("Command Line: ".count)))
            } else if line.hasPrefix("\t\t"), let colon = trimmed.firstIndex(of: ":") {
                let value = trimmed[trimmed.index(after: colon)...].drop { $0 == " " }
                properties[String(trimmed[..<colon])] = String(value)
            }
        }
        return SystemdAnalyze(problems: quiet.output, commandLine: command, properties: properties, dump: dump.output)
    }

    /// Splits systemd's dump of a command line: words separated by spaces, double quotes, C escapes;
    /// scalar by scalar, as systemd wrote it (a quote followed by a combining mark is still a quote).
    public static func decodeCommandLine(_ text: String) throws -> [String] {
        var words: [String] = []
        var scalars = Array(text.unicodeScalars)[...]
        while let first = scalars.first {
            if first == " " {
                scalars = scalars.dropFirst()
                continue
            }
            var word = String.UnicodeScalarView()
            let quoted = first == "\""
            if quoted { scalars = scalars.dropFirst() }
            while let scalar = scalars.popFirst() {
                if quoted && scalar == "\"" { break }
                if !quoted && scalar == " " { break }
                if scalar == "\\", let next = scalars.popFirst() {
                    switch next {
                    case "n": word.append("\n")
                    case "t": word.append("\t")
                    case "r": word.append("\r")
                    default: word.append(next)
                    }
                } else {
                    word.append(scalar)
                }
            }
            words.append(String(word))
        }
        return words
    }
}

/// systemd-analyze is not installed: the test fails and says how to get it.
public struct SystemdAnalyzeMissing: Error, CustomStringConvertible {
    public var description: String {
        "systemd-analyze is not installed; .ci/run installs it (apt-get install -y systemd), or install it yourself"
    }
}
