public import Foundation

/// A stand-in `systemctl` script: NOT the real one. It appends each call's arguments to a file
/// (one line per call, words separated by tabs) and answers as systemd would, for the unit named
/// after `--` (or the first word that is not an option):
/// `is-active UNIT` says `activating` once after each `restart UNIT`, then `active` (so a caller
/// that does not wait is caught), or what `setStateAfterRestart` asked; `show UNIT` prints the unit's states; `--version` prints
/// `systemd 252`. `fail(_:message:)` makes every call of one verb fail with a message.
public struct StandInSystemctl: Sendable {
    /// The script.
    public let url: URL
    /// Its folder of state: the calls, the failures asked for, the units' states.
    public let folder: URL

    /// Writes the stand-in into `temp`, as `name`.
    public init(in temp: TemporaryDirectory, name: String = "systemctl", version: Int = 252) throws {
        folder = temp.path("\(name).state")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let state = folder.path
        let script = """
            #!/bin/sh
            # STAND-IN for systemctl, for tests: not the real one.
            state='\(state)'
            # One write per call (O_APPEND): two calls at once never mix their words.
            line=$(for word in "$@"; do printf '%s\\t' "$word"; done)
            printf '%s\\n' "$line" >> "$state/calls"
            [ "$1" = --user ] && shift
            verb="$1"; [ $# -gt 0 ] && shift
            # The unit: the word after `--` (as lavavisor passes it), else the first word that is no option.
            unit=""
            while [ $# -gt 0 ]; do
              case "$1" in
                --) unit="$2"; break ;;
                -*) shift ;;
                *) unit="$1"; break ;;
              esac
            done
            if [ -f "$state/fail-$verb" ]; then cat "$state/fail-$verb" >&2; exit 1; fi
            if [ -n "$unit" ] && [ -f "$state/fail-$verb-$unit" ]; then cat "$state/fail-$verb-$unit" >&2; exit 1; fi
            case "$verb" in
              --version) echo "systemd \(version) (\(version).1-1)"; echo "+PAM +AUDIT"; exit 0 ;;
              restart) cat "$state/after-restart-$unit" 2>/dev/null > "$state/unit-$unit" || echo activating > "$state/unit-$unit" ;;
              is-active)
                now=$(cat "$state/unit-$unit" 2>/dev/null || echo inactive)
                echo "$now"
                [ "$now" = activating ] && echo active > "$state/unit-$unit"
                [ "$now" = active ] && exit 0
                exit 3 ;;
              show)
                now=$(cat "$state/unit-$unit" 2>/dev/null || echo inactive)
                printf 'Id=%s\\nLoadState=loaded\\nActiveState=%s\\nSubState=%s\\n' "$unit" "$now" running ;;
            esac
            exit 0

            """
        url = temp.path(name)
        try Data(script.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }

    /// The calls so far, each as its arguments.
    public var calls: [[String]] {
        let text = (try? String(contentsOf: folder.appendingPathComponent("calls"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in line.split(separator: "\t").map(String.init) }
    }

    /// The calls so far without the `is-active` questions.
    public var actions: [[String]] { calls.filter { $0.first != "is-active" && $0.dropFirst().first != "is-active" } }

    /// The unit of each call that names one: the word after `--`.
    public var units: [String] {
        calls.compactMap { call in call.firstIndex(of: "--").flatMap { call.indices.contains($0 + 1) ? call[$0 + 1] : nil } }
    }

    /// Makes every call of `verb` (for `unit` only, when given) fail (exit 1) printing `message` on stderr.
    public func fail(_ verb: String, unit: String? = nil, message: String) throws {
        try Data(message.utf8).write(to: folder.appendingPathComponent("fail-\(verb)" + (unit.map { "-\($0)" } ?? "")))
    }

    /// Lets calls of `verb` (for `unit`, when given) succeed again.
    public func succeed(_ verb: String, unit: String? = nil) throws {
        try FileManager.default.removeItem(at: folder.appendingPathComponent("fail-\(verb)" + (unit.map { "-\($0)" } ?? "")))
    }

    /// Makes `unit` enter `state` (e.g. `failed`) after each restart, instead of `activating` then `active`.
    public func setStateAfterRestart(_ state: String, of unit: String) throws {
        try Data("\(state)\n".utf8).write(to: folder.appendingPathComponent("after-restart-\(unit)"))
    }

    /// Sets the state `is-active` and `show` report for `unit` (e.g. `failed`).
    public func setState(_ state: String, of unit: String) throws {
        try Data("\(state)\n".utf8).write(to: folder.appendingPathComponent("unit-\(unit)"))
    }
}
