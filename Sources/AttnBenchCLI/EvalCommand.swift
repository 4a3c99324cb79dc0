import ArgumentParser
import AttentionKernels
import AttnBenchCore
import Foundation

/// Runs one kernel on real tensors from .npy files and writes O as .npy.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract:
            "Run one kernel on .npy tensors [batch, heads, seq, head_dim] (float32, float16 or bfloat16, C order); "
            + "write O as .npy in the query's type."
    )

    @Option(
        parsing: .unconditional, help: "Kernel: \(AttentionVariant.allCases.map(\.rawValue).joined(separator: ", ")).",
        transform: EvalCommand.variant)
    var variant: AttentionVariant

    @Option(parsing: .unconditional, help: "Query tensor .npy, shape [batch, heads, seq_q, head_dim].")
    var query: String

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Key tensor .npy, shape [batch, kv_heads, seq_kv, head_dim]; kv_heads divides the query's heads "
                + "(grouped-query attention).")
    )
    var key: String

    @Option(parsing: .unconditional, help: "Value tensor .npy, same shape as the key.")
    var value: String

    @Option(
        name: .shortAndLong, parsing: .unconditional, help: "Output .npy for O, shape [batch, heads, seq_q, head_dim].")
    var output: String

    @Flag(help: "Causal mask: query i sees keys j ≤ i + seq_kv − seq_q.")
    var causal = false

    @Option(
        name: .customLong("key-lengths"), parsing: .unconditional,
        help: "Valid key length per batch element, comma-separated (padding mask).",
        transform: { try ArgumentValues.counts($0, minimum: 0, example: "512,300") })
    var keyLengths: [Int]?

    @Option(
        parsing: .unconditional, help: "Sliding window in keys (causal: query i sees keys i−W < j ≤ i).",
        transform: { try ArgumentValues.integer($0, minimum: 1) })
    var window: Int?

    @Option(
        name: .customLong("block-q"), parsing: .unconditional,
        help: "Query block size, or 'auto' (the rule sweep uses).",
        transform: EvalCommand.block)
    var blockQuery: BlockSizeRequest = .automatic

    @Option(
        name: .customLong("block-kv"), parsing: .unconditional,
        help: "Key/value block size, or 'auto' (the rule sweep uses).", transform: EvalCommand.block)
    var blockKey: BlockSizeRequest = .automatic

    @Option(
        parsing: .unconditional, help: "Score scale (default 1/sqrt(head_dim)).",
        transform: {
            guard let value = Float($0.trimmingSpaces()), value.isFinite else {
                throw ArgumentValueError(expected: "a finite number, e.g. 0.125")
            }
            return value
        })
    var scale: Float?

    @Option(
        name: .customLong("dtype"), parsing: .unconditional,
        help: ArgumentHelp(
            "Storage type of Q and O: f32, bf16 or f16. Default: the query file's ('<f4', '<f2', or '<V2' as NumPy "
                + "saves an ml_dtypes.bfloat16 array); a '<u2' file holds bf16 or f16 bit patterns and needs it."),
        transform: EvalCommand.elementType)
    var elementType: ElementType?

    @Option(
        name: .customLong("kv-dtype"), parsing: .unconditional,
        help: ArgumentHelp(
            "Storage type of K and V: same (as --dtype), f32, bf16, f16, or q8_0 (K and V, given as floats, are "
                + "quantised as ggml's quantize_row_q8_0 does; head_dim a multiple of 32). Default: the key file's."),
        transform: EvalCommand.keyValueElementType)
    var keyValueElementType: KeyValueTypeRequest?

    @Option(
        parsing: .unconditional, help: "Worker threads (default: the number of cores).",
        transform: EvalCommand.threads)
    var threads: Int?

    func run() throws {
        try checkOutputWritable()
        let (problem, query, key, value, outputElement) = try loadProblem()
        let blocks =
            variant.isBlocked
            ? try BlockChoice.resolve(
                query: blockQuery, key: blockKey, queryLength: problem.queryLength, keyLength: problem.keyLength,
                headDimension: problem.headDimension, clipping: false
            ).sizes : nil
        let output = AttentionTensor(
            batch: problem.batch, heads: problem.heads, sequenceLength: problem.queryLength,
            headDimension: problem.headDimension, elementType: problem.elementType)
        try variant.makeKernel(blockSizes: blocks).run(
            problem, query: query, key: key, value: value, output: output,
            threadCount: threads ?? SweepGrid.processorCount)
        let array = NumpyArray(
            shape: output.shape, values: output.toArray(), type: problem.elementType, element: outputElement)
        try OutputFile.write(Data(array.encode()), to: self.output)
        let types =
            problem.isAllFloat32
            ? "" : " (\(problem.elementType.rawValue), K/V \(problem.keyValueElementType.rawValue))"
        printError(
            "attnbench eval: \(variant.rawValue) on [\(problem.batch), \(problem.heads), "
                + "\(problem.queryLength)×\(problem.keyLength), \(problem.headDimension)]\(types) → \(self.output)")
    }

    /// The problem the three tensors pose with the flags given, the tensors in their storage
    /// types, and the .npy kind O is written as (the query's).
    func loadProblem() throws -> (AttentionProblem, AttentionTensor, AttentionTensor, AttentionTensor, NumpyElement) {
        let q = try load(query, flag: "--query")
        let k = try load(key, flag: "--key")
        let v = try load(value, flag: "--value")
        let types = try elementTypes(q: q, k: k, v: v)
        if q.shape[0] != k.shape[0] {
            throw UserError("--key: '\(key)' has batch \(k.shape[0]); expected the query's batch \(q.shape[0])")
        }
        if !AttentionProblem.isGrouping(heads: q.shape[1], keyValueHeads: k.shape[1]) {
            throw UserError(
                "--key: '\(key)' has \(k.shape[1]) heads, which does not divide the query's \(q.shape[1]); expected "
                    + "a divisor of \(q.shape[1]) (\(AttentionProblem.groupingChoices(heads: q.shape[1])))")
        }
        if q.shape[3] != k.shape[3] {
            throw UserError("--key: '\(key)' has head_dim \(k.shape[3]); expected the query's head_dim \(q.shape[3])")
        }
        if k.shape != v.shape {
            throw UserError("--value: '\(value)' has shape \(v.shape); expected the key's shape \(k.shape)")
        }
        let problem: AttentionProblem
        do {
            problem = try AttentionProblem(
                batch: q.shape[0], heads: q.shape[1], queryLength: q.shape[2], keyLength: k.shape[2],
                headDimension: q.shape[3], causal: causal, validKeyLengths: keyLengths, scale: scale,
                keyValueHeads: k.shape[1], window: window, elementType: types.tensor,
                keyValueElementType: types.cache)
        } catch AttentionProblemError.headDimensionForBlocks {
            throw UserError(
                "--kv-dtype: q8_0 stores blocks of \(ElementType.q8BlockValues) values along head_dim, and the "
                    + "tensors' head_dim \(q.shape[3]) is not a multiple of \(ElementType.q8BlockValues); choose "
                    + "another --kv-dtype")
        } catch {
            throw UserError(keyLengths != nil ? "--key-lengths: \(error)" : "\(error)")
        }
        func tensor(_ array: NumpyArray, _ type: ElementType, bits: ElementType) -> AttentionTensor {
            AttentionTensor(
                batch: array.shape[0], heads: array.shape[1], sequenceLength: array.shape[2],
                headDimension: array.shape[3], values: array.floatValues(as: bits), elementType: type)
        }
        return (
            problem, tensor(q, types.tensor, bits: types.tensor), tensor(k, types.cache, bits: types.cacheBits),
            tensor(v, types.cache, bits: types.cacheBits), q.element
        )
    }

    /// The storage types of Q/O and K/V: from the flags where given, each file's own type
    /// otherwise. A file whose type disagrees with its flag is refused; q8_0 quantises K and V
    /// given in any float type. `cacheBits`: how '<u2' K/V files are read.
    func elementTypes(q: NumpyArray, k: NumpyArray, v: NumpyArray) throws -> (
        tensor: ElementType, cache: ElementType, cacheBits: ElementType
    ) {
        func fileType(_ array: NumpyArray, _ flag: String, _ path: String, asked: ElementType?) throws -> ElementType {
            if let own = array.element.elementType { return own }
            guard let asked, asked == .bf16 || asked == .f16 else {
                throw UserError(
                    "\(flag) '\(path)': dtype '<u2' holds 16-bit patterns; give --dtype bf16 or --dtype f16 "
                        + "(and --kv-dtype for K and V) to say which")
            }
            return asked
        }
        let queryType = try fileType(q, "--query", query, asked: elementType)
        if let elementType, elementType != queryType {
            throw UserError(
                "--dtype \(elementType.rawValue): '\(query)' holds \(queryType.rawValue) ('\(q.element.rawValue)'); "
                    + "save the query as \(elementType.rawValue) or give --dtype \(queryType.rawValue)")
        }
        let wanted: ElementType? = keyValueElementType.map { $0.type ?? queryType }
        let bits = wanted.flatMap { $0 == .q8_0 ? nil : $0 } ?? elementType
        let keyType = try fileType(k, "--key", key, asked: bits)
        let valueType = try fileType(v, "--value", value, asked: bits)
        if wanted == .q8_0 { return (queryType, .q8_0, keyType) }
        let cacheType = wanted ?? keyType
        for (flag, path, type, array) in [("--key", key, keyType, k), ("--value", value, valueType, v)]
        where type != cacheType {
            let expected = wanted == nil ? "the key's \(cacheType.rawValue)" : "--kv-dtype \(cacheType.rawValue)"
            throw UserError(
                "\(flag) '\(path)' holds \(type.rawValue) ('\(array.element.rawValue)'), not \(expected); save K and "
                    + "V as \(cacheType.rawValue) or give --kv-dtype \(type.rawValue)")
        }
        return (queryType, cacheType, cacheType)
    }

    /// `--kv-dtype`: a type, or `same` (nil: as --dtype).
    struct KeyValueTypeRequest: Sendable {
        let type: ElementType?
    }

    static func elementType(_ text: String) throws -> ElementType {
        guard case .given(let types) = try ArgumentValues.elementTypes(text), types.count == 1 else {
            throw ArgumentValueError(expected: "one of f32, bf16, f16")
        }
        return types[0]
    }

    static func keyValueElementType(_ text: String) throws -> KeyValueTypeRequest {
        let types = try ArgumentValues.keyValueElementTypes(text)
        guard types.count == 1 else { throw ArgumentValueError(expected: "one of same, f32, bf16, f16, q8_0") }
        return KeyValueTypeRequest(type: types[0])
    }

    static func variant(_ text: String) throws -> AttentionVariant {
        let variants = try ArgumentValues.variants(text)
        guard variants.count == 1 else { throw ArgumentValueError(expected: "one variant") }
        return variants[0]
    }

    static func block(_ text: String) throws -> BlockSizeRequest {
        let blocks = try ArgumentValues.blocks(text)
        guard blocks.count == 1 else { throw ArgumentValueError(expected: "one block size or 'auto'") }
        return blocks[0]
    }

    static func threads(_ text: String) throws -> Int {
        guard let value = try? ArgumentValues.integer(text, minimum: 1), value <= SweepGrid.maximumThreads else {
            throw ArgumentValueError(expected: "1 to \(SweepGrid.maximumThreads) threads")
        }
        return value
    }

    func load(_ path: String, flag: String) throws -> NumpyArray {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserError("\(flag): cannot read '\(path)'; expected an existing .npy file")
        }
        let array: NumpyArray
        do { array = try NumpyArray.decode([UInt8](data), name: "\(flag) '\(path)'") } catch {
            throw UserError(error.description)
        }
        guard array.shape.count == 4 else {
            throw UserError(
                "\(flag) '\(path)': invalid shape \(array.shape); expected 4 dimensions [batch, heads, seq, head_dim]")
        }
        guard array.shape.allSatisfy({ $0 >= 1 }) else {
            throw UserError("\(flag) '\(path)': invalid shape \(array.shape); every dimension must be at least 1")
        }
        return array
    }

    func checkOutputWritable() throws {
        let url = URL(fileURLWithPath: output)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UserError("--output: '\(output)' is a directory; give a file path such as out.npy")
        }
        let directory = url.deletingLastPathComponent().path
        if !FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory) {
            throw UserError(
                "--output: cannot write '\(output)' (directory missing or not writable); choose a writable path")
        }
    }
}
