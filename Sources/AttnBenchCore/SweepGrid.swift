import AttentionKernels

/// What a sweep measures, as typed lists, one per axis. `configurations()` checks every rule
/// that crosses axes, once, and expands the grid into points; presets are grids, and flags
/// given on the command line replace their axes.
///
/// Points come in a fixed order: BLAS cores × threads × models × head_dim × batch × heads ×
/// K/V heads × windows × causal × element types × K/V element types × sequence lengths × query
/// lengths × variants × block pairs × naive strategies, the last varying fastest, each point
/// once.
public struct SweepGrid: Sendable, Equatable {
    /// nil: every variant that applies to a shape (decode only for decode shapes).
    public var variants: [AttentionVariant]?
    public var sequenceLengths: [Int]
    public var queryLengths: [QueryLength]
    public var batches: [Int]
    /// Model presets whose shapes fill the axes not given; empty: none.
    public var models: [ModelPreset]
    public var heads: ModelAxis<Int>
    /// nil: the model's K/V heads when they divide the heads, else as many as the heads.
    public var keyValueHeads: [Int]?
    public var headDimensions: ModelAxis<Int>
    /// nil in the list: no window.
    public var windows: ModelAxis<Int?>
    public var causal: ModelAxis<Bool>
    /// The storage type of Q, K, V and O (`--dtype`; `model`: the preset's `torch_dtype`).
    public var elementTypes: ModelAxis<ElementType>
    /// The storage type of K and V; nil in the list: the same as `elementTypes` (`--kv-dtype`).
    public var keyValueElementTypes: [ElementType?]
    /// A `ragged` choice draws its lengths with the grid's `seed` (its own seed is not used).
    public var keyLengths: KeyLengthChoice
    public var queryBlocks: [BlockSizeRequest]
    public var keyBlocks: [BlockSizeRequest]
    public var threads: [Int]
    public var blasCores: [BLASCore]
    /// nil in the list: naive's automatic rule.
    public var naiveStrategies: [NaiveAttention.Strategy?]
    public var timing: RepetitionPolicy
    /// Worker processes per configuration, one after another, their repetitions pooled.
    public var processes: Int
    /// Seed of the inputs and of ragged key lengths.
    public var seed: UInt64
    /// Time each model's layer products beside the attention (`--layer`).
    public var measuresLayer: Bool

    public init(
        variants: [AttentionVariant]? = nil, sequenceLengths: [Int] = [512, 1024, 2048, 4096],
        queryLengths: [QueryLength] = [.sequence], batches: [Int] = [1], models: [ModelPreset] = [],
        heads: ModelAxis<Int> = .model(fallback: [8]), keyValueHeads: [Int]? = nil,
        headDimensions: ModelAxis<Int> = .model(fallback: [64]), windows: ModelAxis<Int?> = .model(fallback: [nil]),
        causal: ModelAxis<Bool> = .model(fallback: [false]), elementTypes: ModelAxis<ElementType> = .given([.f32]),
        keyValueElementTypes: [ElementType?] = [nil], keyLengths: KeyLengthChoice = .full,
        queryBlocks: [BlockSizeRequest] = [.automatic], keyBlocks: [BlockSizeRequest] = [.automatic],
        threads: [Int] = [1], blasCores: [BLASCore] = [.inherited], naiveStrategies: [NaiveAttention.Strategy?] = [nil],
        timing: RepetitionPolicy = RepetitionPolicy(), processes: Int = 1, seed: UInt64 = 0x5EED,
        measuresLayer: Bool = false
    ) {
        self.variants = variants
        self.sequenceLengths = sequenceLengths
        self.queryLengths = queryLengths
        self.batches = batches
        self.models = models
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.headDimensions = headDimensions
        self.windows = windows
        self.causal = causal
        self.elementTypes = elementTypes
        self.keyValueElementTypes = keyValueElementTypes
        self.keyLengths = keyLengths
        self.queryBlocks = queryBlocks
        self.keyBlocks = keyBlocks
        self.threads = threads
        self.blasCores = blasCores
        self.naiveStrategies = naiveStrategies
        self.timing = timing
        self.processes = processes
        self.seed = seed
        self.measuresLayer = measuresLayer
    }

    /// The sweep's points, after every rule is checked.
    public func configurations() throws(InputError) -> [SweepConfiguration] {
        try validate()
        let shapes = sequenceLengths.flatMap { n in queryLengths.map { (query: $0.length(sequenceLength: n), key: n) } }
        var result: [SweepConfiguration] = []
        var seen = Set<SweepConfiguration>()
        try expand(shapes: shapes, clipping: true) { point in
            if seen.insert(point).inserted { result.append(point) }
        }
        return result
    }

