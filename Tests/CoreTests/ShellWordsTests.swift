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
