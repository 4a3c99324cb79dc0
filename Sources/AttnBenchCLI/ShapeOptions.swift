import ArgumentParser
import AttentionKernels
import AttnBenchCore

/// The shape flags shared by `sweep` and `maxlen`: each a typed list that replaces one axis of
/// the grid (a preset's, or a model preset's value) when given.
struct ShapeOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Variants, comma-separated: \(AttentionVariant.allCases.map(\.rawValue).joined(separator: ", ")). "
                + "Default: all that apply (decode only for query lengths ≤ \(DecodeShape.maximumQueryLength))."),
        transform: ArgumentValues.variants)
    var variants: [AttentionVariant]?

    @Option(
        parsing: .unconditional, help: "Batch sizes, e.g. 1,2.",
        transform: { try ArgumentValues.counts($0, example: "1,2") })
    var batch: [Int]?

    @Option(
        parsing: .unconditional, help: "Head counts, e.g. 8,16.",
        transform: { try ArgumentValues.counts($0, example: "8,16") })
    var heads: [Int]?

    @Option(
        name: .customLong("head-dim"), parsing: .unconditional, help: "Head dimensions, e.g. 64,128.",
        transform: { try ArgumentValues.counts($0, example: "64,128") })
    var headDimension: [Int]?

    @Option(
        parsing: .unconditional, help: "Causal masking, a list of on and off ('both' is off,on).",
        transform: ArgumentValues.causal)
    var causal: [Bool]?

    @Option(
        name: .customLong("dtype"), parsing: .unconditional,
        help: ArgumentHelp(
            "Storage type of Q, K, V and O, a list of f32, bf16 and f16, or 'model' (each --model preset's "
                + "published torch_dtype). Arithmetic accumulates in fp32. Default: f32."),
        transform: ArgumentValues.elementTypes)
    var elementType: ModelAxis<ElementType>?

    @Option(
        name: .customLong("kv-dtype"), parsing: .unconditional,
        help: ArgumentHelp(
            "Storage type of the K/V cache, overriding --dtype for K and V: a list of same, f32, bf16, f16 and "
                + "q8_0 (ggml's blocks of 32 int8 codes and one fp16 scale; head_dim a multiple of 32). "
                + "Default: same."),
        transform: ArgumentValues.keyValueElementTypes)
    var keyValueElementType: [ElementType?]?

    @Option(
        parsing: .unconditional, help: "Worker thread counts, e.g. 1,2. Default: the number of cores.",
        transform: { try ArgumentValues.counts($0, example: "1,2") })
    var threads: [Int]?

    @Option(
        name: .customLong("block-size"), parsing: .unconditional,
        help: ArgumentHelp(
            "Block sizes for both axes (query and key/value): 'auto' (chosen from the L2 size; block_auto=true) "
                + "or sizes, e.g. auto,64."),
        transform: ArgumentValues.blocks)
    var blockSize: [BlockSizeRequest]?

    @Option(
        name: .customLong("block-q"), parsing: .unconditional,
        help: "Query block sizes, 'auto' or sizes (overrides --block-size for that axis).",
        transform: ArgumentValues.blocks)
    var blockQuery: [BlockSizeRequest]?

    @Option(
        name: .customLong("block-kv"), parsing: .unconditional,
        help: "Key/value block sizes, 'auto' or sizes (overrides --block-size for that axis).",
        transform: ArgumentValues.blocks)
    var blockKey: [BlockSizeRequest]?

    @Option(
        name: .customLong("kv-heads"), parsing: .unconditional,
        help: ArgumentHelp(
            "Key/value heads, a list; each must divide every --heads value (grouped-query attention; "
                + "1 = multi-query). Default: as many as --heads."),
        transform: { try ArgumentValues.counts($0, example: "1,8") })
    var keyValueHeads: [Int]?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Sliding windows in keys, a list; 'none' for full attention. A window is causal: query i sees keys "
                + "i−W < j ≤ i."),
        transform: ArgumentValues.windows)
    var window: [Int?]?

    @Option(
        name: .customLong("key-lengths"), parsing: .unconditional,
        help: ArgumentHelp(
            "Valid keys per batch element: 'full' (default), 'ragged' (each drawn from [seq_kv/2, seq_kv] by "
                + "--seed, as a batch of decodes with different contexts), or one length per batch element."),
        transform: ArgumentValues.keyLengths)
    var keyLengths: KeyLengthChoice?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Model presets, comma-separated (attnbench models lists them): heads, kv heads, head_dim, window and "
                + "causal from the model's published configuration. Explicit flags override them."),
        transform: ArgumentValues.models)
    var model: [ModelPreset]?

    @Option(
        name: .customLong("blas-core"), parsing: .unconditional,
        help: ArgumentHelp(
            "OpenBLAS cores to run, comma-separated: 'env' (what the environment selects) or core names "
                + "(Haswell, SkylakeX, Cooperlake, Zen, ...). Each runs in child processes with OPENBLAS_CORETYPE set "
                + "for them alone."),
        transform: ArgumentValues.blasCores)
    var blasCore: [BLASCore]?

    /// The grid with every axis given here replaced.
    func apply(to grid: inout SweepGrid) {
        if let variants { grid.variants = variants }
        if let batch { grid.batches = batch }
        if let heads { grid.heads = .given(heads) }
        if let headDimension { grid.headDimensions = .given(headDimension) }
        if let causal { grid.causal = .given(causal) }
        if let elementType { grid.elementTypes = elementType }
        if let keyValueElementType { grid.keyValueElementTypes = keyValueElementType }
        if let threads { grid.threads = threads }
        if let blockSize {
            grid.queryBlocks = blockSize
            grid.keyBlocks = blockSize
        }
        if let blockQuery { grid.queryBlocks = blockQuery }
        if let blockKey { grid.keyBlocks = blockKey }
        if let keyValueHeads { grid.keyValueHeads = keyValueHeads }
        if let window { grid.windows = .given(window) }
        if let keyLengths { grid.keyLengths = keyLengths }
        if let model { grid.models = model }
        if let blasCore { grid.blasCores = blasCore }
    }
}

