import AttentionKernels

/// Everything that fixes one measurement except its sequence lengths: the variant, the shape
/// apart from lengths, the element types, the block choice, threads, OpenBLAS core and naive's
/// strategy.
public struct KernelSetting: Sendable, Codable, Hashable {
    public var variant: AttentionVariant
    /// The model preset the shape came from, if any.
    public var model: String?
    public var batch: Int
    public var heads: Int
    public var keyValueHeads: Int
    public var headDimension: Int
    /// Sliding window in keys, or nil for none (a window is causal).
    public var window: Int?
    /// How many keys each batch element has (padding).
    public var keyLengths: KeyLengthChoice
    /// The blocks of a blocked variant; nil for naive, which has none (`kernel()` refuses a
    /// setting where the two disagree).
    public var blocks: BlockChoice?
    public var causal: Bool
    public var threads: Int
    public var blasCore: BLASCore
    /// naive only: a fixed parallel strategy, or nil for the automatic rule.
    public var naiveStrategy: NaiveAttention.Strategy?
    /// The rest of the model's layer, timed beside the attention (`sweep --layer`); nil: not.
    public var layer: ModelLayer?
    /// The storage type of Q and O (`--dtype`).
    public var elementType: ElementType
    /// The storage type of K and V (`--kv-dtype`; the same as `elementType` unless given).
    public var keyValueElementType: ElementType

    public init(
        variant: AttentionVariant, model: String? = nil, batch: Int, heads: Int, keyValueHeads: Int? = nil,
        headDimension: Int, window: Int? = nil, keyLengths: KeyLengthChoice = .full, blocks: BlockChoice?,
        causal: Bool, threads: Int, blasCore: BLASCore = .inherited, naiveStrategy: NaiveAttention.Strategy? = nil,
        layer: ModelLayer? = nil, elementType: ElementType = .f32, keyValueElementType: ElementType? = nil
    ) {
        self.variant = variant
        self.model = model
        self.batch = batch
        self.heads = heads
        self.keyValueHeads = keyValueHeads ?? heads
        self.headDimension = headDimension
        self.window = window
        self.keyLengths = keyLengths
        self.blocks = blocks
        self.causal = causal || window != nil
        self.threads = threads
        self.blasCore = blasCore
        self.naiveStrategy = variant == .naive ? naiveStrategy : nil
        self.layer = layer
        self.elementType = elementType
        self.keyValueElementType = keyValueElementType ?? elementType
    }

    /// The kernel this setting runs.
    public func kernel() throws(KernelConfigurationError) -> any AttentionKernel {
        try variant.makeKernel(blockSizes: blocks?.sizes, naiveStrategy: naiveStrategy)
    }
}

/// One point of a sweep: a kernel setting at one query and key length. It becomes one CSV row.
@dynamicMemberLookup
public struct SweepConfiguration: Sendable, Codable, Hashable {
    public var setting: KernelSetting
    public var queryLength: Int
    public var keyLength: Int

    public init(setting: KernelSetting, queryLength: Int, keyLength: Int) {
        self.setting = setting
        self.queryLength = queryLength
        self.keyLength = keyLength
    }

    public subscript<Value>(dynamicMember path: WritableKeyPath<KernelSetting, Value>) -> Value {
        get { setting[keyPath: path] }
        set { setting[keyPath: path] = newValue }
    }

    public subscript<Value>(dynamicMember path: KeyPath<KernelSetting, Value>) -> Value { setting[keyPath: path] }

    /// Whether this is a decode shape: `decode` applies and memory bandwidth is the roofline.
    public var isDecodeShape: Bool { queryLength <= AttnBenchConstants.decodeMaximumQueryLength }

    public func problem() throws(AttentionProblemError) -> AttentionProblem {
        try AttentionProblem(
            batch: setting.batch, heads: setting.heads, queryLength: queryLength, keyLength: keyLength,
            headDimension: setting.headDimension, causal: setting.causal,
            validKeyLengths: setting.keyLengths.lengths(batch: setting.batch, keyLength: keyLength),
            keyValueHeads: setting.keyValueHeads, window: setting.window, elementType: setting.elementType,
            keyValueElementType: setting.keyValueElementType)
    }

