import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// lavavisor's resident memory once it runs steadily.
///
/// Most of a running lavavisor's resident set is code and read-only data mapped from files: its
/// executable and the Swift runtime, Foundation and C libraries. The dynamic loader's relocations,
/// static initialisers and start-up paths touch far more of them than the steady loop of checks
/// and waits uses again. Once supervision runs, `releaseStartupPages()` asks the kernel to take
/// those clean, file-backed pages back (`MADV_PAGEOUT`; pages other processes map too are left
/// alone by the kernel). The kernel may drop them from the page cache: a page used again is read
/// back from the file, alone (`MADV_RANDOM`: no fault-around of its neighbours). Nothing written
/// is dropped: writable and anonymous memory is left alone.
///
/// Only the `lavavisor` executable calls it, once lavap runs and after each restart: in a process
/// that does other work (the test runner, say) every thread would fault its code back from disk.
public enum Footprint {
    /// `MADV_PAGEOUT` of `<linux/mman.h>` (Linux 5.4); older kernels answer EINVAL and nothing changes.
    private static let pageOut: Int32 = 21

    /// Releases the clean pages of the files lavavisor maps read-only; returns how many mappings were advised.
    @discardableResult
    public static func releaseStartupPages() -> Int {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return 0 }
        var advised = 0
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // address perms offset device inode path
            guard fields.count >= 6, fields[5].hasPrefix("/"), !fields[1].contains("w") else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt(String($0), radix: 16) }
            guard bounds.count == 2, bounds[1] > bounds[0], let start = UnsafeMutableRawPointer(bitPattern: bounds[0]) else { continue }
            // Random access from now on: a page used again comes back alone, not with its neighbours.
            madvise(start, Int(bounds[1] - bounds[0]), MADV_RANDOM)
            if madvise(start, Int(bounds[1] - bounds[0]), pageOut) == 0 { advised += 1 }
        }
        return advised
    }
}
