import Foundation

/// Sizes for people, in decimal units as the download progress writes them: `812 B`, `4.1 kB`, `73.2 MB`.
public enum ByteCount {
    /// `bytes` with one decimal in the largest unit below it.
    public static func text(_ bytes: Int64) -> String {
        let units = ["kB", "MB", "GB", "TB"]
        guard bytes >= 1000 else { return "\(bytes) B" }
        var value = Double(bytes) / 1000
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return "\((value * 10).rounded() / 10) \(units[unit])"
    }
}

extension ByteCount {
    /// The units `parse` accepts: decimal (`kB`, `MB`, `GB`) and binary (`KiB`, `MiB`, `GiB`).
    static let units: [(suffix: String, factor: Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("kB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
    ]

    /// A size written as a whole number of bytes or with a unit (`512MiB`, `1 GB`); nil when it
    /// is none of these, negative, or too large.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            guard let value = Int(number), value >= 0 else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        }
        guard let value = Int(trimmed), value >= 0 else { return nil }
        return value
    }
}
