/// The shape and options of one attention call: O = softmax(scale · Q·Kᵀ + mask) · V with
/// Q of shape [batch, heads, queryLength, headDimension] and K, V of shape
/// [batch, heads, keyLength, headDimension], all fp32 row-major.
///
/// Masking:
/// - causal: query row i sees key j only when j ≤ i + (keyLength − queryLength), i.e. the
///   queries are the *last* queryLength positions of the key sequence (the convention of
///   PyTorch's `is_causal` with a KV cache, FlashAttention ≥ 2.1 and ggml). When
///   queryLength > keyLength the first rows see no key at all.
/// - key padding: batch element b has `validKeyLengths[b]` valid keys; keys at or beyond it are
///   masked.
/// A row with no visible key yields zeros, never NaN.
public struct AttentionProblem: Sendable, Hashable {
    public let batch: Int
    public let heads: Int
    public let queryLength: Int
    public let keyLength: Int
    public let headDimension: Int
    public let causal: Bool
    /// Valid key length per batch element, or nil for no padding mask.
    public let validKeyLengths: [Int]?
    /// Multiplier of Q·Kᵀ; default 1/sqrt(headDimension).
    public let scale: Float

    public init(
        batch: Int, heads: Int, queryLength: Int, keyLength: Int, headDimension: Int,
        causal: Bool = false, validKeyLengths: [Int]? = nil, scale: Float? = nil
    ) throws(AttentionProblemError) {
        for (name, value) in [("batch", batch), ("heads", heads), ("query length", queryLength),
                              ("key length", keyLength), ("head dimension", headDimension)] where value < 1 {
            throw .nonPositive(name: name, value: value)
        }
        if let lengths = validKeyLengths {
            if lengths.count != batch { throw .keyLengthsCount(expected: batch, actual: lengths.count) }
            for (b, length) in lengths.enumerated() where length < 0 || length > keyLength {
                throw .keyLengthOutOfRange(batchIndex: b, value: length, keyLength: keyLength)
            }
        }
        let resolvedScale = scale ?? 1 / Float(headDimension).squareRoot()
        if !resolvedScale.isFinite { throw .scaleNotFinite(resolvedScale) }
        self.batch = batch
        self.heads = heads
        self.queryLength = queryLength
        self.keyLength = keyLength
        self.headDimension = headDimension
        self.causal = causal
        self.validKeyLengths = validKeyLengths
        self.scale = resolvedScale
    }

    /// keyLength − queryLength: query row i is aligned with key position i + causalOffset.
    public var causalOffset: Int { keyLength - queryLength }

    /// Keys valid for batch element b (padding mask only).
    @inline(__always)
    public func validKeys(batch b: Int) -> Int {
        validKeyLengths?[b] ?? keyLength
    }

    /// One past the last key query row `row` of batch `b` may see: keys 0..<end are visible.
    /// Always in 0...keyLength.
    @inline(__always)
    public func visibleKeyEnd(batch b: Int, row: Int) -> Int {
        var end = validKeys(batch: b)
        if causal { end = min(end, max(0, row + causalOffset + 1)) }
        return end
    }

    /// The number of (query, key) pairs that are not masked, summed over batch and heads.
    /// This is the honest work count for causal and padded attention.
    public var visiblePairCount: Int {
        var total = 0
        for b in 0..<batch {
            let valid = validKeys(batch: b)
            if !causal {
                total += valid * queryLength
            } else {
                for row in 0..<queryLength { total += min(valid, max(0, row + causalOffset + 1)) }
            }
        }
        return total * heads
    }

    public var queryElementCount: Int { batch * heads * queryLength * headDimension }
    public var keyElementCount: Int { batch * heads * keyLength * headDimension }
}

/// A problem description that cannot be run, with a message that says what to change.
public enum AttentionProblemError: Error, Equatable, CustomStringConvertible {
    case nonPositive(name: String, value: Int)
    case keyLengthsCount(expected: Int, actual: Int)
    case keyLengthOutOfRange(batchIndex: Int, value: Int, keyLength: Int)
    case scaleNotFinite(Float)

    public var description: String {
        switch self {
        case let .nonPositive(name, value):
            return "\(name) must be at least 1, got \(value)"
        case let .keyLengthsCount(expected, actual):
            return "key lengths: got \(actual) values, expected one per batch element (\(expected))"
        case let .keyLengthOutOfRange(index, value, keyLength):
            return "key lengths: value \(value) for batch element \(index) is outside 0...\(keyLength) (the key sequence length)"
        case let .scaleNotFinite(value):
            return "scale must be a finite number, got \(value)"
        }
    }
}
