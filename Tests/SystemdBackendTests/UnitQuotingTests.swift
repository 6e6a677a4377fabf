import Core
import Foundation
import SystemdBackend
import TestSupport
import Testing

/// Issue 18: no value reaches a unit file as anything but the one word or setting it was meant to
/// be. Checked with systemd's own parser and with `SystemdExecParser`, which reads the file back as
/// systemd does, scalar by scalar. One verify at a time, as in `ServiceUnitTests`.
@Suite(.serialized) struct UnitQuotingTests {
    /// The words as arrays of scalars: Swift's `==` on strings would take `"e\u{301}"` for `"é"`.
    static func scalars(_ words: [String]) -> [[Unicode.Scalar]] { words.map { Array($0.unicodeScalars) } }

    /// A unit running `command`, with fixed settings around it.
    static func unit(_ command: [String], workingDirectory: String = "/srv") -> ServiceUnit {
        ServiceUnit(
            description: "d", command: command, workingDirectory: workingDirectory, user: "root", keyringPasswordFile: nil,
            hasRestartSteps: false, wantedBy: "multi-user.target", stopTimeoutSeconds: 30)
    }

    /// The keys every unit of `unit(_:)` has, in order: an injected line adds one.
    static let keys = [
        "[Unit]", "Description", "Wants", "After", "StartLimitIntervalSec", "StartLimitBurst", "[Service]", "Type", "ExecStart",
        "WorkingDirectory", "User", "Restart", "RestartSec", "KillSignal", "TimeoutStopSec", "LimitNOFILE", "[Install]", "WantedBy",
    ]

    /// Words whose quote or backslash is followed by a combining mark (one `Character` in Swift, not for systemd).
    static let combining = [
        "x\"\u{301}", "\"\u{301}", "\u{301}\"", "a\\\u{301}", "\\\u{301}\"\u{301}", "'\u{301}", "%\u{301}", "$\u{301}HOME",
        "e\u{301}", "👩‍👩‍👧", "\u{301}", "a b\u{301}", "\\\"\u{301}\\",
    ]

    @Test func aQuoteOrBackslashFollowedByACombiningMarkIsStillEscaped() async throws {
        let temp = try TemporaryDirectory()
        let words = ["/bin/true"] + Self.combining
        let text = try Self.unit(words).render()
        #expect(Self.scalars(try SystemdExecParser.execStart(ofUnit: text)) == Self.scalars(words))
        #expect(try SystemdExecParser.settings(ofUnit: text).map(\.key) == Self.keys)
        let verified = try await SystemdAnalyze.verify(try temp.write(text, to: "combining.service"))
        #expect(verified.problems.isEmpty, "\(verified.problems)")
        // systemd turns `$$` into `$` only when it runs the command: its parsed line still has them doubled.
        let expected =
            [words[0]]
            + words.dropFirst().map { word in
                String(String.UnicodeScalarView(word.unicodeScalars.flatMap { $0 == "$" ? ["$", "$"] : [$0] }))
            }
        #expect(Self.scalars(verified.commandLine) == Self.scalars(expected), "\(verified.commandLine)")
    }

    /// Every control and line-break character systemd or a reader of lines could take for an end of line.
    static let controls: [Unicode.Scalar] = [
        "\r", "\n", "\u{0}", "\u{B}", "\u{C}", "\u{1B}", "\u{7F}", "\u{85}", "\u{9B}", "\u{2028}", "\u{2029}",
    ]

