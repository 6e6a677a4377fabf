import Core

extension Fuzz {
    /// `ShellWords.split` of a command line. Invariant: each word quoted again with single quotes
    /// (`'` written `'\''`) and the words joined by spaces split into the same words.
    public static func shellWords(_ bytes: [UInt8]) {
        let line = String(decoding: bytes, as: UTF8.self)
        guard let words = try? ShellWords.split(line) else { return }
        let quoted = words.map { "'" + $0.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'" }
        let again = try? ShellWords.split(quoted.joined(separator: " "))
        precondition(again == words, "\(line.debugDescription) split into \(words), quoted again into \(String(describing: again))")
    }
}
