#if canImport(Glibc)
    import Glibc
#endif

/// The widest float vector this CPU executes, in bits: 512 with AVX-512, 256 with AVX2 and
/// FMA, else 128 (SSE; NEON on arm64). Release builds target the CPU they are built on, so
/// this is also the width the compiler used for SIMD16/SIMD8 types.
public enum VectorWidth {
    public static let hostBits: Int = {
        #if arch(x86_64)
            guard let flags = cpuFlags() else { return 128 }
            if flags.contains("avx512f") { return 512 }
            if flags.contains("avx2") && flags.contains("fma") { return 256 }
            return 128
        #else
            return 128
        #endif
    }()

    /// Float lanes per vector at `hostBits`.
    public static var hostLanes: Int { hostBits / 32 }

    /// The `flags` line of /proc/cpuinfo, split.
    static func cpuFlags() -> Set<Substring>? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            if text.hasPrefix("flags") {
                return Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }))
            }
        }
        return nil
    }
}
