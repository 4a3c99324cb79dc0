import ArgumentParser
import AttentionKernels
import AttnBenchCore

/// On/off/both for `--causal`.
enum CausalChoice: String, ExpressibleByArgument, CaseIterable {
    case on, off, both
    var values: [Bool] {
        switch self { case .on: return [true]; case .off: return [false]; case .both: return [false, true] }
    }
}

/// The shape flags shared by `sweep` and `maxlen`. Lists are comma-separated with k suffixes.
struct ShapeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Variants, comma-separated: \(AttentionVariant.allCases.map(\.rawValue).joined(separator: ", ")). Default: all that apply (decode only for query lengths ≤ 16).")
    var variants: String?

    @Option(parsing: .unconditional, help: "Batch sizes, e.g. 1,2.")
    var batch: String?

    @Option(parsing: .unconditional, help: "Head counts, e.g. 8,16.")
    var heads: String?

    @Option(name: .customLong("head-dim"), parsing: .unconditional, help: "Head dimensions, e.g. 64,128.")
    var headDimension: String?

    @Option(parsing: .unconditional, help: "Causal masking: on, off or both.")
    var causal: CausalChoice?

    @Option(parsing: .unconditional, help: "Worker thread counts, e.g. 1,2. Default: the number of cores.")
    var threads: String?

    @Option(name: .customLong("block-size"), parsing: .unconditional, help: "Block size for both axes (query and key/value): 'auto' (chosen from the L2 size; block_auto=true) or a list.",
            transform: { try BlockAxisChoice.parse($0, flag: "--block-size") })
    var blockSize: BlockAxisChoice?

    @Option(name: .customLong("block-q"), parsing: .unconditional, help: "Query block sizes, 'auto' or a list (overrides --block-size for that axis).",
            transform: { try BlockAxisChoice.parse($0, flag: "--block-q") })
    var blockQuery: BlockAxisChoice?

    @Option(name: .customLong("block-kv"), parsing: .unconditional, help: "Key/value block sizes, 'auto' or a list (overrides --block-size for that axis).",
            transform: { try BlockAxisChoice.parse($0, flag: "--block-kv") })
    var blockKey: BlockAxisChoice?

    @Option(name: .customLong("kv-heads"), parsing: .unconditional, help: "Key/value heads, a list; each must divide every --heads value (grouped-query attention; 1 = multi-query). Default: as many as --heads.")
    var keyValueHeads: String?

    @Option(parsing: .unconditional, help: "Sliding windows in keys, a list; 'none' for full attention. A window is causal: query i sees keys i−W < j ≤ i.")
    var window: String?

    @Option(name: .customLong("key-lengths"), parsing: .unconditional, help: "Valid keys per batch element: 'full' (default), 'ragged' (each drawn from [seq_kv/2, seq_kv] by --seed, as a batch of decodes with different contexts), or one length per batch element, comma-separated.")
    var keyLengths: String?

    @Option(parsing: .unconditional, help: "Model presets, comma-separated (attnbench models lists them): heads, kv heads, head_dim, window and causal from the model's published configuration. Explicit flags override them.")
    var model: String?

    @Option(name: .customLong("blas-core"), parsing: .unconditional, help: "OpenBLAS cores to run, comma-separated: 'env' (what the environment selects) or core names (Haswell, SkylakeX, Cooperlake, Zen, ...). Each runs in child processes with OPENBLAS_CORETYPE set for them alone.")
    var blasCore: String?
}

/// Parsed, validated values of ShapeOptions with defaults applied.
struct ResolvedShape {
    var variants: [AttentionVariant]?
    var batches: [Int]
    /// nil: from the model, else the preset default.
    var heads: [Int]?
    var keyValueHeads: [Int]?
    var headDimensions: [Int]?
    var windows: [Int?]?
    var causal: [Bool]?
    var models: [ModelPreset?]
    var keyLengths: KeyLengthChoice
    var defaults: Preset
    var threads: [Int]
    var queryBlocks: BlockAxisChoice
    var keyBlocks: BlockAxisChoice
    var blasCores: [String]

