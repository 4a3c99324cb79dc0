import AttentionKernels

/// One point of a sweep: a variant on one shape with one block choice, thread count and
/// OpenBLAS core. It becomes one CSV row.
public struct SweepConfiguration: Sendable, Codable, Hashable {
    /// Query lengths up to this are decode shapes: `decode` applies, and memory bandwidth is the
    /// roofline.
    public static let decodeMaximumQueryLength = 16

    public var variant: AttentionVariant
    public var batch: Int
    public var heads: Int
    public var queryLength: Int
    public var keyLength: Int
    public var headDimension: Int
    /// nil for naive (no blocks).
    public var queryBlockSize: Int?
    public var keyBlockSize: Int?
    /// True when the blocks were chosen by `--block-size auto`.
    public var blocksAutomatic: Bool
    public var causal: Bool
    public var threads: Int
    /// "env" (whatever the environment selects) or an OpenBLAS core name for OPENBLAS_CORETYPE.
    public var blasCore: String
    /// naive only: a fixed parallel strategy, or nil for the automatic rule.
    public var naiveStrategy: NaiveAttention.Strategy?

    public init(variant: AttentionVariant, batch: Int, heads: Int, queryLength: Int, keyLength: Int, headDimension: Int,
                queryBlockSize: Int?, keyBlockSize: Int?, blocksAutomatic: Bool = false, causal: Bool, threads: Int,
                blasCore: String = "env", naiveStrategy: NaiveAttention.Strategy? = nil) {
        self.variant = variant
        self.batch = batch
        self.heads = heads
        self.queryLength = queryLength
        self.keyLength = keyLength
        self.headDimension = headDimension
        self.queryBlockSize = variant.isBlocked ? queryBlockSize : nil
        self.keyBlockSize = variant.isBlocked ? keyBlockSize : nil
        self.blocksAutomatic = variant.isBlocked ? blocksAutomatic : false
        self.causal = causal
        self.threads = threads
        self.blasCore = blasCore
        self.naiveStrategy = variant == .naive ? naiveStrategy : nil
    }

    public func problem() throws(AttentionProblemError) -> AttentionProblem {
        try AttentionProblem(batch: batch, heads: heads, queryLength: queryLength, keyLength: keyLength,
                             headDimension: headDimension, causal: causal)
    }

    public func kernel() -> any AttentionKernel {
        if variant == .naive { return NaiveAttention(strategy: naiveStrategy) }
        // Every blocked variant carries its block sizes (validated ≥ 1 when parsed).
        return variant.makeKernel(blockSizes: try! BlockSizes(query: queryBlockSize ?? 1, key: keyBlockSize ?? 1))
    }

    /// A short human label for progress lines.
    public var label: String {
        var s = "\(variant.rawValue) B=\(batch) H=\(heads)"
        if keyLength > 0 { s += " Sq=\(queryLength) Skv=\(keyLength)" }
        s += " d=\(headDimension)"
        if let bq = queryBlockSize, let bk = keyBlockSize { s += " blocks=\(bq)x\(bk)\(blocksAutomatic ? "(auto)" : "")" }
        s += " causal=\(causal ? "on" : "off") threads=\(threads)"
        if blasCore != "env" { s += " core=\(blasCore)" }
        if let naiveStrategy { s += " strategy=\(naiveStrategy.rawValue)" }
        return s
    }
}

/// Block sizes chosen by `--block-size auto`, from the L2 cache size (one core's share).
/// One flash step touches a Bq×Bk score block and a Bk×d key block and value block:
///   Bk = L2 / (16·d)  (K and V blocks: 2·Bk·d·4 bytes = L2/2),
///   Bq = L2 / (4·Bk)  (the score block: Bq·Bk·4 bytes = L2), at most 256 and at most N/4,
/// rounded down to powers of two, Bk in 64…1024, Bq in 32…256. With this machine's 512 KiB L2:
/// 256×512 at head_dim 64, 256×256 at 128. Measured (README, "Performance against the
/// targets"): 128×512 at head_dim 128 spills L2 and lost about 10% to 256×256; at head_dim 64,
/// 256 query rows instead of 128 gained about 10% at N = 4096 on two threads (each K and V block
/// is packed by OpenBLAS once per 256 query rows instead of 128) and was even elsewhere, within
/// noise; PyTorch's CPU flash kernel makes the same choice (256 × 512 for long queries).
/// Causal attention uses the same blocks: flash2 processes the causal triangle in 32-row groups.
/// Short queries (decode, ≤ 4 rows) take one query block and 1024-key blocks to stream K and V.
public enum AutomaticBlockSizes {
    /// The L2 size assumed when the system does not report one.
    public static let defaultLevel2CacheBytes = 512 << 10

    public static func choose(variant: AttentionVariant, queryLength: Int, keyLength: Int, headDimension: Int,
                              causal: Bool = false, level2CacheBytes: Int = defaultLevel2CacheBytes) -> (query: Int, key: Int) {
        if queryLength <= 4 {
            return (max(1, queryLength), min(1024, max(16, keyLength)))
        }
        let l2 = max(64 << 10, level2CacheBytes)
        let key = min(1024, max(64, powerOfTwoAtMost(l2 / (16 * max(1, headDimension)))))
        // At least four query blocks per (batch, head): a short causal problem with one or two
        // blocks would be mostly diagonal triangle (N = 512 causal: 0.67 of the roofline with
        // 128 rows, 0.61–0.63 with 256).
        let query = min(256, max(32, powerOfTwoAtMost(l2 / (4 * key))), max(32, powerOfTwoAtMost(queryLength / 4)))
        return (min(query, queryLength), min(key, max(16, keyLength)))
    }

    static func powerOfTwoAtMost(_ n: Int) -> Int {
        n < 1 ? 1 : 1 << (Int.bitWidth - 1 - n.leadingZeroBitCount)
    }
}
