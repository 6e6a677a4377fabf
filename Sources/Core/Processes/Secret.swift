/// A secret (the keyring password) that never prints: its description is always redacted.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret's bytes; hand them only to the process that needs them.
    public let bytes: [UInt8]

    /// Wraps `text`.
    public init(_ text: String) { bytes = Array(text.utf8) }

    /// Wraps `bytes`.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
