import Core
import Testing

@Suite struct ShellWordsTests {
    @Test(arguments: [
        ("lavap rpcprovider ./config.yml --from alice", ["lavap", "rpcprovider", "./config.yml", "--from", "alice"]),
        ("  lavap\t a   b  ", ["lavap", "a", "b"]),
        ("lavap --node 'http://x:26657/a b'", ["lavap", "--node", "http://x:26657/a b"]),
        ("lavap --node \"http://x a\"", ["lavap", "--node", "http://x a"]),
        ("lavap a\\ b", ["lavap", "a b"]),
        ("lavap 'it'\\''s'", ["lavap", "it's"]),
        ("lavap \"a\\\"b\" \"c\\d\" \"\\$HOME\"", ["lavap", "a\"b", "c\\d", "$HOME"]),
        ("lavap '' \"\"", ["lavap", "", ""]),
        ("lavap $HOME ~ *", ["lavap", "$HOME", "~", "*"]),
        ("lavap a\"b\"'c'd", ["lavap", "abcd"]),
        ("lavap 'a\\b'", ["lavap", "a\\b"]),
        ("", []),
        // A combining mark after a quote does not hide the quote (found by FuzzShellWords).
        ("'\u{34A}' '`'", ["\u{34A}", "`"]),
        ("a'\u{301}b'", ["a\u{301}b"]),
    ])
    func splits(_ line: String, _ words: [String]) throws {
        #expect(try ShellWords.split(line) == words)
    }

    @Test func rejectsUnterminatedQuotesAndTrailingBackslash() {
        #expect(throws: ShellWordsError.unterminated(quote: "'", line: "lavap 'a")) { try ShellWords.split("lavap 'a") }
        #expect(throws: ShellWordsError.unterminated(quote: "\"", line: "lavap \"a")) { try ShellWords.split("lavap \"a") }
        #expect(throws: ShellWordsError.trailingBackslash(line: "lavap a\\")) { try ShellWords.split("lavap a\\") }
        #expect(ShellWordsError.unterminated(quote: "'", line: "x 'y").description.contains("unterminated ' quote"))
    }
}

/// Issue 18: `--cmd` is read scalar by scalar, as a shell reads bytes; no word holds a control character.
@Suite struct ShellWordsScalarTests {
    /// The words as arrays of scalars: Swift's `==` on strings would take `"e\u{301}"` for `"é"`.
    static func scalars(_ words: [String]) -> [[Unicode.Scalar]] { words.map { Array($0.unicodeScalars) } }

    @Test(arguments: [
        // A closing quote followed by a combining mark still closes: the mark is the next word's text.
        ("lavap \"a\"\u{301} b", ["lavap", "a\u{301}", "b"]),
        ("lavap 'a'\u{301} b", ["lavap", "a\u{301}", "b"]),
        // An opening quote followed by a combining mark still opens.
        ("lavap \"\u{301}a b\"", ["lavap", "\u{301}a b"]),
        // A backslash followed by a combining mark escapes the mark alone.
        ("lavap a\\\u{301} b", ["lavap", "a\u{301}", "b"]),
        ("lavap \"x\\\"\u{301}\" y", ["lavap", "x\"\u{301}", "y"]),
        // A blank followed by a combining mark still separates.
        ("lavap a \u{301}b", ["lavap", "a", "\u{301}b"]),
        ("lavap a\t\u{301}b", ["lavap", "a", "\u{301}b"]),
        ("lavap 👩‍👩‍👧 '%$'", ["lavap", "👩‍👩‍👧", "%$"]),
        // Unquoted tabs and newlines separate, a backslash before a newline joins.
        ("lavap a\tb\nc \\\nd", ["lavap", "a", "b", "c", "d"]),
    ])
    func quotesAndBackslashesFollowedByCombiningMarksKeepTheirMeaning(_ line: String, _ words: [String]) throws {
        #expect(Self.scalars(try ShellWords.split(line)) == Self.scalars(words))
    }

    @Test(
        arguments: [
            ("lavap a\r\nb", "\r"), ("lavap \"a\r\nb\"", "\r"), ("lavap 'a\nb'", "\n"), ("lavap \"a\tb\"", "\t"), ("lavap a\\\tb", "\t"),
            ("lavap a\u{0}b", "\u{0}"), ("lavap a\u{7F}", "\u{7F}"), ("lavap a\u{85}b", "\u{85}"), ("lavap 'a\u{2028}b'", "\u{2028}"),
            ("lavap a\u{2029}", "\u{2029}"), ("lavap a\u{1B}[31m", "\u{1B}"), ("lavap \"x\"\u{301}\r\nExecStartPre=/bin/true", "\r"),
        ] as [(String, Unicode.Scalar)])
    func aControlCharacterInsideAWordIsRefused(_ line: String, _ control: Unicode.Scalar) {
        #expect(throws: ShellWordsError.controlCharacter(control, line: line)) { try ShellWords.split(line) }
    }

    @Test func theRefusalPrintsTheLineEscapedAndSaysWhatToDo() {
        let message = ShellWordsError.controlCharacter("\r", line: "lavap --node \"x\"\u{301}\r\n--y").description
        #expect(
            message
                == "the command \"lavap --node \\\"x\\\"\u{301}\\r\\n--y\" would pass U+000D, a control or line-break character, inside a word to lavap; remove it from --cmd (only spaces, tabs and newlines outside quotes separate words)"
        )
        #expect(!message.unicodeScalars.contains { ControlCharacters.isControl($0) })
        #expect(ControlCharacters.escaped("a\u{202E}b\u{85}\u{2028}") == "\"a\\u{202E}b\\u{85}\\u{2028}\"")
    }
}
