/// The shape and options of one attention call: O = softmax(scale · Q·Kᵀ + mask) · V with
/// Q of shape [batch, heads, queryLength, headDimension] and K, V of shape
/// [batch, keyValueHeads, keyLength, headDimension], row-major. Q and O are stored as
/// `elementType`, K and V as `keyValueElementType` (fp32 unless given; see `ElementType`).
///
/// Grouped-query attention: `heads / keyValueHeads` query heads share one K/V head; query head
/// h reads K/V head h / (heads / keyValueHeads) in place (keyValueHeads = heads: multi-head;
/// 1: multi-query).
///
/// Masking, with p(i) = i + (keyLength − queryLength) the key position query row i is aligned
/// with (the queries are the *last* queryLength positions of the key sequence, the convention
/// of PyTorch's `is_causal` with a KV cache, FlashAttention ≥ 2.1 and ggml):
/// - causal: row i sees key j only when j ≤ p(i). When queryLength > keyLength the first rows
///   see no key at all.
/// - sliding window W: row i sees key j only when p(i) − W < j ≤ p(i) (Mistral, Gemma 2's local
///   layers). A window is causal: setting one sets `causal`.
/// - key padding: batch element b has `validKeyLengths[b]` valid keys; keys at or beyond it are
///   masked.
/// A row with no visible key yields zeros, never NaN.
public struct AttentionProblem: Sendable, Hashable {
    public let batch: Int
    public let heads: Int
    /// K/V heads; divides `heads`.
    public let keyValueHeads: Int
    public let queryLength: Int
    public let keyLength: Int
    public let headDimension: Int
    public let causal: Bool
    /// Sliding-window width in keys, or nil for none.
    public let window: Int?
    /// Valid key length per batch element, or nil for no padding mask.
    public let validKeyLengths: [Int]?
    /// Multiplier of Q·Kᵀ; default 1/sqrt(headDimension).
    public let scale: Float
    /// Storage type of Q and O.
    public let elementType: ElementType
    /// Storage type of K and V (the K/V cache).
    public let keyValueElementType: ElementType

    public init(
        batch: Int, heads: Int, queryLength: Int, keyLength: Int, headDimension: Int,
        causal: Bool = false, validKeyLengths: [Int]? = nil, scale: Float? = nil,
        keyValueHeads: Int? = nil, window: Int? = nil, elementType: ElementType = .f32,
        keyValueElementType: ElementType? = nil
    ) throws(AttentionProblemError) {
        for (name, value) in [
            ("batch", batch), ("heads", heads), ("query length", queryLength),
            ("key length", keyLength), ("head dimension", headDimension),
        ] where value < 1 {
            throw .nonPositive(name: name, value: value)
        }
        let kvHeads = keyValueHeads ?? heads
        if !Self.isGrouping(heads: heads, keyValueHeads: kvHeads) {
            throw .keyValueHeads(heads: heads, keyValueHeads: kvHeads)
        }
        if let window, window < 1 { throw .window(window) }
        if let lengths = validKeyLengths {
            if lengths.count != batch { throw .keyLengthsCount(expected: batch, actual: lengths.count) }
            for (b, length) in lengths.enumerated() where length < 0 || length > keyLength {
                throw .keyLengthOutOfRange(batchIndex: b, value: length, keyLength: keyLength)
            }
        }
        if !elementType.isTensorType { throw .blockTypeForTensor(elementType) }
        let kvType = keyValueElementType ?? elementType
        if !kvType.canStoreRows(of: headDimension) {
            throw .headDimensionForBlocks(type: kvType, headDimension: headDimension)
        }
        let resolvedScale = scale ?? 1 / Float(headDimension).squareRoot()
        if !resolvedScale.isFinite { throw .scaleNotFinite(resolvedScale) }
        self.batch = batch
        self.heads = heads
        self.keyValueHeads = kvHeads
        self.queryLength = queryLength
        self.keyLength = keyLength
        self.headDimension = headDimension
        self.causal = causal || window != nil
        self.window = window
        self.validKeyLengths = validKeyLengths
        self.scale = resolvedScale
        self.elementType = elementType
        self.keyValueElementType = kvType
    }

    /// Whether every tensor is fp32.
    public var isAllFloat32: Bool { elementType == .f32 && keyValueElementType == .f32 }

    /// Whether `keyValueHeads` K/V heads can serve `heads` query heads: it divides them.
    public static func isGrouping(heads: Int, keyValueHeads: Int) -> Bool {
        keyValueHeads >= 1 && heads >= 1 && heads % keyValueHeads == 0
    }

    /// The K/V head counts that can serve `heads` query heads, e.g. "1, 2, 4, 8" for 8.
    public static func groupingChoices(heads: Int) -> String {
        (1...max(1, heads)).filter { heads % $0 == 0 }.map(String.init).joined(separator: ", ")
    }

