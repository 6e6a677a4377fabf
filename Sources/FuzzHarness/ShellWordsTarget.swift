import Core

extension Fuzz {
    /// `ShellWords.split` of a command line. Invariant: each word quoted again with single quotes
    /// (`'` written `'\''`) and the words joined by spaces split into the same words.
    public static func shellWords(_ bytes: [UInt8]) {
        let line = String(decoding: bytes, as: UTF8.self)
        guard let words = try? ShellWords.split(line) else { return }
        let again = try? ShellWords.split(words.map(quoted).joined(separator: " "))
        precondition(again == words, "\(line.debugDescription) split into \(words), quoted again into \(String(describing: again))")
    }

    /// `word` in single quotes, as a shell reads it: code point by code point.
    static func quoted(_ word: String) -> String {
        var quoted = String.UnicodeScalarView("'".unicodeScalars)
        for scalar in word.unicodeScalars {
            if scalar == "'" { quoted.append(contentsOf: #"'\''"#.unicodeScalars) } else { quoted.append(scalar) }
        }
        quoted.append("'")
        return String(quoted)
    }
}
