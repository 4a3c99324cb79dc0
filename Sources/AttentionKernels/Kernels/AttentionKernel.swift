/// The attention algorithms attnbench compares. Raw values are the names used on the command
/// line and in the CSV `variant` column.
public enum AttentionVariant: String, CaseIterable, Sendable, Codable {
    /// S = scale·QKᵀ materialised for the whole problem, softmax, O = PV.
    case naive
    /// Rabe & Staats (arXiv 2112.05682): per key chunk summaries, combined by log-sum-exp.
    case chunked
    /// FlashAttention-1 loop order (arXiv 2205.14135): key blocks outer, query blocks inner.
    case flash1
    /// FlashAttention-2 loop order (arXiv 2307.08691): query blocks outer, deferred normalisation.
    case flash2
    /// Flash-Decoding: split-KV partial outputs merged by log-sum-exp.
    case decode
    /// FlashAttention-2 loop order with SIMD micro-kernels and no BLAS call (split-KV for decode).
    case fused

    /// Whether the variant takes block sizes.
    public var isBlocked: Bool { self != .naive }
}

public enum KernelConfigurationError: Error, Equatable, CustomStringConvertible {
    case blockSize(axis: String, value: Int)
    case shapeMismatch(tensor: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case let .blockSize(axis, value):
            return "\(axis) block size must be at least 1, got \(value)"
        case let .shapeMismatch(tensor, expected, actual):
            return "\(tensor) has shape \(actual), expected \(expected)"
        }
    }
}

/// One attention algorithm with its block sizes fixed at init. `run` computes
/// O = softmax(scale·QKᵀ + mask)·V for `problem` into `output`, using `threadCount` workers.
public protocol AttentionKernel: Sendable {
    var variant: AttentionVariant { get }
    /// Block sizes, or nil for a kernel that does not block (naive).
    var blockSizes: BlockSizes? { get }
    func run(_ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
             output: AttentionTensor, threadCount: Int)
    /// Bytes the algorithm needs beyond its inputs and output, from its own formula.
    func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int
}

extension AttentionVariant {
    /// Builds the kernel for this variant. Blocked variants need `blockSizes`; naive takes
    /// `naiveStrategy` (nil: its automatic rule) and no blocks.
    public func makeKernel(blockSizes: BlockSizes?, naiveStrategy: NaiveAttention.Strategy? = nil) -> any AttentionKernel {
        precondition(isBlocked == (blockSizes != nil),
                     "\(rawValue): block sizes \(blockSizes.map { "\($0.query)x\($0.key)" } ?? "none") given to a kernel that \(isBlocked ? "needs" : "takes no") blocks")
        switch self {
        case .naive: return NaiveAttention(strategy: naiveStrategy)
        case .chunked: return ChunkedAttention(blockSizes: blockSizes!)
        case .flash1: return Flash1Attention(blockSizes: blockSizes!)
        case .flash2: return Flash2Attention(blockSizes: blockSizes!)
        case .decode: return FlashDecoding(blockSizes: blockSizes!)
        case .fused: return FusedAttention(blockSizes: blockSizes!)
        }
    }
}

extension AttentionProblem {
    /// Checks that the tensors have the shapes this problem needs.
    public func checkShapes(query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
                            output: AttentionTensor) throws(KernelConfigurationError) {
        let q = [batch, heads, queryLength, headDimension]
        let kv = [batch, keyValueHeads, keyLength, headDimension]
        if query.shape != q { throw .shapeMismatch(tensor: "query", expected: q, actual: query.shape) }
        if key.shape != kv { throw .shapeMismatch(tensor: "key", expected: kv, actual: key.shape) }
        if value.shape != kv { throw .shapeMismatch(tensor: "value", expected: kv, actual: value.shape) }
        if output.shape != q { throw .shapeMismatch(tensor: "output", expected: q, actual: output.shape) }
    }

    @inline(__always)
    func preconditionShapes(query: AttentionTensor, key: AttentionTensor, value: AttentionTensor, output: AttentionTensor) {
        do { try checkShapes(query: query, key: key, value: value, output: output) } catch {
            preconditionFailure("attention kernel called with mismatched tensors: \(error)")
        }
    }

    /// Writes −∞ into the masked entries of a score block. The block holds query rows
    /// rowStart..<rowStart+rows and keys keyStart..<keyStart+columns, leading dimension ld.
    /// A row's visible keys start..<end both move right with the row, so the block needs no
    /// mask when its first row sees up to keyEnd and its last row from keyStart.
    @inline(__always)
    func maskScores(_ scores: UnsafeMutablePointer<Float>, leadingDimension ld: Int, batch b: Int,
                    rowStart: Int, rows: Int, keyStart: Int, columns: Int) {
        let keyEnd = keyStart + columns
        if visibleKeyEnd(batch: b, row: rowStart) >= keyEnd && visibleKeyStart(batch: b, row: rowStart + rows - 1) <= keyStart {
            return
        }
        for r in 0..<rows { maskRow(scores + r * ld, batch: b, position: rowStart + r, keyStart: keyStart, columns: columns) }
    }

    /// The same for a block whose rows are the query rows of several heads of one group, stacked
    /// (row r is query position r % queryLength).
    @inline(__always)
    func maskGroupedScores(_ scores: UnsafeMutablePointer<Float>, leadingDimension ld: Int, batch b: Int,
                           rowStart: Int, rows: Int, keyStart: Int, columns: Int) {
        for r in 0..<rows {
            maskRow(scores + r * ld, batch: b, position: (rowStart + r) % queryLength, keyStart: keyStart, columns: columns)
        }
    }

    @inline(__always)
    func maskRow(_ row: UnsafeMutablePointer<Float>, batch b: Int, position: Int, keyStart: Int, columns: Int) {
        let start = visibleKeyStart(batch: b, row: position), end = visibleKeyEnd(batch: b, row: position)
        let keyEnd = keyStart + columns
        let lowMasked = min(max(start, keyStart), keyEnd) - keyStart
        if lowMasked > 0 { row.update(repeating: -.infinity, count: lowMasked) }
        let firstHighMasked = max(min(end, keyEnd), keyStart + lowMasked) - keyStart
        if firstHighMasked < columns { (row + firstHighMasked).update(repeating: -.infinity, count: columns - firstHighMasked) }
    }
}
