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

    @Option(name: .customLong("blas-core"), parsing: .unconditional, help: "OpenBLAS cores to run, comma-separated: 'env' (what the environment selects) or core names (Haswell, SkylakeX, Cooperlake, Zen, ...). Each runs in child processes with OPENBLAS_CORETYPE set for them alone.")
    var blasCore: String?
}

/// Parsed, validated values of ShapeOptions with defaults applied.
struct ResolvedShape {
    var variants: [AttentionVariant]?
    var batches: [Int]
    var heads: [Int]
    var headDimensions: [Int]
    var causal: [Bool]
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
            batches = try ListParsing.integers(o.batch ?? defaults.batch, flag: "--batch")
            heads = try ListParsing.integers(o.heads ?? defaults.heads, flag: "--heads")
            headDimensions = try ListParsing.integers(o.headDimension ?? defaults.headDimension, flag: "--head-dim")
            causal = (o.causal ?? defaults.causal).values
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

    /// Every configuration of the grid — BLAS cores × threads × head_dim × batch × heads × causal
    /// × `shapes` (query, key lengths) × variants × block pairs × naive strategies — in that
    /// order, without duplicates. Variants default to all that apply (decode only for query
    /// lengths ≤ 16).
    func configurations(shapes: [(query: Int, key: Int)],
                        naiveStrategies: [NaiveAttention.Strategy?] = [nil]) throws -> [SweepConfiguration] {
        var result: [SweepConfiguration] = []
        var seen = Set<SweepConfiguration>()
        for core in blasCores {
            for threads in threads {
                for d in headDimensions {
                    for b in batches {
                        for h in heads {
                            for causal in causal {
                                for (nq, n) in shapes {
                                    for variant in variants ?? AttentionVariant.allCases.filter({ $0 != .decode || nq <= SweepConfiguration.decodeMaximumQueryLength }) {
                                        for blocks in try blockChoices(variant: variant, queryLength: nq, keyLength: n,
                                                                      headDimension: d) {
                                            for strategy in variant == .naive ? naiveStrategies : [nil] {
                                                let c = SweepConfiguration(
                                                    variant: variant, batch: b, heads: h, queryLength: nq, keyLength: n,
                                                    headDimension: d, blocks: blocks, causal: causal, threads: threads,
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
