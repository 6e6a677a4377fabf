import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A secret (the keyring password) that never prints and whose memory is zeroed when it is wiped
/// or freed: its description is always redacted, and its bytes live in one buffer of their own,
/// not in a Swift array or string that could be copied around and outlive it.
///
/// That buffer is pages of its own marked `MADV_DONTDUMP` (left out of any core file) and locked
/// in memory where the limit allows (never written to swap), and once a secret was held the process
/// is not dumpable at all (`CoreDumps`).
public final class Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The bytes; read and zeroed only under `wiped`'s lock.
    private nonisolated(unsafe) let buffer: UnsafeMutableRawBufferPointer
    private let length: Int
    private let mapped: Bool
    private let wiped = Mutex(false)

    /// Wraps `text` (tests, and prompts whose bytes are already in a string).
    public convenience init(_ text: String) {
        var copy = Array(text.utf8)
        self.init(copying: copy)
        Self.zero(&copy)
    }

    /// Copies `bytes`; the caller zeroes its own copy (`Secret.zero(_:)`).
    public init(copying bytes: some Collection<UInt8>) {
        CoreDumps.forbid()
        let page = max(1, sysconf(Int32(_SC_PAGESIZE)))
        let size = (max(bytes.count, 1) + page - 1) / page * page
        let pages = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let pages, pages != MAP_FAILED {
            _ = madvise(pages, size, MADV_DONTDUMP)
            _ = mlock(pages, size)  // best effort: RLIMIT_MEMLOCK may refuse it
            buffer = UnsafeMutableRawBufferPointer(start: pages, count: size)
            mapped = true
        } else {
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
            mapped = false
        }
        length = bytes.count
        buffer.copyBytes(from: bytes)
    }

    deinit {
        wipe()
        if mapped {
            _ = munlock(buffer.baseAddress, buffer.count)
            _ = munmap(buffer.baseAddress, buffer.count)
        } else {
            buffer.deallocate()
        }
    }

    /// The address of the bytes, for tests that check the mapping's flags in `/proc/self/smaps`.
    public var address: UInt { UInt(bitPattern: buffer.baseAddress) }

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