    init(_ o: ShapeOptions, defaults: Preset) throws {
        do {
            variants = try o.variants.map {
                try ListParsing.names($0, flag: "--variants", allowed: AttentionVariant.allCases.map(\.rawValue))
                    .map { AttentionVariant(rawValue: $0)! }
            } ?? defaults.variants
            self.defaults = defaults
            batches = try ListParsing.integers(o.batch ?? defaults.batch, flag: "--batch")
            heads = try o.heads.map { try ListParsing.integers($0, flag: "--heads") }
            keyValueHeads = try o.keyValueHeads.map { try ListParsing.integers($0, flag: "--kv-heads") }
            headDimensions = try o.headDimension.map { try ListParsing.integers($0, flag: "--head-dim") }
            windows = try o.window.map { try Self.parseWindows($0) }
            causal = o.causal?.values
            models = try o.model.map { try Self.parseModels($0) } ?? [nil]
            keyLengths = .full
            threads = try (o.threads ?? defaults.threads).map { try ListParsing.integers($0, flag: "--threads") } ?? [Self.coreCount]
            let both = o.blockSize ?? .automatic
            queryBlocks = o.blockQuery ?? both
            keyBlocks = o.blockKey ?? both
            blasCores = try o.blasCore.map { try Self.parseCores($0) } ?? ["env"]
        } catch let error as InputError {
            throw UserError(error.description)
        }
        for t in threads where t > 256 {
            throw UserError("--threads: invalid value '\(t)'; expected a thread count between 1 and 256")
        }
        if let text = o.keyLengths { keyLengths = try Self.parseKeyLengths(text, batches: batches) }
        if let windows, windows.contains(where: { $0 != nil }), o.causal == .off {
            throw UserError("--window: a sliding window is causal (query i sees keys i−W < j ≤ i); drop --causal off or use --window none")
        }
        for model in models {
            for h in heads ?? [model?.heads ?? 0] where h > 0 {
                for kv in keyValueHeads ?? [] where kv < 1 || h % kv != 0 {
                    throw UserError("--kv-heads: invalid value '\(kv)'; expected a divisor of the \(h) query heads (\((1...h).filter { h % $0 == 0 }.map(String.init).joined(separator: ", ")))")
                }
                if keyValueHeads == nil, let model, h % model.keyValueHeads != 0 {
                    throw UserError("--heads: invalid value '\(h)' for --model \(model.name) (\(model.keyValueHeads) K/V heads); expected a multiple of \(model.keyValueHeads), or give --kv-heads")
                }
            }
        }
    }

    /// The shape of one model (or none): explicit flags, else the model, else the preset.
    struct ModelShape {
        var heads: [Int], headDimensions: [Int], windows: [Int?], causal: [Bool]
        /// K/V heads for a head count.
        var keyValueHeads: (Int) -> [Int]
    }

    func shape(of model: ModelPreset?) throws -> ModelShape {
        let defaultHeads = try ListParsing.integers(defaults.heads, flag: "--heads")
        let defaultDimensions = try ListParsing.integers(defaults.headDimension, flag: "--head-dim")
        return ModelShape(
            heads: heads ?? model.map { [$0.heads] } ?? defaultHeads,
            headDimensions: headDimensions ?? model.map { [$0.headDimension] } ?? defaultDimensions,
            windows: windows ?? [model?.window],
            causal: causal ?? model.map { [$0.causal] } ?? defaults.causal.values,
            keyValueHeads: { h in keyValueHeads ?? [model.map { h % $0.keyValueHeads == 0 ? $0.keyValueHeads : h } ?? h] })
    }

