/// Splits a command line into words as a POSIX shell does, without running a shell.
///
/// Blanks separate words; single quotes keep everything literally; double quotes keep everything
/// but let a backslash escape `$`, `` ` ``, `"`, `\` and newline; an unquoted backslash escapes the
/// next character. Nothing is expanded: `$VAR`, `~` and globs stay as they are. The line is read
/// as a shell reads it, by code points: a quote followed by a combining mark is still a quote.
public enum ShellWords {
    /// The words of `line`, or an error naming the unterminated quote or trailing backslash.
    public static func split(_ line: String) throws(ShellWordsError) -> [String] {
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var inWord = false
        var characters = line.unicodeScalars.makeIterator()
        while let character = characters.next() {
            switch character {
            case " ", "\t", "\n":
                if inWord { words.append(String(word)) }
                word = String.UnicodeScalarView()
                inWord = false
            case "'":
                inWord = true
                while true {
                    guard let next = characters.next() else { throw .unterminated(quote: "'", line: line) }
                    if next == "'" { break }
                    word.append(next)
                }
            case "\"":
                inWord = true
                while true {
                    guard let next = characters.next() else { throw .unterminated(quote: "\"", line: line) }
                    if next == "\"" { break }
                    if next == "\\" {
                        guard let escaped = characters.next() else { throw .unterminated(quote: "\"", line: line) }
                        if escaped == "\n" { continue }
                        if !"$`\"\\".unicodeScalars.contains(escaped) { word.append("\\") }
                        word.append(escaped)
                    } else {
                        word.append(next)
                    }
                }
            case "\\":
                guard let escaped = characters.next() else { throw .trailingBackslash(line: line) }
                if escaped == "\n" { continue }
                inWord = true
                word.append(escaped)
            default:
                inWord = true
                word.append(character)
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

    public var description: String {
        switch self {
        case .unterminated(let quote, let line):
            "the command \(line.debugDescription) has an unterminated \(quote) quote; close it"
        case .trailingBackslash(let line):
            "the command \(line.debugDescription) ends with a lone backslash; remove it or escape it as \\\\"
        }
    }
}
