#if canImport(Glibc)
    import Glibc
#endif

/// The automatic block rule, for every command and the benchmarks: sizes from the L2 cache
/// (one core's share), so that one step of a blocked kernel works in L2.
///
/// One flash step touches a Bq×Bk score block and a Bk×d key block and value block:
///   Bk = L2 / (16·d)  (K and V blocks: 2·Bk·d·4 bytes = L2/2),
///   Bq = L2 / (4·Bk)  (the score block: Bq·Bk·4 bytes = L2), at most 256 and at most N/4,
/// rounded down to powers of two, Bk in 64…1024, Bq in 32…256. With a 512 KiB L2 that is
/// 256×512 at head_dim 64 and 256×256 at 128. The measurements behind it: 128×512 at head_dim
/// 128 spills a 512 KiB L2 and lost about 10% to 256×256; at head_dim 64, 256 query rows
/// instead of 128 gained about 10% at N = 4096 on two threads (each K and V block is packed by
/// OpenBLAS once per 256 query rows instead of 128); PyTorch's CPU flash kernel makes the same
/// choice (256 × 512 for long queries). At least four query blocks per (batch, head): a short
/// causal problem with one or two blocks would be mostly diagonal triangle. Causal attention
/// uses the same blocks (flash2 processes the causal triangle in 32-row groups). Short queries
/// (decode, ≤ 4 rows) take one query block and 1024-key blocks to stream K and V.
extension BlockSizes {
    /// The L2 size assumed when the system does not report one.
    public static let defaultLevel2CacheBytes = 512 << 10

    /// One core's L2 in bytes as the C library reports it (sysconf), or the default.
    public static let hostLevel2CacheBytes: Int = {
        #if canImport(Glibc)
            let reported = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
            if reported > 0 { return reported }
        #endif
        return defaultLevel2CacheBytes
    }()

    public static func automatic(
        queryLength: Int, keyLength: Int, headDimension: Int,
        level2CacheBytes: Int = hostLevel2CacheBytes
    ) -> BlockSizes {
        let query: Int
        let key: Int
        if queryLength <= 4 {
            (query, key) = (max(1, queryLength), min(1024, max(16, keyLength)))
        } else {
            let l2 = max(64 << 10, level2CacheBytes)
            let keyRows = min(1024, max(64, powerOfTwoAtMost(l2 / (16 * max(1, headDimension)))))
            let queryRows = min(
                256, max(32, powerOfTwoAtMost(l2 / (4 * keyRows))), max(32, powerOfTwoAtMost(queryLength / 4)))
            (query, key) = (min(queryRows, queryLength), min(keyRows, max(16, keyLength)))
        }
        // Both are ≥ 1 for any positive lengths; clamp so that the rule never throws.
        return try! BlockSizes(query: max(1, query), key: max(1, key))
    }

    static func powerOfTwoAtMost(_ n: Int) -> Int {
        n < 1 ? 1 : 1 << (Int.bitWidth - 1 - n.leadingZeroBitCount)
    }
}
