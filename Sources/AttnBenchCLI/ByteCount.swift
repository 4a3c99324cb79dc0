/// Sizes on the command line.
public enum ByteCount {
    /// "512MiB", "2GiB", "1.5GB", "1048576" → bytes. Binary suffixes (KiB, MiB, GiB, TiB) are
    /// powers of 1024, decimal ones (KB, MB, GB, TB) powers of 1000; a bare number is bytes.
    public static func byteCount(_ text: String) -> Int? {
        let item = text.trimmingSpaces()
        let units: [(String, Double)] = [
            ("kib", 1024), ("mib", 1024 * 1024), ("gib", 1024 * 1024 * 1024), ("tib", 1024 * 1024 * 1024 * 1024),
            ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12), ("k", 1024), ("m", 1024 * 1024),
            ("g", 1024 * 1024 * 1024),
            ("b", 1),
        ]
        let lower = item.lowercased()
        var number = Substring(lower)
        var multiplier = 1.0
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            multiplier = factor
            break
        }
        guard let value = Double(number.trimmingSpaces()), value.isFinite, value > 0, value * multiplier >= 1,
            value * multiplier < 9e18
        else {
            return nil
        }
        return Int(value * multiplier)
    }
}
