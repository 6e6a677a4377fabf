import Core
import Foundation
import Testing

/// Failed file operations are told in the system's words, never as Foundation's "The operation
/// could not be completed".
@Suite struct SystemErrorTests {
    @Test func foundationsFileErrorsAreToldByTheirPOSIXReason() throws {
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/file")
        let reading = #expect(throws: (any Error).self) { _ = try String(contentsOf: missing, encoding: .utf8) }
        #expect(reading.map(SystemError.reason) == "No such file or directory")
        let listing = #expect(throws: (any Error).self) {
            _ = try FileManager.default.contentsOfDirectory(atPath: missing.deletingLastPathComponent().path)
        }
        #expect(listing.map(SystemError.reason) == "No such file or directory")
        // A directory where a file is to be written.
        let writing = #expect(throws: (any Error).self) { try Data("x".utf8).write(to: URL(fileURLWithPath: "/")) }
        let reason = writing.map(SystemError.reason) ?? ""
        #expect(!reason.contains("could not be completed") && !reason.isEmpty, "\(reason)")
        #expect(SystemError.reason(of: POSIXError(.EACCES)) == "Permission denied")
    }
}