/// Memory and time budgets of the maximum-length search.
struct BudgetOptions: ParsableArguments {
    @Option(
        name: .customLong("memory-budget"), parsing: .unconditional,
        help: "Memory the inputs, output and workspace may use, e.g. 512MiB, 2GiB (at least 1MiB).",
        transform: BudgetOptions.memoryBytes)
    var memoryBudget: Int = 512 << 20

    @Option(
        name: .customLong("time-budget"), parsing: .unconditional,
        help: "Seconds one attempt may take (child start-up included); longer counts as not fitting.",
        transform: { try ArgumentValues.seconds($0, positive: true) })
    var timeBudget: Double = 5

    @Option(
        name: .customLong("resolution"), parsing: .unconditional,
        help: ArgumentHelp(
            "Bisection stops when the bracket is within this fraction of the length found (and at most 16 tokens "
                + "finer)."),
        transform: BudgetOptions.fraction)
    var resolution: Double = 1.0 / 32

    @Option(
        name: .customLong("start-len"), parsing: .unconditional,
        help: "First length tried; doubled until an attempt fails.",
        transform: { try ArgumentValues.integer($0, minimum: 1) })
    var startLength: Int = 256

    func settings(fixedQueryLength: Int?) -> MaxLengthSettings {
        MaxLengthSettings(
            budget: MaxLengthBudget(
                memoryBytes: memoryBudget, timeSeconds: timeBudget, fixedQueryLength: fixedQueryLength),
            search: MaxLengthSearch(start: startLength, relativeResolution: resolution))
    }

    static func memoryBytes(_ text: String) throws -> Int {
        guard let bytes = ByteCount.byteCount(text), bytes >= 1 << 20 else {
            throw ArgumentValueError(expected: "a size of at least 1MiB, such as 512MiB, 2GiB or 1.5GB")
        }
        return bytes
    }

    static func fraction(_ text: String) throws -> Double {
        guard let value = Double(text.trimmingSpaces()), value > 0, value < 1 else {
            throw ArgumentValueError(expected: "a fraction between 0 and 1, e.g. 0.03")
        }
        return value
    }
}
