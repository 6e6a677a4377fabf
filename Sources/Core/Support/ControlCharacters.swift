/// The characters lavavisor never writes into a systemd unit nor passes inside a word of a command
/// line: C0 controls (U+0000–U+001F: NUL, tab, CR, LF, …), DEL, C1 controls (U+0080–U+009F, NEL
/// U+0085 among them) and the Unicode line and paragraph separators (U+2028, U+2029). Each could
/// end a line, start a setting or split a word for a reader that sees lines or words differently.
///
/// The checks look at Unicode scalars, never at `Character`s: `"\r\n"`, or a quote followed by a
/// combining mark, is one `Character` in Swift but two scalars (and more bytes) for systemd and a shell.
public enum ControlCharacters {
    /// Whether `scalar` is a control or a line or paragraph separator.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }

    /// The first control or separator scalar of `text` that `allowed` does not let through; nil when none.
    public static func first(in text: String, allowing allowed: Set<Unicode.Scalar> = []) -> Unicode.Scalar? {
        text.unicodeScalars.first { isControl($0) && !allowed.contains($0) }
    }

    /// Whether printing `scalar` could end a line, move the cursor or reorder what a terminal
    /// shows: a control or separator, or an invisible format scalar (bidi overrides, zero-width spaces).
    public static func isUnsafeToPrint(_ scalar: Unicode.Scalar) -> Bool {
        isControl(scalar) || scalar.properties.generalCategory == .format
    }

    /// `text` in double quotes, every control, separator or invisible format scalar, quote and
    /// backslash written as an escape: safe to print in one log line.
    public static func escaped(_ text: String) -> String {
        "\"" + escaping(text, also: ["\"", "\\"]) + "\""
    }

    /// `text` without quotes, every control, separator or invisible format scalar written as an
    /// escape (`\r`, `\u{1B}`): text from outside (a node's chain id or error) in lavavisor's own
    /// lines. `keepingNewlines` leaves `\n` as it is, for multi-line reports.
    public static func escapedInLine(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: isUnsafeToPrint) else { return text }
        return escaping(text, keeping: keepingNewlines ? ["\n"] : [])
    }

    /// `text` with each unsafe scalar, and each of `also`, escaped; `keeping` passes as it is.
    private static func escaping(_ text: String, also: Set<Unicode.Scalar> = [], keeping: Set<Unicode.Scalar> = []) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            guard (isUnsafeToPrint(scalar) || also.contains(scalar)) && !keeping.contains(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    /// `U+000D` for a scalar, as the messages name it.
    public static func name(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