    /// keyLength − queryLength: query row i is aligned with key position i + causalOffset.
    public var causalOffset: Int { keyLength - queryLength }

    /// Keys valid for batch element b (padding mask only).
    @inline(__always)
    public func validKeys(batch b: Int) -> Int {
        validKeyLengths?[b] ?? keyLength
    }

    /// Query heads per K/V head.
    public var groupSize: Int { heads / keyValueHeads }

    /// The (batch, K/V head) slice that query slice `slice` (= b·heads + h) reads.
    @inline(__always)
    public func keyValueSlice(ofQuerySlice slice: Int) -> Int {
        (slice / heads) * keyValueHeads + (slice % heads) / groupSize
    }

    /// One past the last key query row `row` of batch `b` may see. Always in 0...keyLength,
    /// non-decreasing in the row.
    @inline(__always)
    public func visibleKeyEnd(batch b: Int, row: Int) -> Int {
        var end = validKeys(batch: b)
        if causal { end = min(end, max(0, row + causalOffset + 1)) }
        return end
    }

    /// The first key query row `row` may see: keys visibleKeyStart..<visibleKeyEnd are visible
    /// (none when start ≥ end). 0 without a window; non-decreasing in the row.
    @inline(__always)
    public func visibleKeyStart(batch b: Int, row: Int) -> Int {
        guard let window else { return 0 }
        return min(keyLength, max(0, row + causalOffset - window + 1))
    }

    /// The number of (query, key) pairs that are not masked, summed over batch and heads.
    /// This is the honest work count for causal, windowed and padded attention.
    public var visiblePairCount: Int {
        var total = 0
        for b in 0..<batch {
            let valid = validKeys(batch: b)
            if !causal {
                total += valid * queryLength
            } else {
                for row in 0..<queryLength {
                    total += max(0, visibleKeyEnd(batch: b, row: row) - visibleKeyStart(batch: b, row: row))
                }
            }
        }
        return total * heads
    }

    /// Keys some query row of batch `b` sees: visibleKeyStart(first row)..<visibleKeyEnd(last row).
    public func visibleKeySpan(batch b: Int) -> Range<Int> {
        let start = visibleKeyStart(batch: b, row: 0)
        let end = visibleKeyEnd(batch: b, row: queryLength - 1)
        return start..<max(start, end)
    }

    public var queryElementCount: Int { batch * heads * queryLength * headDimension }
    public var keyElementCount: Int { batch * keyValueHeads * keyLength * headDimension }
}

/// A problem description that cannot be run, with a message that says what to change.
public enum AttentionProblemError: Error, Equatable, CustomStringConvertible {
    case nonPositive(name: String, value: Int)
    case keyLengthsCount(expected: Int, actual: Int)
    case keyLengthOutOfRange(batchIndex: Int, value: Int, keyLength: Int)
    case scaleNotFinite(Float)
    case keyValueHeads(heads: Int, keyValueHeads: Int)
    case window(Int)
    case blockTypeForTensor(ElementType)
    case headDimensionForBlocks(type: ElementType, headDimension: Int)

    public var description: String {
        switch self {
        case let .nonPositive(name, value):
            return "\(name) must be at least 1, got \(value)"
        case let .keyLengthsCount(expected, actual):
            return "key lengths: got \(actual) values, expected one per batch element (\(expected))"
        case let .keyLengthOutOfRange(index, value, keyLength):
            return
                "key lengths: value \(value) for batch element \(index) is outside 0...\(keyLength) (the key sequence "
                + "length)"
        case let .scaleNotFinite(value):
            return "scale must be a finite number, got \(value)"
        case let .keyValueHeads(heads, keyValueHeads):
            return
                "key/value heads: \(keyValueHeads) does not divide the \(heads) query heads; use a divisor of "
                + "\(heads) (\(divisors(heads).map(String.init).joined(separator: ", ")))"
        case let .window(value):
            return "window must be at least 1 key, got \(value)"
        case let .blockTypeForTensor(type):
            return
                "element type \(type.rawValue) stores K/V caches only; give Q and O f32, bf16 or f16 and K/V "
                + "\(type.rawValue) as the K/V type"
        case let .headDimensionForBlocks(type, headDimension):
            return
                "K/V type \(type.rawValue) stores blocks of \(ElementType.q8BlockValues) values along the head "
                + "dimension, which \(headDimension) is not a multiple of; use a head dimension that is a multiple of "
                + "\(ElementType.q8BlockValues), or K/V type f16"
        }
    }
}

private func divisors(_ n: Int) -> [Int] { (1...max(1, n)).filter { n % $0 == 0 } }
