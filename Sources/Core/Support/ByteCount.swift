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
