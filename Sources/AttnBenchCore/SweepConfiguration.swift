import AttentionKernels

/// One point of a sweep: a variant on one shape with one block choice, thread count and
/// OpenBLAS core. It becomes one CSV row.
public struct SweepConfiguration: Sendable, Codable, Hashable {
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

    public init(variant: AttentionVariant, batch: Int, heads: Int, queryLength: Int, keyLength: Int, headDimension: Int,
                queryBlockSize: Int?, keyBlockSize: Int?, blocksAutomatic: Bool = false, causal: Bool, threads: Int,
                blasCore: String = "env") {
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
    }

    public func problem() throws(AttentionProblemError) -> AttentionProblem {
        try AttentionProblem(batch: batch, heads: heads, queryLength: queryLength, keyLength: keyLength,
                             headDimension: headDimension, causal: causal)
    }

    public func kernel() -> any AttentionKernel {
        // Naive ignores blocks; 1 is a placeholder that always validates.
        variant.makeKernel(blockSizes: try! BlockSizes(query: queryBlockSize ?? 1, key: keyBlockSize ?? 1))
    }

    /// A short human label for progress lines.
    public var label: String {
        var s = "\(variant.rawValue) B=\(batch) H=\(heads)"
        if keyLength > 0 { s += " Sq=\(queryLength) Skv=\(keyLength)" }
        s += " d=\(headDimension)"
        if let bq = queryBlockSize, let bk = keyBlockSize { s += " blocks=\(bq)x\(bk)\(blocksAutomatic ? "(auto)" : "")" }
        s += " causal=\(causal ? "on" : "off") threads=\(threads)"
        if blasCore != "env" { s += " core=\(blasCore)" }
        return s
    }
}

/// Block sizes chosen by `--block-size auto`: the score block (Bq × Bk floats) and the K/V
/// block (2 · Bk · d floats) should sit in L2 together with the query block, the rule PyTorch
/// and MLAS use. Query blocks of 64 rows keep the output block small; Bk is the largest power
/// of two ≤ 512 that fits. For one-row queries (decode) Bq = 1 and Bk grows to 1024 to stream.
public enum AutomaticBlockSizes {
    public static func choose(variant: AttentionVariant, queryLength: Int, keyLength: Int, headDimension: Int,
                              l2CacheBytes: Int = 512 * 1024) -> (query: Int, key: Int) {
        let floats = l2CacheBytes / 4
        if queryLength <= 4 {
            return (max(1, queryLength), min(1024, max(16, keyLength)))
        }
        let bq = min(64, queryLength)
        var bk = 512
        while bk > 16 && (bq * bk + 2 * bk * headDimension + bq * headDimension) > floats * 3 / 4 { bk /= 2 }
        return (bq, min(bk, max(16, keyLength)))
    }
}
