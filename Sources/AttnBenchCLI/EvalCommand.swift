import ArgumentParser
import AttentionKernels
import AttnBenchCore
import Foundation

/// Runs one kernel on real tensors from .npy files and writes O as .npy.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run one kernel on .npy tensors [batch, heads, seq, head_dim] (little-endian float32, C order); write O as .npy.")

    @Option(parsing: .unconditional, help: "Kernel: \(AttentionVariant.allCases.map(\.rawValue).joined(separator: ", ")).")
    var variant: String

    @Option(parsing: .unconditional, help: "Query tensor .npy, shape [batch, heads, seq_q, head_dim].")
    var query: String

    @Option(parsing: .unconditional, help: "Key tensor .npy, shape [batch, kv_heads, seq_kv, head_dim]; kv_heads divides the query's heads (grouped-query attention).")
    var key: String

    @Option(parsing: .unconditional, help: "Value tensor .npy, same shape as the key.")
    var value: String

    @Option(name: .shortAndLong, parsing: .unconditional, help: "Output .npy for O, shape [batch, heads, seq_q, head_dim].")
    var output: String

    @Flag(help: "Causal mask: query i sees keys j ≤ i + seq_kv − seq_q.")
    var causal = false

    @Option(name: .customLong("key-lengths"), parsing: .unconditional, help: "Valid key length per batch element, comma-separated (padding mask).")
    var keyLengths: String?

    @Option(parsing: .unconditional, help: "Sliding window in keys (causal: query i sees keys i−W < j ≤ i).")
    var window: Int?

    @Option(name: .customLong("block-q"), parsing: .unconditional, help: "Query block size, or 'auto' (the rule sweep uses).",
            transform: { try BlockAxisChoice.parse($0, flag: "--block-q") })
    var blockQuery: BlockAxisChoice = .automatic

    @Option(name: .customLong("block-kv"), parsing: .unconditional, help: "Key/value block size, or 'auto' (the rule sweep uses).",
            transform: { try BlockAxisChoice.parse($0, flag: "--block-kv") })
    var blockKey: BlockAxisChoice = .automatic

    @Option(parsing: .unconditional, help: "Score scale (default 1/sqrt(head_dim)).")
    var scale: Float?

    @Option(parsing: .unconditional, help: "Worker threads (default: the number of cores).")
    var threads: Int?

    func run() throws {
        guard let kind = AttentionVariant(rawValue: variant) else {
            throw UserError("--variant: invalid value '\(variant)'; expected one of \(AttentionVariant.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for (flag, choice) in [("--block-q", blockQuery), ("--block-kv", blockKey)] where choice.sizes.count != 1 {
            throw UserError("\(flag): invalid value '\(choice.sizes.compactMap { $0 }.map(String.init).joined(separator: ","))'; expected one block size or 'auto'")
        }
        if let scale, !scale.isFinite { throw UserError("--scale: invalid value '\(scale)'; expected a finite number") }
        let threadCount = threads ?? ResolvedShape.coreCount
        if threadCount < 1 || threadCount > 256 { throw UserError("--threads: invalid value '\(threadCount)'; expected 1 to 256") }
        try checkOutputWritable()

        let q = try load(query, flag: "--query")
        let k = try load(key, flag: "--key")
        let v = try load(value, flag: "--value")
        if q.shape[0] != k.shape[0] {
            throw UserError("--key: '\(key)' has batch \(k.shape[0]); expected the query's batch \(q.shape[0])")
        }
        if q.shape[1] % k.shape[1] != 0 {
            throw UserError("--key: '\(key)' has \(k.shape[1]) heads, which does not divide the query's \(q.shape[1]); expected a divisor of \(q.shape[1]) (\((1...q.shape[1]).filter { q.shape[1] % $0 == 0 }.map(String.init).joined(separator: ", ")))")
        }
        if let window, window < 1 { throw UserError("--window: invalid value '\(window)'; expected a window of at least 1 key") }
        if q.shape[3] != k.shape[3] {
            throw UserError("--key: '\(key)' has head_dim \(k.shape[3]); expected the query's head_dim \(q.shape[3])")
        }
        if k.shape != v.shape {
            throw UserError("--value: '\(value)' has shape \(v.shape); expected the key's shape \(k.shape)")
        }
        let lengths = try keyLengths.map { text -> [Int] in
            try parsingInput { try ListParsing.integers(text, flag: "--key-lengths", minimum: 0) }
        }
        let problem: AttentionProblem
        do {
            problem = try AttentionProblem(batch: q.shape[0], heads: q.shape[1], queryLength: q.shape[2], keyLength: k.shape[2],
                                           headDimension: q.shape[3], causal: causal, validKeyLengths: lengths, scale: scale,
                                           keyValueHeads: k.shape[1], window: window)
        } catch {
            throw UserError(lengths != nil ? "--key-lengths: \(error)" : "\(error)")
        }
        let tq = AttentionTensor(batch: q.shape[0], heads: q.shape[1], sequenceLength: q.shape[2], headDimension: q.shape[3], values: q.values)
        let tk = AttentionTensor(batch: k.shape[0], heads: k.shape[1], sequenceLength: k.shape[2], headDimension: k.shape[3], values: k.values)
        let tv = AttentionTensor(batch: v.shape[0], heads: v.shape[1], sequenceLength: v.shape[2], headDimension: v.shape[3], values: v.values)
        let to = AttentionTensor(batch: q.shape[0], heads: q.shape[1], sequenceLength: q.shape[2], headDimension: q.shape[3])
        let blocks = kind.isBlocked
            ? try BlockChoice.resolve(query: blockQuery.sizes[0], key: blockKey.sizes[0], queryLength: problem.queryLength,
                                      keyLength: problem.keyLength, headDimension: problem.headDimension).sizes
            : nil
        kind.makeKernel(blockSizes: blocks).run(problem, query: tq, key: tk, value: tv, output: to, threadCount: threadCount)

        let bytes = NumpyArray(shape: to.shape, values: to.toArray()).encode()
        try OutputFile.write(Data(bytes), to: output)
        printError("attnbench eval: \(kind.rawValue) on [\(problem.batch), \(problem.heads), \(problem.queryLength)×\(problem.keyLength), \(problem.headDimension)] → \(output)")
    }

    func load(_ path: String, flag: String) throws -> NumpyArray {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserError("\(flag): cannot read '\(path)'; expected an existing .npy file")
        }
        let array: NumpyArray
        do { array = try NumpyArray.decode([UInt8](data), name: "\(flag) '\(path)'") } catch { throw UserError(error.description) }
        guard array.shape.count == 4 else {
            throw UserError("\(flag) '\(path)': invalid shape \(array.shape); expected 4 dimensions [batch, heads, seq, head_dim]")
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
            throw UserError("--output: cannot write '\(output)' (directory missing or not writable); choose a writable path")
        }
    }
}
