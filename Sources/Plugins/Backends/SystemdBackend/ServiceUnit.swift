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

    /// The unit file's text; throws `UnitValueError` for a value systemd cannot hold (a line break).
    public func render() throws(UnitValueError) -> String {
        var service = [
            "Type=simple",
            "ExecStart="
                + (try
                    ([Self.executable(command.first ?? "")]
                    + command.dropFirst().map { word throws(UnitValueError) in try Self.quoted(word) })
                    .joined(separator: " ")),
            "WorkingDirectory=" + (try Self.escaped(workingDirectory, what: "the working directory")),
        ]
        if let user { service.append("User=" + (try Self.escaped(user, what: "the user name"))) }
        if let keyringPasswordFile {
            // systemd reads the file (as root for a system unit) and lavap gets it on stdin, as it asks for the password.
            service.append("LoadCredential=\(Self.credentialName):" + (try Self.escaped(keyringPasswordFile, what: "the password file")))
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
    /// (variables), line breaks and tabs as C escapes.
    public static func quoted(_ word: String) throws(UnitValueError) -> String {
        var out = "\""
        for character in word {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "%": out += "%%"
            case "$": out += "$$"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    /// The program of `ExecStart=`, quoted: systemd expands no variables in it (a `$` stays as it
    /// is) and refuses quotes, backslashes and control characters in it, so those cannot be written.
    public static func executable(_ path: String) throws(UnitValueError) -> String {
        guard path.hasPrefix("/"), !path.contains(where: { "\"'\\".contains($0) || $0.isNewline || $0 == "\t" }) else {
            throw UnitValueError(
                what: "the program path", value: path,
                problem: "systemd runs no program whose path has a quote, a backslash or a control character")
        }
        return "\"" + path.replacingOccurrences(of: "%", with: "%%") + "\""
    }

    /// A whole-line value (a path, a name): `%` as `%%`; a line break, or a trailing backslash
    /// (systemd would join the next line), cannot be written.
    public static func escaped(_ value: String, what: String) throws(UnitValueError) -> String {
        guard !value.contains(where: \.isNewline), !value.hasSuffix("\\") else {
            throw UnitValueError(what: what, value: value, problem: "it has a line break or ends with a backslash")
        }
        return value.replacingOccurrences(of: "%", with: "%%")
    }
}

/// A value a unit file cannot hold.
public struct UnitValueError: Error, Sendable, CustomStringConvertible {
    /// What the value is.
    public let what: String
    /// The value.
    public let value: String
    /// Why systemd cannot take it.
    public let problem: String

    public var description: String {
        "\(what) '\(value)' cannot be written in a systemd unit (\(problem)); choose a --directory or names without such characters"
    }
}
