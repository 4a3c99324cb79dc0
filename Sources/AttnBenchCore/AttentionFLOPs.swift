import AttentionKernels

/// The useful floating-point work of attention, written once:
///   FLOPs = 4 · d · Σ_{b,h} (visible (query, key) pairs)
/// Two multiply-adds per pair per head-dimension element: one for S = Q·Kᵀ, one for O = P·V.
/// Masked pairs (causal, key padding) are not counted, so causal attention at Sq = Skv = N
/// counts 4·B·H·d·N(N+1)/2, not 4·B·H·d·N². Softmax exponentials are not counted.
public enum AttentionFLOPs {
    public static func useful(_ problem: AttentionProblem) -> Double {
        4 * Double(problem.headDimension) * Double(problem.visiblePairCount)
    }

    /// GFLOP/s for `seconds` of wall time.
    public static func gigaflopsPerSecond(_ problem: AttentionProblem, seconds: Double) -> Double {
        seconds > 0 ? useful(problem) / seconds / 1e9 : 0
    }
}
