/// Query-block and key/value-block sizes, in rows, validated once: a `BlockSizes` value always
/// holds sizes ≥ 1 (also when decoded from a worker request). A block larger than the sequence
/// is clipped to the sequence at run time.
public struct BlockSizes: Sendable, Hashable {
    public let query: Int
    public let key: Int

    public init(query: Int, key: Int) throws(KernelConfigurationError) {
        if query < 1 { throw .blockSize(axis: "query", value: query) }
        if key < 1 { throw .blockSize(axis: "key/value", value: key) }
        self.query = query
        self.key = key
    }

    /// The blocks a kernel uses on `problem`: each axis clipped to its sequence length.
    @inline(__always)
    public func clipped(to problem: AttentionProblem) -> (query: Int, key: Int) {
        clipped(queryLength: problem.queryLength, keyLength: problem.keyLength)
    }

    /// Each axis clipped to its sequence length (at least 1).
    @inline(__always)
    public func clipped(queryLength: Int, keyLength: Int) -> (query: Int, key: Int) {
        (min(query, max(1, queryLength)), min(key, max(1, keyLength)))
    }
}

extension BlockSizes: Codable {
    enum CodingKeys: String, CodingKey { case query, key }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(query: container.decode(Int.self, forKey: .query), key: container.decode(Int.self, forKey: .key))
    }
}

/// A kernel that tiles queries and keys into blocks fixed at init. The shared preamble of the
/// blocked variants: their sizes, clipped to the problem.
public protocol BlockedAttentionKernel: AttentionKernel {
    init(blockSizes: BlockSizes)
    var blocks: BlockSizes { get }
}

extension BlockedAttentionKernel {
    public var blockSizes: BlockSizes? { blocks }

    @inline(__always)
    func effectiveBlocks(_ problem: AttentionProblem) -> (query: Int, key: Int) { blocks.clipped(to: problem) }

    /// The shared start of every blocked kernel's `run`: checks the tensors' shapes, then
    /// returns (query block, key block, head dimension, query length, key length).
    @inline(__always)
    func prepare(
        _ problem: AttentionProblem, _ query: AttentionTensor, _ key: AttentionTensor, _ value: AttentionTensor,
        _ output: AttentionTensor
    ) -> (Int, Int, Int, Int, Int) {
        problem.preconditionShapes(query: query, key: key, value: value, output: output)
        let (bq, bk) = effectiveBlocks(problem)
        return (bq, bk, problem.headDimension, problem.queryLength, problem.keyLength)
    }
}
