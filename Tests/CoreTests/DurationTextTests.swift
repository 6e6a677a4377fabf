import Core
import Testing

/// The text of duration flags: seconds, or numbers with units.
@Suite struct DurationTextTests {
    @Test(arguments: [
        ("15", 15.0), ("1.5", 1.5), ("0.2", 0.2), ("500ms", 0.5), ("15s", 15), ("2m", 120), ("1h", 3600), ("1h30m", 5400),
        ("1m0.5s", 60.5), (" 30s ", 30), ("-1", -1),
    ])
    func secondsOrUnits(_ text: String, _ seconds: Double) throws {
        #expect(try DurationText.seconds(text) == seconds)
    }

    @Test(arguments: ["", "s", "2 weeks", "15x", "1.2.3s", "1h-", "inf", "nan", "1e999s", "5min"])
    func anythingElseSaysHowToWriteIt(_ text: String) {
        #expect(throws: DurationTextError(text: text)) { try DurationText.seconds(text) }
    }

    @Test func defaultsAreShownWithTheirUnit() {
        #expect(Duration.seconds(15).flagText == "15s")
        #expect(Duration.seconds(300).flagText == "5m")
        #expect(Duration.seconds(3600).flagText == "1h")
        #expect(Duration.seconds(90).flagText == "90s")
        #expect(Duration.milliseconds(500).flagText == "0.5s")
    }
}
