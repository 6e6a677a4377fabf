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

    /// `text` in double quotes, every control, separator or invisible format scalar (bidi overrides,
    /// zero-width spaces), quote and backslash written as an escape: safe to print in one log line.
    public static func escaped(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if isControl(scalar) || scalar.properties.generalCategory == .format {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `U+000D` for a scalar, as the messages name it.
    public static func name(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