    /// "none,4096" → [nil, 4096].
    static func parseWindows(_ text: String) throws -> [Int?] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part -> Int? in
            let item = part.trimmingSpaces().lowercased()
            if item == "none" { return nil }
            guard let value = try? ListParsing.integers(item, flag: "--window").first, !item.isEmpty else {
                throw UserError("--window: invalid value '\(part)'; expected 'none' or a window of at least 1 key, e.g. none,4096")
            }
            return value
        }
    }

    static func parseModels(_ text: String) throws -> [ModelPreset?] {
        try text.split(separator: ",").map { part in
            guard let model = ModelPreset.named(part.trimmingSpaces()) else {
                throw UserError("--model: invalid value '\(part)'; expected one of \(ModelPreset.all.map(\.name).joined(separator: ", ")) (attnbench models)")
            }
            return model
        }
    }

    static func parseKeyLengths(_ text: String, batches: [Int]) throws -> KeyLengthChoice {
        switch text.trimmingSpaces().lowercased() {
        case "full": return .full
        case "ragged": return .ragged(seed: 0)
        default:
            let values = try parsingInput { try ListParsing.integers(text, flag: "--key-lengths", minimum: 0) }
            if batches.contains(where: { $0 != values.count }) {
                throw UserError("--key-lengths: invalid value '\(text)'; expected one length per batch element (--batch \(batches.map(String.init).joined(separator: ","))), 'full' or 'ragged'")
            }
            return .explicit(values)
        }
    }

    static var coreCount: Int { BLAS.processorCount > 0 ? BLAS.processorCount : 1 }

    /// OPENBLAS_CORETYPE values of a DYNAMIC_ARCH x86-64 OpenBLAS (0.3.x).
    static let knownCores = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Sandybridge", "Haswell", "SkylakeX",
                             "Cooperlake", "SapphireRapids", "Atom", "Athlon", "Opteron", "Barcelona", "Bobcat", "Bulldozer",
                             "Piledriver", "Steamroller", "Excavator", "Zen"]

    static func parseCores(_ text: String) throws -> [String] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        var cores: [String] = []
        for p in parts {
            if p == "env" { cores.append(p); continue }
            guard let known = knownCores.first(where: { $0.lowercased() == p.lowercased() }) else {
                throw UserError("--blas-core: invalid value '\(p)'; expected 'env' or OpenBLAS core names: \(knownCores.joined(separator: ", "))")
            }
            cores.append(known)
        }
        return cores
    }

    /// Every configuration of the grid — BLAS cores × threads × models × head_dim × batch × heads
    /// × K/V heads × windows × causal × `shapes` (query, key lengths) × variants × block pairs ×
    /// naive strategies — in that order, without duplicates. Variants default to all that apply
    /// (decode only for query lengths ≤ 16). `seed` draws ragged key lengths.
    func configurations(shapes: [(query: Int, key: Int)], naiveStrategies: [NaiveAttention.Strategy?] = [nil],
                        seed: UInt64 = 0) throws -> [SweepConfiguration] {
        var result: [SweepConfiguration] = []
        var seen = Set<SweepConfiguration>()
        let lengths: KeyLengthChoice
        if case .ragged = keyLengths { lengths = .ragged(seed: seed) } else { lengths = keyLengths }
        for core in blasCores {
            for threads in threads {
                for model in models {
                    let shape = try shape(of: model)
                    for d in shape.headDimensions {
                        for b in batches {
                            for h in shape.heads {
                                for kv in shape.keyValueHeads(h) {
                                    for window in shape.windows {
                                        for causal in shape.causal {
                                            for (nq, n) in shapes {
                                                if case .explicit(let values) = lengths, let too = values.first(where: { $0 > n }) {
                                                    throw UserError("--key-lengths: invalid value '\(too)'; expected lengths of at most the sequence length \(n)")
                                                }
                                                for variant in variants ?? AttentionVariant.allCases.filter({ $0 != .decode || nq <= SweepConfiguration.decodeMaximumQueryLength }) {
                                                    for blocks in try blockChoices(variant: variant, queryLength: nq, keyLength: n, headDimension: d) {
                                                        for strategy in variant == .naive ? naiveStrategies : [nil] {
                                                            let c = SweepConfiguration(
                                                                variant: variant, model: model?.name, batch: b, heads: h, keyValueHeads: kv,
                                                                queryLength: nq, keyLength: n, headDimension: d, window: window,
                                                                keyLengths: lengths, blocks: blocks, causal: causal, threads: threads,
                                                                blasCore: core, naiveStrategy: strategy)
                                                            if seen.insert(c).inserted { result.append(c) }
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
        }
        return result
    }

    /// Block choices for a variant at a shape: none for naive; otherwise every (query, key)
    /// pair of the two axes, an `auto` axis taken from the rule.
    func blockChoices(variant: AttentionVariant, queryLength: Int, keyLength: Int, headDimension: Int) throws -> [BlockChoice?] {
        if !variant.isBlocked { return [nil] }
        var choices: [BlockChoice?] = []
        for q in queryBlocks.sizes {
            for k in keyBlocks.sizes {
                choices.append(try BlockChoice.resolve(query: q, key: k, queryLength: max(1, queryLength),
                                                       keyLength: max(1, keyLength), headDimension: headDimension))
            }
        }
        return choices
    }
}

/// One block axis on the command line: `auto` (the rule beside the kernels chooses) or a list
/// of sizes ≥ 1.
enum BlockAxisChoice: Equatable {
    case automatic
    case sizes([Int])

    static func parse(_ text: String, flag: String) throws -> BlockAxisChoice {
        if text.trimmingSpaces().lowercased() == "auto" { return .automatic }
        do { return .sizes(try ListParsing.integers(text, flag: flag)) } catch {
            throw UserError(error.description.replacingOccurrences(of: "expected integers", with: "expected 'auto' or block sizes"))
        }
    }

    /// The sizes of the axis; nil stands for the rule's choice.
    var sizes: [Int?] {
        switch self {
        case .automatic: return [nil]
        case .sizes(let values): return values
        }
    }
}
