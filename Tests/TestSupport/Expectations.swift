public import Testing

/// Runs `body`, which must throw an error whose description contains `message`.
public func expectError(
    containing message: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected an error containing '\(message)'", sourceLocation: sourceLocation)
    } catch {
        #expect("\(error)".contains(message), "\(error)", sourceLocation: sourceLocation)
    }
}
