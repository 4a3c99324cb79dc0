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
