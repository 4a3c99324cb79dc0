import AttnBenchCore

/// Parses the command line's list and size syntax. Errors carry the flag, the bad value and
/// what would be accepted, so the CLI can print them as they are.
public enum ListParsing {
    /// "512,1k,4k" → [512, 1024, 4096]. `k` multiplies by 1024, `m` by 1024². Every value must
    /// be at least `minimum`.
    public static func integers(_ text: String, flag: String, minimum: Int = 1) throws(InputError) -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        if text.isEmpty || parts.isEmpty {
            throw InputError(source: flag, value: text, expected: "a comma-separated list of integers ≥ \(minimum), e.g. 512,1k,4k")
        }
        var values: [Int] = []
        for part in parts {
            let item = part.trimmingSpaces().lowercased()
            guard let value = integer(item), value >= minimum else {
                throw InputError(source: flag, value: String(part),
                                 expected: "integers ≥ \(minimum), optionally with a k suffix (×1024), e.g. 512,1k,4k")
            }
            values.append(value)
        }
        return values
    }

    static func integer(_ item: String) -> Int? {
        var digits = Substring(item)
        var multiplier = 1
        if digits.hasSuffix("k") { multiplier = 1024; digits = digits.dropLast() }
        else if digits.hasSuffix("m") { multiplier = 1024 * 1024; digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// "512MiB", "2GiB", "1.5GB", "1048576" → bytes. Binary suffixes (KiB, MiB, GiB, TiB) are
    /// powers of 1024, decimal ones (KB, MB, GB, TB) powers of 1000; a bare number is bytes.
    public static func byteCount(_ text: String, flag: String) throws(InputError) -> Int {
        let item = text.trimmingSpaces()
        let units: [(String, Double)] = [
            ("kib", 1024), ("mib", 1024 * 1024), ("gib", 1024 * 1024 * 1024), ("tib", 1024 * 1024 * 1024 * 1024),
            ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12), ("k", 1024), ("m", 1024 * 1024), ("g", 1024 * 1024 * 1024),
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
              value * multiplier < 9e18 else {
            throw InputError(source: flag, value: text, expected: "a positive size such as 512MiB, 2GiB or 1.5GB")
        }
        return Int(value * multiplier)
    }

    /// A comma list of names, each of which must be in `allowed`.
    public static func names(_ text: String, flag: String, allowed: [String]) throws(InputError) -> [String] {
        let parts = text.split(separator: ",").map { $0.trimmingSpaces() }
        if parts.isEmpty { throw InputError(source: flag, value: text, expected: "one or more of \(allowed.joined(separator: ", "))") }
        for part in parts where !allowed.contains(part) {
            throw InputError(source: flag, value: part, expected: "one or more of \(allowed.joined(separator: ", ")) (comma-separated)")
        }
        return parts
    }
}
