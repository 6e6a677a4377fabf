/// A strict protocol version `X.Y.Z` (an optional leading `v` is accepted), ordered numerically.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The first component.
    public let major: Int
    /// The second component.
    public let minor: Int
    /// The third component.
    public let patch: Int

    /// Builds a version from its three components, which must not be negative.
    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        precondition(major >= 0 && minor >= 0 && patch >= 0, "version components are never negative")
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `X.Y.Z` or `vX.Y.Z`: three decimal numbers without signs, spaces, suffixes or leading zeros.
    public init(parsing text: String) throws(VersionParseError) {
        var body = Substring(text)
        if body.first == "v" { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw VersionParseError(text: text) }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || part.first != "0", let value = Int(part)
            else { throw VersionParseError(text: text) }
            numbers.append(value)
        }
        self.init(numbers[0], numbers[1], numbers[2])
    }

    /// The version as the chain and `lavap version` write it: `X.Y.Z`.
    public var description: String { "\(major).\(minor).\(patch)" }

    /// The git tag and folder name of this version: `vX.Y.Z`.
    public var tag: String { "v\(description)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A text that is not a strict `X.Y.Z` version.
public struct VersionParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that failed to parse.
    public let text: String

    /// The error for `text`.
    public init(text: String) { self.text = text }

    public var description: String {
        "'\(text)' is not a version: expected X.Y.Z (three whole numbers, optional leading 'v', no suffix)"
    }
}
