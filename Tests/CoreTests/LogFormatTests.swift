import Core
import Foundation
import Testing

@Suite struct LogFormatTests {
    @Test func textIsOneLineWithLevelTagAndSortedPairs() {
        let line = LavavisorLogHandler.render(
            level: .warning, message: "switched\ncurrent", metadata: ["to": "1.1.0", "from": "1.0.0 old"], format: .text)
        #expect(line == "WRN [Lavavisor] switched current from=\"1.0.0 old\" to=1.1.0")
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
