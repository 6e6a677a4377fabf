public import Foundation

/// Turns an HTTP answer into a value, with one clear sentence for every way it can be wrong.
public enum JSONAnswer {
    /// Checks the status, then decodes the body as `T`; `what` names the answer in errors.
    public static func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, url: URL, what: String) throws -> T {
        guard (200..<300).contains(response.status) else {
            throw HTTPStatusError(url: url.absoluteString, status: response.status, body: response.body)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch let error as DecodingError {
            throw AnswerError(url: url.absoluteString, problem: "\(what) is not what a Lava node sends: \(summary(of: error))")
        } catch {
            throw AnswerError(url: url.absoluteString, problem: "\(what) cannot be used: \(error)")
        }
    }

    /// A short account of a decoding error: the field path and what was wrong with it.
    public static func summary(of error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "field \(path(context.codingPath + [key])) is missing"
        case .valueNotFound(_, let context): return "field \(path(context.codingPath)) is null"
        case .typeMismatch(let type, let context): return "field \(path(context.codingPath)) is not \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not JSON (or is cut short)" : "field \(path(context.codingPath)) is invalid"
        @unknown default: return "\(error)"
        }
    }
}

/// A node that answered with an HTTP error status.
public struct HTTPStatusError: Error, Sendable, CustomStringConvertible {
    /// The URL asked.
    public let url: String
    /// The status code.
    public let status: Int
    /// The start of the body, for the message.
    public let excerpt: String

    /// Builds the error, keeping at most 200 characters of the body.
    public init(url: String, status: Int, body: [UInt8]) {
        self.url = url
        self.status = status
        let text = String(decoding: body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        excerpt = text.trimmingCharacters(in: .whitespaces)
    }

    /// Whether trying again may help: server errors and rate limits.
    public var isTransient: Bool { status >= 500 || status == 429 }

    public var description: String {
        "\(url) answered HTTP \(status)\(excerpt.isEmpty ? "" : ": \(excerpt)")"
    }
}

/// A node's answer that arrived whole but says something wrong or unexpected.
public struct AnswerError: Error, Sendable, CustomStringConvertible {
    /// The URL asked.
    public let url: String
    /// What is wrong.
    public let problem: String

    /// Builds the error.
    public init(url: String, problem: String) {
        self.url = url
        self.problem = problem
    }

    public var description: String { "\(url): \(problem)" }
}

extension RetryPolicy {
    /// Whether an error of a request is worth another try within one check: a cut connection, a
    /// timed-out answer, a server error or rate limit; never a malformed answer, nor a host that
    /// refuses, cannot be found or did not connect in time (the next check tries again).
    public static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let error as HTTPTransportError: error.isTransient
        case let error as HTTPStatusError: error.isTransient
        default: false
        }
    }
}