    @Test(arguments: controls)
    func aControlCharacterInAnArgumentIsRefusedNamingItsFlag(_ control: Unicode.Scalar) {
        let node = "http://x\"\u{301}" + String(Character(control)) + "ExecStartPre=/usr/bin/touch /tmp/PWNED"
        let error = #expect(throws: UnitValueError.self) {
            try Self.unit(["/x/lavap", "rpcprovider", "--node", node]).render()
        }
        let name = ControlCharacters.name(control)
        #expect(
            error?.description
                == "the value of --node \(ControlCharacters.escaped(node)) cannot be written in a systemd unit: it holds \(name), a control or line-break character, which could end the line and add a setting; give the value without it"
        )
        #expect(error?.description.unicodeScalars.contains { ControlCharacters.isControl($0) } == false)
        // Whole-line settings refuse it too, a tab included (systemd would strip or keep it unescaped).
        for value in [node, "/srv/a\tb"] {
            #expect(throws: UnitValueError.self) { try Self.unit(["/x/lavap"], workingDirectory: value).render() }
        }
        #expect(throws: UnitValueError.self) { try Self.unit(["/x/lav\(Character(control))ap"]).render() }
    }

    @Test func aTabInAnArgumentIsWrittenAsAnEscape() throws {
        let text = try Self.unit(["/x/lavap", "a\tb", "\t"]).render()
        #expect(text.contains(#" "a\tb" "\t""#))
        #expect(try SystemdExecParser.execStart(ofUnit: text) == ["/x/lavap", "a\tb", "\t"])
    }

    @Test func generatedWordsReadBackAsWrittenOrAreRefused() throws {
        // Scalars that mean something to systemd, to a reader of lines, or to Swift's grapheme breaking.
        let alphabet: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\t", "\"", "'", "\\", "%", "$", "{", "}", ";", "#", "=", "[", "]", "@", "-", "+", "!", ":", "é",
            "\u{301}", "\u{308}", "\u{200D}", "\u{FE0F}", "\u{1F469}", "\u{1F1FA}", "\u{1F1F8}", "\u{202E}", "\r", "\n", "\u{0}",
            "\u{7F}", "\u{85}", "\u{2028}", "\u{2029}", "\u{1B}",
        ]
        var random = SplitMix64(seed: 18)
        var refused = 0
        for _ in 0..<3000 {
            let words =
                ["/x/lavap"]
                + (0..<Int.random(in: 1...4, using: &random)).map { _ in
                    var word = String.UnicodeScalarView()
                    for _ in 0..<Int.random(in: 0...8, using: &random) { word.append(alphabet.randomElement(using: &random)!) }
                    return String(word)
                }
            let hasControl = words.contains { ControlCharacters.first(in: $0, allowing: ["\t"]) != nil }
            let text: String
            do { text = try Self.unit(words).render() } catch {
                #expect(hasControl, "refused without a control character: \(words.map(ControlCharacters.escaped)): \(error)")
                refused += 1
                continue
            }
            #expect(!hasControl, "written with a control character: \(words.map(ControlCharacters.escaped))")
            #expect(try SystemdExecParser.settings(ofUnit: text).map(\.key) == Self.keys, "\(words.map(ControlCharacters.escaped))")
            #expect(
                Self.scalars(try SystemdExecParser.execStart(ofUnit: text)) == Self.scalars(words),
                "\(words.map(ControlCharacters.escaped))")
        }
        #expect(refused > 100 && refused < 2900, "\(refused) of 3000 refused: the generator should give both kinds")
    }

    @Test func theParserReadsLinesAsSystemdDoes() throws {
        #expect(SystemdExecParser.lines("a\r\nb\rc\nd\u{0}e\u{85}f") == ["a", "b", "c", "d", "e\u{85}f"])
        #expect(try SystemdExecParser.words(ofExecStart: #""/x" a\x41 'b c'"d"\s %% $$"#) == ["/x", "aA", "b cd ", "%", "$"])
        #expect(throws: SystemdExecParser.Failure.self) { try SystemdExecParser.words(ofExecStart: "/x $HOME") }
        #expect(throws: SystemdExecParser.Failure.self) { try SystemdExecParser.words(ofExecStart: "/x %h") }
        #expect(throws: SystemdExecParser.Failure.self) { try SystemdExecParser.words(ofExecStart: "/x ; /y") }
        #expect(throws: SystemdExecParser.Failure.self) { try SystemdExecParser.words(ofExecStart: "-/x") }
        let continued = try SystemdExecParser.settings(ofUnit: "A=1 \\\n# comment\n2\nB=x\\\\\nC=3\n")
        #expect(continued.map(\.key) == ["A", "B", "C"] && continued.first?.value == "1  2" && continued[1].value == "x\\\\")
    }
}

/// A small seeded generator, so a failing case can be found again.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