    public func kernel() throws(KernelConfigurationError) -> any AttentionKernel { try setting.kernel() }

    /// The layer products timed beside the attention, or nil without `--layer`.
    public var layerWork: LayerWork? {
        guard let layer = setting.layer else { return nil }
        return LayerWork(
            projections: layer.projections(
                heads: setting.heads, keyValueHeads: setting.keyValueHeads, headDimension: setting.headDimension),
            tokens: setting.batch * queryLength, outputHead: isDecodeShape ? layer.outputHead : nil,
            layers: layer.layers)
    }
}

/// What `sweep --layer` times beside one attention row: the layer's matrix products at the
/// row's tokens and, for a decode row, the output head (a generated token's last product).
public struct LayerWork: Sendable, Equatable {
    public let projections: [ModelLayer.Projection]
    /// batch × query length.
    public let tokens: Int
    public let outputHead: ModelLayer.Projection?
    public let layers: Int

    public var flops: Double { LayerProducts.flops(projections, tokens: tokens) }
    public var weightBytes: Int { LayerProducts.weightBytes(projections) }

    /// Bytes the layer's and the head's products hold (weights and activations).
    public var bytes: Int {
        LayerProducts.bytes(projections, tokens: tokens)
            + (outputHead.map { LayerProducts.bytes([$0], tokens: tokens) } ?? 0)
    }
}

/// One maximum-length search: a kernel setting whose lengths the search chooses, attempt by
/// attempt; the query is as long as the keys unless `fixedQueryLength` is set (decode).
@dynamicMemberLookup
public struct MaxLengthConfiguration: Sendable, Codable, Hashable {
    public var setting: KernelSetting
    public var fixedQueryLength: Int?

    public init(setting: KernelSetting, fixedQueryLength: Int?) {
        self.setting = setting
        self.fixedQueryLength = fixedQueryLength
    }

    public subscript<Value>(dynamicMember path: KeyPath<KernelSetting, Value>) -> Value { setting[keyPath: path] }

    /// The configuration one attempt of the search runs.
    public func attempt(keyLength: Int) -> SweepConfiguration {
        SweepConfiguration(setting: setting, queryLength: fixedQueryLength ?? keyLength, keyLength: keyLength)
    }
}

/// The block sizes of one configuration and where they came from.
public struct BlockChoice: Sendable, Codable, Hashable {
    /// The sizes the kernel runs (for a sweep point, already clipped to its sequence lengths).
    public let sizes: BlockSizes
    /// True only when the automatic rule chose both sizes (`block_auto`).
    public let automatic: Bool

    public init(sizes: BlockSizes, automatic: Bool) {
        self.sizes = sizes
        self.automatic = automatic
    }

    /// The sizes for a shape: a fixed axis as asked, an automatic one from the rule; each axis
    /// clipped to its sequence length when `clipping` (the sizes a kernel runs).
    public static func resolve(
        query: BlockSizeRequest, key: BlockSizeRequest, queryLength: Int, keyLength: Int, headDimension: Int,
        clipping: Bool
    ) throws(KernelConfigurationError) -> BlockChoice {
        let rule = BlockSizes.automatic(queryLength: queryLength, keyLength: keyLength, headDimension: headDimension)
        var sizes = try BlockSizes(query: query.size ?? rule.query, key: key.size ?? rule.key)
        if clipping {
            let clipped = sizes.clipped(queryLength: queryLength, keyLength: keyLength)
            sizes = try BlockSizes(query: clipped.query, key: clipped.key)
        }
        return BlockChoice(sizes: sizes, automatic: query == .automatic && key == .automatic)
    }
}

/// One block axis as asked: chosen by the rule beside the kernels, or a fixed size.
public enum BlockSizeRequest: Sendable, Hashable {
    case automatic
    case fixed(Int)

    /// The fixed size, or nil for `automatic`.
    public var size: Int? {
        if case .fixed(let size) = self { return size }
        return nil
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
            return (0..<batch).map { _ in
                keyLength / 2 + Int(generator.next() % UInt64(keyLength - keyLength / 2 + 1))
            }
        case .explicit(let values): return values
        }
    }
}
