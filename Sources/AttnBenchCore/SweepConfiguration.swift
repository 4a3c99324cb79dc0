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

/// Block sizes chosen by `--block-size auto`, from measurements on the development machine
/// (README, "Block sizes"): 128 query rows × 512 keys kept flash2 within 85–100% of the sgemm
/// ceiling at head_dim 64 and 128, 1 and 2 threads, N ≥ 2048, where 64 × 256 (a score block
/// that fits L2 with room to spare) lost 5–20%: OpenBLAS's small-GEMM overhead (packing one K
/// block per call) outweighs the cache misses of a score block slightly larger than L2.
/// Causal attention uses the same blocks: flash2 splits a chunk that crosses the diagonal into
/// 32-row groups, so the partly masked scores cost a 32-row group, not a 128-row block.
/// Short queries (decode, ≤ 4 rows) take one query block and 1024-key blocks to stream K and V.
public enum AutomaticBlockSizes {
    public static func choose(variant: AttentionVariant, queryLength: Int, keyLength: Int, headDimension: Int,
                              causal: Bool = false) -> (query: Int, key: Int) {
        if queryLength <= 4 {
            return (max(1, queryLength), min(1024, max(16, keyLength)))
        }
        return (min(128, queryLength), min(512, max(16, keyLength)))
    }
}
