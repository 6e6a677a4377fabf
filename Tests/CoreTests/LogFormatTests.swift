import Foundation
import Logging
import Synchronization
import Testing

@testable import Core

@Suite struct LogFormatTests {
    @Test func textLinesCarryTheirTimeUnlessJournaldStampsThem() {
        #expect(LavavisorLogHandler.timestamp(Date(timeIntervalSince1970: 1_796_542_290.1234)) == "2026-12-06T07:31:30.123Z")
        #expect(LavavisorLogHandler.timestamp(Date(timeIntervalSince1970: 0.9999)) == "1970-01-01T00:00:00.999Z")
        let lines = Mutex<[String]>([])
        for (journal, timestamps) in [(false, true), (true, true), (false, false)] {
            var handler = LavavisorLogHandler(format: .text, journalPriorities: journal, timestamps: timestamps) { line in
                lines.withLock { $0.append(line) }
            }
            handler.logLevel = .info
            Logger(label: "t") { _ in handler }.info("hello")
        }
        let logged = lines.withLock { $0 }
        #expect(logged.count == 3)
        #expect(logged[0].wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INF \[Lavavisor\] hello/) != nil, "\(logged)")
        #expect(logged[1] == "<6>INF [Lavavisor] hello", "journald stamps the line itself")
        #expect(logged[2] == "INF [Lavavisor] hello")
    }

    @Test func textIsOneLineWithLevelTagAndSortedPairs() {
        let line = LavavisorLogHandler.render(
            level: .warning, message: "switched\ncurrent", metadata: ["to": "1.1.0", "from": "1.0.0 old"], format: .text)
        #expect(line == "WRN [Lavavisor] switched\\ncurrent from=\"1.0.0 old\" to=1.1.0")
    }

    /// A chain id of `evil\r\nINF … installed 9.9.9\e[2K` forged a log line and erased the real one on a terminal.
    @Test func whatTheNodeSendsCannotForgeALineOrDriveTheTerminal() {
        let hostile = "evil\r\nINF [Lavavisor] installed 9.9.9\u{1B}[2K\u{85}\u{2028}\u{202E}\u{7F}"
        for line in [
            LavavisorLogHandler.render(level: .error, message: "the node is on chain \(hostile)", metadata: [:], format: .text),
            LavavisorLogHandler.render(level: .error, message: "refused", metadata: ["chain": "\(hostile)"], format: .text),
            LavavisorLogHandler.render(level: .error, message: "refused", metadata: ["chain": "a\u{1B}[2Kb"], format: .text),
        ] {
            #expect(
                !line.unicodeScalars.contains {
                    $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || [0x2028, 0x202E].contains($0.value)
                }, "\(line.debugDescription)")
        }
        let message = LavavisorLogHandler.render(level: .error, message: "chain \(hostile)", metadata: [:], format: .text)
        #expect(message == #"ERR [Lavavisor] chain evil\r\nINF [Lavavisor] installed 9.9.9\u{1B}[2K\u{85}\u{2028}\u{202E}\u{7F}"#)
        let pair = LavavisorLogHandler.render(level: .error, message: "m", metadata: ["chain": "a\u{1B}[2Kb"], format: .text)
        #expect(pair == #"ERR [Lavavisor] m chain="a\u{1B}[2Kb""#)
        #expect(ControlCharacters.escapedInLine("line one\nline\u{1B} two", keepingNewlines: true) == "line one\nline\\u{1B} two")
    }

    @Test func jsonIsOneObjectPerLine() throws {
        let line = LavavisorLogHandler.render(level: .error, message: "bad \"file\"", metadata: ["path": "/a b"], format: .json)
        #expect(!line.contains("\n"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "error")
        #expect(object["message"] == "bad \"file\"")
        #expect(object["path"] == "/a b")
        #expect(object["time"] != nil)
    }

    @Test func secretsAreRedacted() {
        let secret = Secret("hunter2")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        #expect(secret.withBytes { Array($0) } == Array("hunter2".utf8))
    }

    /// No core file holds the keyring password: its pages are left out of dumps (the `dd` flag
    /// of its mapping in /proc/self/smaps), and the process is not dumpable once it was made.
    @Test func aSecretIsKeptOutOfCoreFiles() throws {
        var secret: Secret? = Secret("hunter2")
        #expect(!CoreDumps.processIsDumpable)
        let address = try #require(secret?.address)
        // Read to the end: /proc files have no size, and a one-shot read stops after a page.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var flags: String?
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let start = UInt(line[..<dash], radix: 16),
                let end = UInt(line[line.index(after: dash)...].prefix { $0 != " " }, radix: 16)
            {
                inMapping = (start..<end).contains(address)
            } else if inMapping, line.hasPrefix("VmFlags:") {
                flags = String(line)
            }
        }
        let vmFlags = try #require(flags, "no mapping of /proc/self/smaps holds the secret's address")
        #expect(vmFlags.split(separator: " ").contains("dd"), "\(vmFlags)")
        secret = nil
        _ = secret
    }

    @Test func aWipedSecretIsZeroesInMemoryAndEmpty() {
        let secret = Secret(copying: Array("hunter2".utf8))
        #expect(!secret.memoryIsZeroed)
        #expect(secret.count == 7)
        secret.wipe()
        #expect(secret.memoryIsZeroed)
        #expect(secret.isWiped)
        #expect(secret.count == 0)
        #expect(secret.withBytes { Array($0) }.isEmpty)
    }
}
