/// Text from outside (a node's chain id or error message, a mirror's answer) made safe to print in
/// lavavisor's own lines: every control character, C0, DEL and C1 (U+0085 included), the line and
/// paragraph separators U+2028 and U+2029, and the bidirectional overrides that reorder what a
/// terminal shows, is written as a visible escape (`\r`, `\u{1B}`), so that no outside text can
/// end a line, forge one, move the cursor or erase what lavavisor wrote.
public enum TerminalText {
    /// Whether `scalar` is one that `escaped` rewrites.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `text` with every unsafe scalar escaped; `keepingNewlines` leaves `\n` as it is (for
    /// multi-line reports whose values were escaped on their own).
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar), !(keepingNewlines && scalar == "\n") else {
                out.append(scalar)
                continue
            }
            let escape: String =
                switch scalar {
                case "\n": "\\n"
                case "\r": "\\r"
                case "\t": "\\t"
                default: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                }
            out.append(contentsOf: escape.unicodeScalars)
        }
        return String(out)
    }
}
