import AttentionKernels

/// One point of a sweep: a variant on one shape with one block choice, thread count and
/// OpenBLAS core. It becomes one CSV row.
public struct SweepConfiguration: Sendable, Codable, Hashable {
    /// Query lengths up to this are decode shapes: `decode` applies, and memory bandwidth is the
    /// roofline.
    public static let decodeMaximumQueryLength = 16

    public var variant: AttentionVariant
    /// The model preset the shape came from, if any.
    public var model: String?
    public var batch: Int
    public var heads: Int
    public var keyValueHeads: Int
    public var queryLength: Int
    public var keyLength: Int
    public var headDimension: Int
    /// Sliding window in keys, or nil for none (a window is causal).
    public var window: Int?
    /// How many keys each batch element has (padding), or nil: all of them.
    public var keyLengths: KeyLengthChoice
    /// The blocks of a blocked variant; nil exactly when the variant has none (naive).
    public let blocks: BlockChoice?
    public var causal: Bool
    public var threads: Int
    /// "env" (whatever the environment selects) or an OpenBLAS core name for OPENBLAS_CORETYPE.
    public var blasCore: String
    /// naive only: a fixed parallel strategy, or nil for the automatic rule.
    public var naiveStrategy: NaiveAttention.Strategy?

    public init(variant: AttentionVariant, model: String? = nil, batch: Int, heads: Int, keyValueHeads: Int? = nil,
                queryLength: Int, keyLength: Int, headDimension: Int, window: Int? = nil,
                keyLengths: KeyLengthChoice = .full, blocks: BlockChoice?, causal: Bool, threads: Int,
                blasCore: String = "env", naiveStrategy: NaiveAttention.Strategy? = nil) {
        precondition(variant.isBlocked == (blocks != nil), "\(variant.rawValue): blocks given to a variant that \(variant.isBlocked ? "needs" : "takes no") blocks")
        self.variant = variant; self.model = model; self.batch = batch
        self.heads = heads; self.keyValueHeads = keyValueHeads ?? heads; self.queryLength = queryLength
        self.keyLength = keyLength; self.headDimension = headDimension; self.window = window
        self.keyLengths = keyLengths; self.blocks = blocks; self.causal = causal || window != nil
        self.threads = threads; self.blasCore = blasCore
        self.naiveStrategy = variant == .naive ? naiveStrategy : nil
    }

    public func problem() throws(AttentionProblemError) -> AttentionProblem {
        try AttentionProblem(batch: batch, heads: heads, queryLength: queryLength, keyLength: keyLength,
                             headDimension: headDimension, causal: causal, validKeyLengths: keyLengths.lengths(batch: batch, keyLength: keyLength),
                             keyValueHeads: keyValueHeads, window: window)
    }

    public func kernel() -> any AttentionKernel {
        variant.makeKernel(blockSizes: blocks?.sizes, naiveStrategy: naiveStrategy)
    }

    /// The same configuration at other lengths (the maximum-length search sets them per attempt).
    public func with(queryLength: Int, keyLength: Int) -> SweepConfiguration {
        var copy = self
        copy.queryLength = queryLength
        copy.keyLength = keyLength
        return copy
    }
}

/// The block sizes of one configuration and where they came from.
public struct BlockChoice: Sendable, Codable, Hashable {
    public let sizes: BlockSizes
    /// True only when the automatic rule chose both sizes (`block_auto`).
    public let automatic: Bool

    public init(sizes: BlockSizes, automatic: Bool) {
        self.sizes = sizes
        self.automatic = automatic
    }

    /// Sizes for one axis each: nil takes that axis from the automatic rule for the shape.
    public static func resolve(query: Int?, key: Int?, queryLength: Int, keyLength: Int,
                               headDimension: Int) throws(KernelConfigurationError) -> BlockChoice {
        let rule = BlockSizes.automatic(queryLength: queryLength, keyLength: keyLength, headDimension: headDimension)
        let sizes = try BlockSizes(query: query ?? rule.query, key: key ?? rule.key)
        return BlockChoice(sizes: sizes, automatic: query == nil && key == nil)
    }
}

/// Valid keys per batch element: all of them, a seeded ragged spread, or given lengths.
public enum KeyLengthChoice: Sendable, Codable, Hashable {
    /// Every element has seq_len_kv keys.
    case full
    /// Element b has a length drawn uniformly from [seq_len_kv/2, seq_len_kv] by `seed`:
    /// a batch of sequences whose contexts differ, as in batched decode.
    case ragged(seed: UInt64)
    /// Given lengths, one per batch element, each at most seq_len_kv.
    case explicit([Int])

    /// The lengths for a batch at a key length; nil for `full`.
    public func lengths(batch: Int, keyLength: Int) -> [Int]? {
        switch self {
        case .full: return nil
        case .ragged(let seed):
            var generator = SplitMix64(seed: seed ^ (UInt64(keyLength) &* 0x9E37_79B9_7F4A_7C15))
            return (0..<batch).map { _ in keyLength / 2 + Int(generator.next() % UInt64(keyLength - keyLength / 2 + 1)) }
        case .explicit(let values): return values
        }
    }
}
