import ArgumentParser
import Foundation
import Testing

@testable import Core
@testable import FileVersionSource
@testable import GitBinarySource
@testable import GitHubReleaseSource
@testable import LocalBinarySource
@testable import MetricsServer
@testable import RPCVersionSource
@testable import Supervision
@testable import SystemdBackend
@testable import TLSTrust
@testable import lavavisor

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps docs/TROUBLESHOOTING.md honest: every message lavavisor can print has a row there, and
/// every error type in Sources is either rendered here or excused with a reason.
@Suite struct TroubleshootingTests {
    /// The package's root folder: this file is Tests/TroubleshootingTests/TroubleshootingTests.swift.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Error types declared in Sources that never reach the user, and why.
    static let excused: [String: String] = [
        "NonScalarKey":
            "internal to FileVersionSource: always wrapped as the reason of VersionFileError's 'is neither JSON nor YAML (<reason>)' row",
        "TooLarge":
            "internal to FileVersionSource: always wrapped as the reason of VersionFileError's 'is neither JSON nor YAML (<reason>)' row",
        "CallerError": "private to AsyncHTTPExecutor: wraps an error of the caller's closure and is unwrapped before it leaves the module",
    ]

    /// At least one real instance of every error type in Sources, with realistic values, plus
    /// ArgumentParser's ValidationError, which the flags' validate() throw.
    static let instances: [any Error] = [
        // lavavisor (the CLI)
        InitError("init cannot read or install the required version: no usable answer from http://localhost:26657: connection refused"),
        InitError("init refuses: the node is on chain lava-testnet-2, not lava-mainnet-1"),
        InitError(
            "6.2.5 is required but not installed; rerun with --auto-download, or place it at /home/u/.lavavisor/upgrades/v6.2.5/lavap"),
        InitError("init cannot comply with the chain: no version in [5.5.1, 6.2.5] can be had"),
        InitError("no lavap is linked at /home/u/.lavavisor/current; rerun with --auto-download"),
        InstallError("cannot tell which version is the latest: --source git cannot list"),
        InstallError("--source local has no versions to offer; name the version to install (X.Y.Z)"),
        InstallError("cannot install 6.2.5 from --source github: nothing is published at https://x/v6.2.5/lavap (HTTP 404)"),
        ValidationError("--log-format must be text or json, got 'xml'"),
        ValidationError("--max-download-size must be a size such as 512MiB, 1GB or a number of bytes, got '10 parsecs'"),
        ValidationError("--poll-interval must be a positive number of seconds, got -1.0"),
        DurationTextError(text: "2 weeks"),
        ValidationError(
            "--pre-switch-hook /etc/lavavisor/hook.sh is not an executable file; give the path of the program to run (chmod +x)"),
        ValidationError("--hook-timeout must be a positive number of seconds, got 0.0"),
        ValidationError("--upgrade-spread must be 0 (off) or a positive duration, got -60.0"),
        ValidationError("give either --enter-keyring-password or --keyring-password-file, not both"),
        SettingsError(
            "the environment variable LAVAVISOR_POLL_INTERVALL is not a lavavisor setting; a setting's variable is LAVAVISOR_ and a flag's long name in capitals with _ for - (LAVAVISOR_POLL_INTERVAL for --poll-interval; 'lavavisor config' lists them): fix its name or unset it"
        ),
        SettingsError("no-subscribe from env LAVAVISOR_NO_SUBSCRIBE is a flag: give true or false, got 'maybe'"),
        SettingsError(
            "the settings file /srv/lava/.lavavisor/settings.yml has 'pol-interval', which no lavavisor command knows; fix the name (a flag's long name without dashes) or remove it"
        ),
        Lavavisor.unknownCommand("wrapp")!,
        Lavavisor.unknownCommand("frobnicate")!,
        ValidationError(
            "'plugins' is not a lavavisor command with settings; give one of create-service, init, install, pod, prune, start, status, versions, wrap"
        ),
        // MetricsServer
        MetricsServerError("--metrics-address must be HOST:PORT, e.g. 127.0.0.1:9184; got 'nonsense'"),
        MetricsServerError(
            "cannot serve metrics on 127.0.0.1:80: bind failed; pick a free address for --metrics-address (e.g. 127.0.0.1:9184)"),
        // Core
        LockTimeoutError(path: "/home/u/.lavavisor/locks/v6.2.5.lock", purpose: "installing 6.2.5", timeout: .seconds(3600)),
        StoreConfigEditError(problem: "is not a YAML mapping of keys to values"),
        StoreError("cannot switch to 6.2.5: /home/u/.lavavisor/upgrades/v6.2.5/lavap is not installed"),
        StoreError(
            "there is no lavavisor store at /srv/.lavavisor; give the --directory that holds .lavavisor, or run 'lavavisor init --directory /srv' first"
        ),
        RegistryError.unknown(point: .binarySource, id: "s3", available: ["git", "github", "local"]),
        RegistryError.duplicate(point: .versionSource, id: "rpc"),
        OptionError("this command needs --cmd 'lavap …': the lavap command line to supervise"),
        OptionError("--cmd must start with lavap (it is replaced by the managed binary); got 'lavad'"),
        OptionError("the command after -- must start with lavap (it is replaced by the managed binary); got 'lavad'"),
        ValidationError("give the lavap command either with --cmd or after --, not both"),
        ListingUnavailable(source: "local"),
        BackendCannot(backend: "child", what: "create services", instead: "systemd"),
        SpawnError(executable: "/home/u/.lavavisor/upgrades/v6.2.5/lavap", code: ENOENT),
        SupervisedChildError(
            "another lavavisor (pid 4242) already supervises 'lavap rpcprovider p.yml' on /home/u/.lavavisor; stop it first, or run this one with another --directory"
        ),
        ShellWordsError.unterminated(quote: "'", line: "lavap rpcprovider 'p.yml"),
        ShellWordsError.trailingBackslash(line: "lavap rpcprovider \\"),
        ShellWordsError.controlCharacter("\r", line: "lavap rpcprovider p.yml --node \"http://x\"\u{301}\r\n--y"),
        OwnershipError(
            what: "the binary", checked: "/srv/.lavavisor/current/lavap", path: "/srv/.lavavisor/upgrades/v6.2.5/lavap",
            problem: .owner(uid: 65534)),
        OwnershipError(
            what: "the store", checked: "/srv/.lavavisor", path: "/srv/.lavavisor", problem: .writable(mode: 0o777, isDirectory: true)),
        OwnershipError(
            what: "the unit", checked: "/etc/systemd/system/a.service", path: "/srv/.lavavisor/services/a.service",
            problem: .writable(mode: 0o666, isDirectory: false)),
        ProbeError(binary: "/tmp/staging/lavap", problem: "'version' printed 'v6', not X.Y.Z"),
        ProbeError(binary: "/tmp/staging/lavap", problem: "'version' ended with exit status 2"),
        ProbeError(binary: "/tmp/staging/lavap", problem: "'version' did not finish within 10.0 seconds"),
        PromptInterrupted(signal: SIGINT),
        PasswordPromptError.noTerminal,
        PasswordPromptError.empty,
        KeyringPasswordFileError(path: "/run/secrets/pw", problem: "is empty; write the keyring password in it"),
        KeyringPasswordFileError(
            path: "/run/secrets/pw",
            problem:
                "may be read by others or changed by its group (mode 644); run chmod 600 /run/secrets/pw (or mount the secret with mode 0400, or 0440 with the pod's fsGroup)"
        ),
        VersionParseError(text: "6.2.5-rc1"),
        NewBlockFeedError("the node at 127.0.0.1:26657 did not upgrade GET /websocket to a websocket"),
        NewBlockFeedError("the node closed the websocket"),
        NewBlockFeedError("the node sent nothing for 35 s (it pings every 27 s)"),
        NewBlockFeedError("the node sent a websocket message that is not JSON"),
        NewBlockFeedError("the node refused the subscription: Internal error: max_subscriptions_per_client 5 reached"),
        NewBlockFeedError(
            "the websocket of ftp://rpc.example cannot be followed: ws:// needs an http node, wss:// an https node and TLS"),
        NewBlockFeedError(
            "cannot follow new blocks at wss://rpc.example:443/websocket: the TLS certificate of rpc.example:443 does not verify against the system's CAs nor --ca-file (sslError([Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED])); if a private CA signed it, give that CA with --ca-file PEM"
        ),
        OptionError("--websocket-url must be a ws://, wss://, http:// or https:// URL with a host, e.g. wss://rpc.example; got 'ftp://x'"),
        OptionError("cannot set up TLS for the node's websocket (failedToLoadCertificate); if --ca-file is given, check that file"),
        // TLSTrust
        CAFileError(
            path: "/etc/lavavisor/ca.pem",
            problem: "cannot be opened (No such file or directory); give the path of a PEM file of CA certificates"),
        CAFileError(path: "/etc/lavavisor/ca.pem", problem: "cannot be read (Is a directory)"),
        CAFileError(
            path: "/etc/lavavisor/ca.pem",
            problem:
                "is not a PEM file of certificates (failedToLoadCertificate); give the CA's certificate in PEM (-----BEGIN CERTIFICATE-----)"
        ),
        CAFileError(path: "/dev/zero", problem: "is larger than 4 MiB; give the PEM file of the CA certificates to trust"),
        HTTPTransportError(
            url: "https://rpc.example:443", kind: .certificate,
            problem:
                "the TLS certificate of rpc.example:443 does not verify against the system's CAs nor --ca-file (sslError([CERTIFICATE_VERIFY_FAILED])); if a private CA signed it, give that CA with --ca-file PEM"
        ),
        HTTPTransportError(
            url: "https://10.0.0.5:26657", kind: .certificate,
            problem:
                "the TLS certificate of 10.0.0.5:26657 is not for that host (failedToValidateHostname: Couldn't find 10.0.0.5 in certificate from peer); connect by a name or address the certificate lists"
        ),
        HTTPTransportError(
            url: "https://10.0.0.5:26657", kind: .other,
            problem:
                "the TLS handshake with 10.0.0.5:26657 failed (sslError([WRONG_VERSION_NUMBER])): is it an https server, speaking TLS 1.2 or later?"
        ),
        HTTPTransportError(
            url: "https://10.0.0.5:26657", kind: .other, problem: "TLS failed with 10.0.0.5:26657 (noCertificateToValidate)"),
        BlockFeedEnded(),
        ProtocolVersionError(field: "provider_min", problem: "6.3.0 is above provider_target 6.2.5"),
        SystemError("renaming /a to /b", code: EXDEV),
        HTTPTransportError(
            url: "http://localhost:26657", kind: .refused, problem: "connection refused: is the server running and listening on that port?"),
        HTTPStatusError(url: "https://rest.example/lavanet/lava/protocol/params", status: 502, body: Array("Bad Gateway".utf8)),
        AnswerError(url: "http://localhost:26657", problem: "the abci_query answer has no value: is this a Lava node?"),
        DownloadNotFound(url: "https://github.com/lavanet/lava/releases/download/v9.9.9/lavap-v9.9.9-linux-amd64"),
        SupervisorError.refused("the node at http://localhost:26657 is on chain lava-testnet-2, not lava-mainnet-1"),
        // lavavisor ctl and the control socket
        ControlError("no lavavisor wrap, pod or start is running on /srv/.lavavisor; start one, or give the --directory it runs on"),
        ControlError(
            "2 lavavisors run on /srv/.lavavisor; choose one with --pid: pid 4242 (wrap: lavap rpcprovider p.yml), pid 4343 (pod: lavap rpcconsumer c.yml)"
        ),
        ControlError(
            "refusing to pin 6.2.4: it is below the chain's minimum 6.2.5 for the provider role (target 6.3.0), and lavap below the minimum loses relays; pick 6.2.5 or later"
        ),
        ControlError("the request is longer than 4096 bytes"),
        // Plugins
        VersionFileError(path: "/etc/versions.yml", problem: "has no provider_min; add it as \"X.Y.Z\""),
        ProtobufError.truncated,
        ProtobufError.malformed("wire type 7"),
        ProtobufError.malformed("a group in field 11, which no Lava answer has"),
        HTTPTransportError(url: "https://mirror.example/a", kind: .other, problem: "it redirected more than 5 times; check the URL"),
        HTTPTransportError(
            url: "https://mirror.example/a", kind: .other,
            problem:
                "it redirected from https to plain http (http://evil.example/a); refused: give the plain http URL yourself if that is really meant"
        ),
        DownloadTooLarge(url: "https://x/v6.2.5/lavap-v6.2.5-linux-amd64", bytes: 10 << 30, declared: true, limit: 512 << 20),
        DownloadTooLarge(url: "https://x/v6.2.5/lavap-v6.2.5-linux-amd64", bytes: 512 << 20 + 1, declared: false, limit: 512 << 20),
        NotEnoughSpace(path: "/srv/.lavavisor/staging/v6.2.5.x/lavap", needed: 100 << 20, free: 80 << 20, reserve: 64 << 20),
        NotEnoughSpace(path: "/srv/.lavavisor/staging/v6.2.5.x/lavap", needed: 50 << 20, free: nil, reserve: 64 << 20),
        NewBlockFeedError("the node sent a websocket message larger than 1024 KiB (a block header is a few KiB); dropped the connection"),
        NewBlockFeedError("the node sent a websocket message in more than 1024 fragments; dropped the connection"),
        ParamsDecodingError.missing("params.version"),
        GitSourceError("git is not installed (not found on PATH): install it with your package manager, e.g. apt-get install git"),
        GitSourceError("cannot clone v6.2.5 of https://github.com/lavanet/lava.git: fatal: Remote branch v6.2.5 not found"),
        LocalSourceError("/opt/lavap has no lavap for 6.2.5; place it at /opt/lavap/v6.2.5/lavap"),
        ReleaseListingUnavailable(),
        ChecksumMismatch(
            asset: "lavap-v6.2.5-linux-amd64", expected: String(repeating: "a", count: 64), actual: String(repeating: "b", count: 64)),
        ChecksumUnavailable(url: "https://x/v6.2.5/sha256sum.txt", problem: "it lists no checksum for lavap-v6.2.5-linux-amd64"),
        SystemctlFailed(
            command: ["systemctl", "restart", "alice-LAV1.service"], output: "Access denied", problem: "ended with exit status 1"),
        RollingRestartFailed(
            version: "6.2.5", previous: "6.2.4", restarted: ["a.service"], failed: "b.service", untouched: ["c.service"],
            cause: "'systemctl restart b.service' ended with exit status 1"),
        UnitValueError(
            what: "the program path", value: "/srv/it's/.lavavisor/current/lavap",
            problem:
                "systemd runs no program whose path has a quote, a backslash or a control character; choose a --directory without them"),
        UnitValueError(what: "the value of --node", value: "http://x\"\u{301}\r\nExecStartPre=/usr/bin/touch /tmp/PWNED", control: "\r"),
        UnitValueError(
            what: "the working directory (--directory)", value: "/srv\\",
            problem: "it ends with a backslash, which would join the next line to it; remove the backslash"),
        ServiceError("the first endpoint of the config /etc/p.yml has no chain-id; add 'chain-id: <id>' to it"),
    ]

