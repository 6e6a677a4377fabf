import Core
import Foundation

/// A systemd service unit running one `lavap rpcprovider|rpcconsumer`, written in systemd's own
/// syntax: every value is escaped so that systemd reads back exactly the given paths and words.
public struct ServiceUnit: Sendable, Hashable {
    /// `Description=`.
    public var description: String
    /// The program and its arguments (`ExecStart=`), unescaped.
    public var command: [String]
    /// `WorkingDirectory=`, an absolute path.
    public var workingDirectory: String
    /// `User=`; nil for a user unit (`systemctl --user`), which runs as its manager's user.
    public var user: String?
    /// The file systemd hands to lavap on its stdin as the credential `keyring-password`; nil: none.
    public var keyringPasswordFile: String?
    /// Whether the installed systemd knows `RestartSteps=` and `RestartMaxDelaySec=` (254 and later).
    public var hasRestartSteps: Bool
    /// The target that pulls the unit in when enabled: `multi-user.target`, or `default.target` for a user unit.
    public var wantedBy: String
    /// `TimeoutStopSec=`, in whole seconds.
    public var stopTimeoutSeconds: Int

    /// The seconds systemd waits before starting a service that ended (`RestartSec=`), not the original's 180.
    public static let restartSeconds = 10
    /// A service started more than `startLimitBurst` times within this many seconds is given up (`failed`).
    public static let startLimitIntervalSeconds = 600
    /// The starts allowed within `startLimitIntervalSeconds`: 20 quick crashes in a row are a crash loop.
    public static let startLimitBurst = 20
    /// The credential's name; lavap reads it from `%d/keyring-password` on its stdin.
    public static let credentialName = "keyring-password"

    /// A unit with the given contents.
    public init(
        description: String, command: [String], workingDirectory: String, user: String?, keyringPasswordFile: String?,
        hasRestartSteps: Bool, wantedBy: String, stopTimeoutSeconds: Int
    ) {
        self.description = description
        self.command = command
        self.workingDirectory = workingDirectory
        self.user = user
        self.keyringPasswordFile = keyringPasswordFile
        self.hasRestartSteps = hasRestartSteps
        self.wantedBy = wantedBy
        self.stopTimeoutSeconds = stopTimeoutSeconds
    }

