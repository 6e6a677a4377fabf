import Core
import Foundation

/// What `status` and `versions` print: text for people, or with `--json` one JSON document for scripts.
protocol Report: Encodable {
    /// The text for people.
    var text: String { get }
}

extension Report {
    /// Prints the report as text, or as one JSON document (sorted keys, ISO 8601 dates).
    func print(json: Bool) throws {
        guard json else {
            // Values from the node (a chain id, an error text) cannot forge a line or drive the terminal.
            Swift.print(ControlCharacters.escapedInLine(text, keepingNewlines: true))
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        Swift.print(String(decoding: try encoder.encode(self), as: UTF8.self))
    }
}