    /// One maximum-length search per setting of the grid, the query as long as the keys or
    /// fixed at `fixedQueryLength`; `auto` blocks are chosen at a nominal length of 4096.
    public func maximumLengthConfigurations(fixedQueryLength: Int?) throws(InputError) -> [MaxLengthConfiguration] {
        if case .explicit(let values) = keyLengths {
            throw InputError(
                source: "--key-lengths", value: values.map(String.init).joined(separator: ","),
                expected: "'full' or 'ragged' (maxlen varies the sequence length)")
        }
        try validate()
        let nominal = 4096
        var result: [MaxLengthConfiguration] = []
        try expand(shapes: [(query: fixedQueryLength ?? nominal, key: nominal)], clipping: false) { point in
            let search = MaxLengthConfiguration(setting: point.setting, fixedQueryLength: fixedQueryLength)
            if !result.contains(search) { result.append(search) }
        }
        return result
    }

    /// Calls `body` with every point of the grid at `shapes`, in grid order.
    func expand(
        shapes: [(query: Int, key: Int)], clipping: Bool, _ body: (SweepConfiguration) -> Void
    ) throws(InputError) {
        let lengths: KeyLengthChoice
        if case .ragged = keyLengths { lengths = .ragged(seed: seed) } else { lengths = keyLengths }
        for core in blasCores {
            for threadCount in threads {
                for model in models.isEmpty ? [nil] : models.map(Optional.some) {
                    for d in headDimensions.values(model?.headDimension) {
                        for b in batches {
                            for h in heads.values(model?.heads) {
                                for kv in keyValueHeadChoices(heads: h, model: model) {
                                    for window in windows.values(model.map { $0.window }) {
                                        for isCausal in causal.values(model?.causal) {
                                            for types in elementTypeChoices(model: model) {
                                                let base = KernelSetting(
                                                    variant: .naive, model: model?.name, batch: b, heads: h,
                                                    keyValueHeads: kv, headDimension: d, window: window,
                                                    keyLengths: lengths,
                                                    blocks: nil, causal: isCausal, threads: threadCount,
                                                    blasCore: core, layer: measuresLayer ? model?.layer : nil,
                                                    elementType: types.tensor, keyValueElementType: types.keyValue)
                                                for shape in shapes {
                                                    try expand(base, shape: shape, clipping: clipping, body)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The points of one setting at one shape: variants × block pairs × naive strategies.
    func expand(
        _ base: KernelSetting, shape: (query: Int, key: Int), clipping: Bool, _ body: (SweepConfiguration) -> Void
    ) throws(InputError) {
        let applying =
            variants
            ?? AttentionVariant.allCases.filter {
                $0 != .decode || shape.query <= DecodeShape.maximumQueryLength
            }
        for variant in applying {
            var setting = base
            setting.variant = variant
            guard variant.isBlocked else {
                for strategy in naiveStrategies {
                    setting.naiveStrategy = strategy
                    body(SweepConfiguration(setting: setting, queryLength: shape.query, keyLength: shape.key))
                }
                continue
            }
            for q in queryBlocks {
                for k in keyBlocks {
                    do {
                        setting.blocks = try BlockChoice.resolve(
                            query: q, key: k, queryLength: max(1, shape.query), keyLength: max(1, shape.key),
                            headDimension: base.headDimension, clipping: clipping)
                    } catch {
                        let (flag, size) = (q.size ?? 1) < 1 ? ("--block-q", q.size) : ("--block-kv", k.size)
                        throw InputError(
                            source: flag, value: size.map(String.init) ?? "auto", expected: "block sizes of at least 1")
                    }
                    body(SweepConfiguration(setting: setting, queryLength: shape.query, keyLength: shape.key))
                }
            }
        }
    }

    /// The (Q/O, K/V) element-type pairs of one model, `--dtype` × `--kv-dtype` in order.
    func elementTypeChoices(model: ModelPreset?) -> [(tensor: ElementType, keyValue: ElementType)] {
        elementTypes.values(model?.elementType).flatMap { tensor in
            keyValueElementTypes.map { (tensor: tensor, keyValue: $0 ?? tensor) }
        }
    }

    func keyValueHeadChoices(heads h: Int, model: ModelPreset?) -> [Int] {
        if let keyValueHeads { return keyValueHeads }
        if let model, AttentionProblem.isGrouping(heads: h, keyValueHeads: model.keyValueHeads) {
            return [model.keyValueHeads]
        }
        return [h]
    }
}

/// A query length of a sweep: as long as the keys, or fixed.
public enum QueryLength: Sendable, Hashable {
    case sequence
    case fixed(Int)

    public func length(sequenceLength n: Int) -> Int {
        switch self {
        case .sequence: return n
        case .fixed(let length): return length
        }
    }
}

/// An axis a model preset can fill: values given for it, or the model's value (the fallback
/// when no model is named).
public enum ModelAxis<Value: Sendable & Hashable>: Sendable, Hashable {
    case given([Value])
    case model(fallback: [Value])

    /// The values for one model (its own value, when it has one), or without a model.
    public func values(_ modelValue: Value?) -> [Value] {
        switch self {
        case .given(let values): return values
        case .model(let fallback): return modelValue.map { [$0] } ?? fallback
        }
    }

    /// The values given, or nil when the axis comes from the model.
    public var given: [Value]? {
        if case .given(let values) = self { return values }
        return nil
    }
}
