/// Splits a command line into words as a POSIX shell does, without running a shell.
///
/// Blanks separate words; single quotes keep everything literally; double quotes keep everything
/// but let a backslash escape `$`, `` ` ``, `"`, `\` and newline; an unquoted backslash escapes the
/// next character. Nothing is expanded: `$VAR`, `~` and globs stay as they are.
///
/// The line is read scalar by scalar, as a shell reads bytes: a quote followed by a combining mark
/// is still a quote. No word may hold a control or line-break character (`ControlCharacters`):
/// a tab or newline separates words, a backslash before a newline joins lines, any other is refused.
public enum ShellWords {
    /// The words of `line`, or an error naming the unterminated quote, trailing backslash or control character.
    public static func split(_ line: String) throws(ShellWordsError) -> [String] {
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var inWord = false
        var scalars = line.unicodeScalars.makeIterator()
        /// Adds `scalar` to the word, unless it is a control character.
        func append(_ scalar: Unicode.Scalar) throws(ShellWordsError) {
            guard !ControlCharacters.isControl(scalar) else { throw .controlCharacter(scalar, line: line) }
            word.append(scalar)
        }
        while let scalar = scalars.next() {
            switch scalar {
            case " ", "\t", "\n":
                if inWord { words.append(String(word)) }
                word = String.UnicodeScalarView()
                inWord = false
            case "'":
                inWord = true
                while true {
                    guard let next = scalars.next() else { throw .unterminated(quote: "'", line: line) }
                    if next == "'" { break }
                    try append(next)
                }
            case "\"":
                inWord = true
                while true {
                    guard let next = scalars.next() else { throw .unterminated(quote: "\"", line: line) }
                    if next == "\"" { break }
                    if next == "\\" {
                        guard let escaped = scalars.next() else { throw .unterminated(quote: "\"", line: line) }
                        if escaped == "\n" { continue }
                        if !"$`\"\\".unicodeScalars.contains(escaped) { word.append("\\") }
                        try append(escaped)
                    } else {
                        try append(next)
                    }
                }
            case "\\":
                guard let escaped = scalars.next() else { throw .trailingBackslash(line: line) }
                if escaped == "\n" { continue }
                inWord = true
                try append(escaped)
            default:
                inWord = true
                try append(scalar)
            }
        }
        if inWord { words.append(String(word)) }
        return words
    }
}

/// A command line that cannot be split into words.
public enum ShellWordsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A quote was opened and never closed.
    case unterminated(quote: Character, line: String)
    /// The line ends with a lone backslash.
    case trailingBackslash(line: String)
    /// A word would hold a control or line-break character (CR, a quoted tab or newline, DEL, U+2028, …).
    case controlCharacter(Unicode.Scalar, line: String)

    public var description: String {
        switch self {
        case .unterminated(let quote, let line):
            "the command \(ControlCharacters.escaped(line)) has an unterminated \(quote) quote; close it"
        case .trailingBackslash(let line):
            "the command \(ControlCharacters.escaped(line)) ends with a lone backslash; remove it or escape it as \\\\"
        case .controlCharacter(let scalar, let line):
            "the command \(ControlCharacters.escaped(line)) would pass \(ControlCharacters.name(scalar)), a control or line-break character, inside a word to lavap; remove it from --cmd (only spaces, tabs and newlines outside quotes separate words)"
        }
    }
}
