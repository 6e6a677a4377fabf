public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The client side of a wrapper's control socket (`lavavisor ctl`, `lavavisor status`).
public enum ControlClient {
    /// Asks the wrapper at `path` and returns its answer; throws when it cannot be reached or does
    /// not answer within `timeout`. Runs on a thread of its own.
    public static func ask(_ request: ControlRequest, at path: URL, timeout: Duration) async throws -> ControlAnswer {
        try await onThread { try askNow(request, at: path, timeout: timeout) }
    }

    /// Whether nobody listens at `path` any more: the lavavisor that made it is gone.
    public static func isStale(_ path: URL) -> Bool {
        do {
            close(try UnixSocket.connect(to: path.path))
            return false
        } catch {
            return error.code == ECONNREFUSED
        }
    }

    /// Whether nobody listens at `path`, found from a thread of its own.
    public static func isStale(_ path: URL) async -> Bool {
        (try? await onThread { isStale(path) }) ?? false
    }

    private static func askNow(_ request: ControlRequest, at path: URL, timeout: Duration) throws -> ControlAnswer {
        let fd = try UnixSocket.connect(to: path.path)
        defer { close(fd) }
        UnixSocket.setSendTimeout(fd, .seconds(5))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A wrapper that refuses this client (another user, too many clients) answers and closes at
        // once, maybe before the request is written: its answer is read all the same.
        let sent = UnixSocket.writeAll(fd, try encoder.encode(request) + Data("\n".utf8))
        let unsent = sent ? nil : SystemError("sending the request to \(path.path)")
        switch UnixSocket.readLine(fd, limit: ControlLimits.answerBytes, timeout: sent ? timeout : .seconds(1), what: "answer") {
        case .failure(let error):
            if let unsent { throw unsent }
            throw ControlError("no answer from \(path.path): \(error)")
        case .success(nil):
            if let unsent { throw unsent }
            throw ControlError("the lavavisor at \(path.path) closed the connection without an answer")
        case .success(let line?):
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            guard let answer = try? decoder.decode(ControlAnswer.self, from: line) else {
                throw ControlError("the lavavisor at \(path.path) answered something that is not a control answer")
            }
            return answer
        }
    }

    /// Runs the blocking `body` on a thread of its own.
    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detach(name: "lavavisor-control-client", stackSize: 256 * 1024) { continuation.resume(with: Result { try body() }) }
        }
    }
}