    /// The message of each row of the table: its first cell, in backticks.
    static func tableMessages() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/TROUBLESHOOTING.md"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            // The first cell: up to the first unescaped '|' after the opening one.
            var cell = ""
            var escaped = false
            for character in line.dropFirst(2) {
                if escaped {
                    cell.append(character == "|" ? "|" : "\\\(character)")
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "|" {
                    break
                } else {
                    cell.append(character)
                }
            }
            let trimmed = cell.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("`"), trimmed.hasSuffix("`"), trimmed.count > 2 else { return nil }
            return String(trimmed.dropFirst().dropLast())
        }
    }

    /// A row's message as a whole-string pattern: each `<placeholder>` matches any text.
    static func pattern(_ message: String) throws -> Regex<AnyRegexOutput> {
        var source = "^"
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">"),
            rest[rest.index(after: open)..<close].allSatisfy({ $0.isLetter || $0.isNumber || "-_. ".contains($0) }),
            close > rest.index(after: open)
        {
            source += NSRegularExpression.escapedPattern(for: String(rest[..<open])) + "[\\s\\S]*"
            rest = rest[rest.index(after: close)...]
        }
        source += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
        return try Regex(source)
    }

    static func rowMatching(_ message: String, in patterns: [Regex<AnyRegexOutput>]) -> Bool {
        patterns.contains { message.wholeMatch(of: $0) != nil }
    }

    @Test func everyRenderedErrorHasARow() throws {
        let patterns = try Self.tableMessages().map(Self.pattern)
        #expect(patterns.count > 20, "docs/TROUBLESHOOTING.md has too few rows: is the table there?")
        for error in Self.instances {
            let message = "\(error)"
            if !Self.rowMatching(message, in: patterns) {
                Issue.record("no row of docs/TROUBLESHOOTING.md matches the \(type(of: error)) message: \(message)")
            }
        }
    }

    /// The types whose message is one sentence written where it is thrown: each such sentence in
    /// Sources (its interpolations as placeholders) must match a row.
    static let freeFormTypes = [
        "OptionError", "StoreError", "InitError", "InstallError", "MetricsServerError", "SupervisedChildError", "GitSourceError",
        "LocalSourceError", "ServiceError", "ValidationError", "SettingsError", "ControlError",
    ]

    @Test func everyMessageWrittenInSourcesHasARow() throws {
        let patterns = try Self.tableMessages().map(Self.pattern)
        var checked = 0
        for file in try Self.swiftFiles() {
            let text = try String(contentsOf: file, encoding: .utf8)
            for template in Self.messageTemplates(in: text, types: Self.freeFormTypes) {
                checked += 1
                if !Self.rowMatching(template, in: patterns) {
                    Issue.record("no row of docs/TROUBLESHOOTING.md matches the message thrown in \(file.lastPathComponent): \(template)")
                }
            }
        }
        #expect(checked > 50, "found only \(checked) messages in Sources: did the scan break?")
    }

    @Test func everyErrorTypeInSourcesIsListedOrExcused() throws {
        let listed = Set(Self.instances.map { String(describing: type(of: $0)) })
        var declared: [String: String] = [:]
        for file in try Self.swiftFiles() {
            for name in Self.errorTypes(in: try String(contentsOf: file, encoding: .utf8)) {
                declared[name] = file.path.replacingOccurrences(of: Self.root.path + "/", with: "")
            }
        }
        #expect(declared.count > 30, "found only \(declared.count) error types in Sources: did the scan break?")
        for (name, path) in declared.sorted(by: { $0.key < $1.key }) where !listed.contains(name) && Self.excused[name] == nil {
            Issue.record(
                "\(name) (\(path)) conforms to Error but TroubleshootingTests neither renders it nor excuses it: add an instance to `instances` and a row to docs/TROUBLESHOOTING.md, or a reason to `excused`"
            )
        }
        for name in Self.excused.keys where declared[name] == nil {
            Issue.record("\(name) is excused but no longer declared in Sources: remove it from `excused`")
        }
    }

    static func swiftFiles() throws -> [URL] {
        let sources = root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
    }

    /// The names of the types declared (or extended) in `source` with Error among their conformances.
    static func errorTypes(in source: String) -> [String] {
        let declaration = #/(?:struct|enum|class|actor|extension)\s+(\w+)(?:<[^>{]*>)?\s*:\s*([^{]*)\{/#
        return source.matches(of: declaration).compactMap { match in
            let conformances = match.output.2.split(whereSeparator: { ",\n".contains($0) }).map {
                $0.split(separator: " ").first.map(String.init) ?? ""
            }
            let errorLike: Set<String> = ["Error", "Swift.Error", "LocalizedError", "CustomNSError"]
            return conformances.contains(where: errorLike.contains) ? String(match.output.1) : nil
        }
    }

    /// The string literals passed first to `Type(` for each of `types`, each interpolation `\(…)`
    /// replaced by a `<value>` placeholder text.
    static func messageTemplates(in source: String, types: [String]) -> [String] {
        var templates: [String] = []
        let characters = Array(source)
        let call = try! Regex("\\b(?:\(types.joined(separator: "|")))\\(\\s*\"")
        for match in source.matches(of: call) {
            var index = source.distance(from: source.startIndex, to: match.range.upperBound)
            var template = ""
            while index < characters.count, characters[index] != "\"" {
                if characters[index] == "\\", index + 1 < characters.count {
                    if characters[index + 1] == "(" {
                        index = skipInterpolation(characters, from: index + 2)
                        template += "<value>"
                        continue
                    }
                    let escapes: [Character: String] = ["\\": "\\", "\"": "\"", "n": "\n", "t": "\t", "'": "'"]
                    template += escapes[characters[index + 1]] ?? String(characters[index + 1])
                    index += 2
                    continue
                }
                template.append(characters[index])
                index += 1
            }
            templates.append(template)
        }
        return templates
    }

    /// The index after the `)` that closes an interpolation whose contents start at `start`,
    /// skipping nested parentheses and string literals.
    static func skipInterpolation(_ characters: [Character], from start: Int) -> Int {
        var depth = 1
        var index = start
        var inString = false
        while index < characters.count {
            let character = characters[index]
            if inString {
                if character == "\\", index + 1 < characters.count, characters[index + 1] == "(" {
                    index = skipInterpolation(characters, from: index + 2)
                    continue
                }
                if character == "\\" {
                    index += 2
                    continue
                }
                if character == "\"" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "(" {
                depth += 1
            } else if character == ")" {
                depth -= 1
                if depth == 0 { return index + 1 }
            }
            index += 1
        }
        return index
    }
}
