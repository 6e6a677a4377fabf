/// Reads a unit file and its `ExecStart=` line back as systemd 252 does, to check what lavavisor
/// writes without trusting its own quoting: lines end at LF, CR or NUL (systemd's `read_line`) and
/// are stripped of whitespace; `#` and `;` start comments; an unescaped trailing backslash joins the next line.
/// The words of `ExecStart=` are split as `config_parse_exec` splits them (`extract_first_word`
/// with `EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE`): on whitespace, with double and single quotes opening
/// anywhere in a word and C escapes inside and outside quotes; then each word's specifiers
/// (`%%` only: any other specifier is refused here) and, for the arguments, `$$` as systemd turns
/// it into `$` at run time (a `$` before anything else would be expanded: refused here).
///
/// Everything is read scalar by scalar (systemd reads bytes; every byte it treats specially is
/// ASCII), and words are compared as scalars: `"e\u{301}" == "é"` in Swift, not for systemd.
public enum SystemdExecParser {
    /// Why a line cannot be read back as one unambiguous command.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What systemd would do instead.
        public let description: String

        init(_ description: String) { self.description = description }
    }

    /// The settings of `unit` in order, as `(key, raw value)`, section headers as `([Section], "")`.
    public static func settings(ofUnit unit: String) throws(Failure) -> [(key: String, value: String)] {
        var settings: [(key: String, value: String)] = []
        var pending = ""
        for raw in lines(unit) {
            // Comment lines are skipped, inside a continuation too.
            if let first = stripped(raw).unicodeScalars.first, first == "#" || first == ";" { continue }
            var line = stripped(pending + raw)
            pending = ""
            // An odd run of backslashes at the end joins the next line, the last one becoming a space.
            if line.unicodeScalars.reversed().prefix(while: { $0 == "\\" }).count % 2 == 1 {
                line.unicodeScalars.removeLast()
                pending = line + " "
                continue
            }
            guard let first = line.unicodeScalars.first else { continue }
            if first == "[" {
                settings.append((key: line, value: ""))
                continue
            }
            guard let equals = line.unicodeScalars.firstIndex(of: "=") else {
                throw Failure("the line \(line.debugDescription) has no '='")
            }
            let key = stripped(String(line.unicodeScalars[..<equals]))
            let value = stripped(String(line.unicodeScalars[line.unicodeScalars.index(after: equals)...]))
            settings.append((key: key, value: value))
        }
        return settings
    }

    /// The lines of `text` as systemd's `read_line` ends them: at LF, CR, CR LF or NUL.
    public static func lines(_ text: String) -> [String] {
        var lines: [String] = []
        var line = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            defer { previous = scalar }
            if scalar == "\n" && previous == "\r" { continue }
            if scalar == "\n" || scalar == "\r" || scalar == "\0" {
                lines.append(String(line))
                line = String.UnicodeScalarView()
            } else {
                line.append(scalar)
            }
        }
        if !line.isEmpty { lines.append(String(line)) }
        return lines
    }

    /// The program and arguments of one `ExecStart=` value, as systemd runs them.
    public static func words(ofExecStart value: String) throws(Failure) -> [String] {
        var scalars = Array(value.unicodeScalars)[...]
        var words: [String] = []
        while true {
            while let first = scalars.first, isWhitespace(first) { scalars.removeFirst() }
            guard !scalars.isEmpty else { break }
            let start = scalars
            if let first = scalars.first, first == ";" || first == "\\", isLoneSemicolon(scalars) {
                throw Failure(
                    "a lone ';' (or '\\;') separates commands for systemd: \(String(String.UnicodeScalarView(start)).debugDescription)")
            }
            let word = try extractWord(&scalars)
            if words.isEmpty, let prefix = word.first, !wasQuoted(start), "@-:+!".unicodeScalars.contains(prefix) {
                throw Failure("the program \(String(String.UnicodeScalarView(word)).debugDescription) starts with a prefix systemd takes")
            }
            let specified = try specifiers(word)
            words.append(String(String.UnicodeScalarView(words.isEmpty ? specified : try variables(specified))))
        }
        return words
    }

    /// `ExecStart=`'s words in `unit`: it must hold exactly one such line.
    public static func execStart(ofUnit unit: String) throws(Failure) -> [String] {
        let values = try settings(ofUnit: unit).filter { $0.key == "ExecStart" }.map(\.value)
        guard values.count == 1, let value = values.first else { throw Failure("the unit has \(values.count) ExecStart= lines") }
        return try words(ofExecStart: value)
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool { " \t\n\r".unicodeScalars.contains(scalar) }

    static func stripped(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)[...]
        while let first = scalars.first, isWhitespace(first) { scalars.removeFirst() }
        while let last = scalars.last, isWhitespace(last) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    static func wasQuoted(_ start: ArraySlice<Unicode.Scalar>) -> Bool { start.first == "\"" || start.first == "'" }

    static func isLoneSemicolon(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        var rest = scalars
        if rest.first == "\\" { rest.removeFirst() }
        guard rest.first == ";" else { return false }
        rest.removeFirst()
        return rest.first.map(isWhitespace) ?? true
    }

    /// One word: quotes open and close anywhere, C escapes everywhere, whitespace outside quotes ends it.
    static func extractWord(_ scalars: inout ArraySlice<Unicode.Scalar>) throws(Failure) -> [Unicode.Scalar] {
        var word: [Unicode.Scalar] = []
        var quote: Unicode.Scalar?
        while let scalar = scalars.popFirst() {
            if scalar == "\\" {
                guard !scalars.isEmpty else { throw Failure("a backslash ends the line") }
                word.append(try unescape(&scalars))
            } else if let open = quote {
                if scalar == open { quote = nil } else { word.append(scalar) }
            } else if scalar == "\"" || scalar == "'" {
                quote = scalar
            } else if isWhitespace(scalar) {
                break
            } else {
                word.append(scalar)
            }
        }
        if quote != nil { throw Failure("an unterminated quote") }
        return word
    }

    /// One C escape after its backslash (systemd's `cunescape_one`).
    static func unescape(_ scalars: inout ArraySlice<Unicode.Scalar>) throws(Failure) -> Unicode.Scalar {
        guard let letter = scalars.popFirst() else { throw Failure("a backslash ends the word") }
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "a": "\u{7}", "b": "\u{8}", "f": "\u{C}", "n": "\n", "r": "\r", "t": "\t", "v": "\u{B}", "\\": "\\", "\"": "\"", "'": "'",
            "s": " ",
        ]
        if let value = simple[letter] { return value }
        let digits: (count: Int, radix: UInt32)? =
            switch letter {
            case "x": (2, 16)
            case "u": (4, 16)
            case "U": (8, 16)
            case "0"..."7": (2, 8)
            default: nil
            }
        guard let digits else { throw Failure("the escape \\\(letter) is not one systemd knows") }
        var value: UInt32 = letter == "x" || letter == "u" || letter == "U" ? 0 : letter.value - 0x30
        for _ in 0..<digits.count {
            guard let digit = scalars.popFirst(), let number = UInt32(String(digit), radix: Int(digits.radix)) else {
                throw Failure("a short \\\(letter) escape")
            }
            value = value * digits.radix + number
        }
        guard value != 0, let scalar = Unicode.Scalar(value) else { throw Failure("the escape \\\(letter) gives no character") }
        return scalar
    }

    /// `%%` as `%`; any other specifier would be expanded by systemd.
    static func specifiers(_ word: [Unicode.Scalar]) throws(Failure) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var rest = word[...]
        while let scalar = rest.popFirst() {
            guard scalar == "%" else {
                out.append(scalar)
                continue
            }
            guard rest.popFirst() == "%" else {
                throw Failure("a specifier other than %% in \(String(String.UnicodeScalarView(word)).debugDescription)")
            }
            out.append("%")
        }
        return out
    }

    /// `$$` as `$`; any other `$` would be expanded from the environment when the service starts.
    static func variables(_ word: [Unicode.Scalar]) throws(Failure) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var rest = word[...]
        while let scalar = rest.popFirst() {
            guard scalar == "$" else {
                out.append(scalar)
                continue
            }
            guard rest.popFirst() == "$" else { throw Failure("a variable in \(String(String.UnicodeScalarView(word)).debugDescription)") }
            out.append("$")
        }
        return out
    }
}