    /// The unit file's text; throws `UnitValueError` for a value systemd cannot hold (a control or
    /// line-break character, a program path with quotes), naming the flag it came from.
    public func render() throws(UnitValueError) -> String {
        var words = [try Self.executable(command.first ?? "")]
        for (index, word) in command.enumerated().dropFirst() {
            let previous = command[index - 1]
            let what = previous.hasPrefix("-") ? "the value of \(previous)" : "the ExecStart= argument \(ControlCharacters.escaped(word))"
            words.append(try Self.quoted(word, what: what))
        }
        var service = [
            "Type=simple",
            "ExecStart=" + words.joined(separator: " "),
            "WorkingDirectory=" + (try Self.escaped(workingDirectory, what: "the working directory (--directory)")),
        ]
        if let user { service.append("User=" + (try Self.escaped(user, what: "the user name"))) }
        if let keyringPasswordFile {
            // systemd reads the file (as root for a system unit) and lavap gets it on stdin, as it asks for the password.
            service.append(
                "LoadCredential=\(Self.credentialName):" + (try Self.escaped(keyringPasswordFile, what: "--keyring-password-file")))
            service.append("StandardInput=file:%d/\(Self.credentialName)")
            service.append("StandardOutput=journal")
        }
        service += ["Restart=always", "RestartSec=\(Self.restartSeconds)"]
        if hasRestartSteps { service += ["RestartSteps=5", "RestartMaxDelaySec=120"] }
        service += ["KillSignal=SIGTERM", "TimeoutStopSec=\(stopTimeoutSeconds)", "LimitNOFILE=65536"]
        let lines =
            [
                "# Written by lavavisor create-service; lavavisor start restarts it on protocol upgrades.",
                "[Unit]",
                "Description=" + (try Self.escaped(description, what: "the description")),
                "Wants=network-online.target",
                "After=network-online.target",
                "StartLimitIntervalSec=\(Self.startLimitIntervalSeconds)",
                "StartLimitBurst=\(Self.startLimitBurst)",
                "",
                "[Service]",
            ] + service + ["", "[Install]", "WantedBy=\(wantedBy)"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// One word of `ExecStart=`: in double quotes with `\` and `"` escaped (systemd splits on
    /// whitespace and honours quotes and C escapes), `%` as `%%` (specifiers), `$` as `$$`
    /// (variables), a tab as `\t`. Built scalar by scalar, as systemd reads bytes: a quote followed
    /// by a combining mark is still escaped. Any other control or line-break character is refused.
    public static func quoted(_ word: String, what: String = "an ExecStart= argument") throws(UnitValueError) -> String {
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in word.unicodeScalars {
            switch scalar {
            case "\\": out.append(contentsOf: #"\\"#.unicodeScalars)
            case "\"": out.append(contentsOf: #"\""#.unicodeScalars)
            case "%": out.append(contentsOf: "%%".unicodeScalars)
            case "$": out.append(contentsOf: "$$".unicodeScalars)
            case "\t": out.append(contentsOf: #"\t"#.unicodeScalars)
            default:
                guard !ControlCharacters.isControl(scalar) else { throw UnitValueError(what: what, value: word, control: scalar) }
                out.append(scalar)
            }
        }
        out.append("\"")
        return String(out)
    }

    /// The program of `ExecStart=`, quoted: systemd expands no variables in it (a `$` stays as it
    /// is) and refuses quotes, backslashes and control characters in it, so those cannot be written.
    public static func executable(_ path: String) throws(UnitValueError) -> String {
        let refused = path.unicodeScalars.contains { "\"'\\".unicodeScalars.contains($0) || ControlCharacters.isControl($0) }
        guard path.unicodeScalars.first == "/", !refused else {
            throw UnitValueError(
                what: "the program path", value: path,
                problem:
                    "systemd runs no program whose path has a quote, a backslash or a control character; choose a --directory without them")
        }
        return "\"" + percentDoubled(path) + "\""
    }

    /// A whole-line value (a path, a name): `%` as `%%`; a control or line-break character (tab
    /// included), or a trailing backslash (systemd would join the next line), cannot be written.
    public static func escaped(_ value: String, what: String) throws(UnitValueError) -> String {
        if let control = ControlCharacters.first(in: value) { throw UnitValueError(what: what, value: value, control: control) }
        guard value.unicodeScalars.last != "\\" else {
            throw UnitValueError(
                what: what, value: value, problem: "it ends with a backslash, which would join the next line to it; remove the backslash")
        }
        return percentDoubled(value)
    }

    /// `text` with each `%` doubled, scalar by scalar (a `%` followed by a combining mark too).
    static func percentDoubled(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.flatMap { $0 == "%" ? [$0, $0] : [$0] }))
    }
}

/// A value a unit file cannot hold; the message shows it escaped and says what to do.
public struct UnitValueError: Error, Sendable, CustomStringConvertible {
    /// What the value is: the flag it came from, or the setting.
    public let what: String
    /// The value.
    public let value: String
    /// Why systemd cannot take it, and what to do.
    public let problem: String

    /// The error for `value`, with the problem and its fix.
    public init(what: String, value: String, problem: String) {
        self.what = what
        self.value = value
        self.problem = problem
    }

    /// The error for a value holding the control or line-break character `control`.
    public init(what: String, value: String, control: Unicode.Scalar) {
        self.init(
            what: what, value: value,
            problem:
                "it holds \(ControlCharacters.name(control)), a control or line-break character, which could end the line and add a setting; give the value without it"
        )
    }

    public var description: String {
        "\(what) \(ControlCharacters.escaped(value)) cannot be written in a systemd unit: \(problem)"
    }
}
