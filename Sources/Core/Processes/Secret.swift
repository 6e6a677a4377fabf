import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A secret (the keyring password) that never prints and whose memory is zeroed when it is wiped
/// or freed: its description is always redacted, and its bytes live in one buffer of their own,
/// not in a Swift array or string that could be copied around and outlive it.
public final class Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The bytes; read and zeroed only under `wiped`'s lock.
    private nonisolated(unsafe) let buffer: UnsafeMutableRawBufferPointer
    private let length: Int
    private let wiped = Mutex(false)

    /// Wraps `text` (tests, and prompts whose bytes are already in a string).
    public convenience init(_ text: String) {
        var copy = Array(text.utf8)
        self.init(copying: copy)
        Self.zero(&copy)
    }

    /// Copies `bytes`; the caller zeroes its own copy (`Secret.zero(_:)`).
    public init(copying bytes: some Collection<UInt8>) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        length = bytes.count
        buffer.copyBytes(from: bytes)
    }

    deinit {
        wipe()
        buffer.deallocate()
    }

    /// Calls `body` with the secret's bytes (none once wiped); `body` must not keep them.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try wiped.withLock { wiped in
            try body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: wiped ? 0 : length))
        }
    }

    /// Zeroes the bytes; the secret is empty from then on. lavavisor wipes the keyring password
    /// before it exits.
    public func wipe() {
        wiped.withLock { wiped in
            if let base = buffer.baseAddress { explicit_bzero(base, buffer.count) }
            wiped = true
        }
    }

    /// Whether `wipe()` ran.
    public var isWiped: Bool { wiped.withLock { $0 } }

    /// Whether the memory that held the bytes is all zeroes (after `wipe()`); for tests.
    public var memoryIsZeroed: Bool {
        wiped.withLock { _ in UnsafeRawBufferPointer(buffer).allSatisfy { $0 == 0 } }
    }

    /// The number of bytes (0 once wiped).
    public var count: Int { withBytes(\.count) }

    /// Zeroes an array's bytes in place, for the temporary copies a secret is read through.
    public static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { explicit_bzero(base, buffer.count) }
        }
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
