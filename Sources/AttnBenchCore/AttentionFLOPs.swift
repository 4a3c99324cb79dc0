import AttentionKernels

/// The useful floating-point work of attention, written once:
///   FLOPs = 4 · d · Σ_{b,h} (visible (query, key) pairs)
/// Two multiply-adds per pair per head-dimension element: one for S = Q·Kᵀ, one for O = P·V.
/// Masked pairs (causal, key padding) are not counted, so causal attention at Sq = Skv = N
/// counts 4·B·H·d·N(N+1)/2, not 4·B·H·d·N². Softmax exponentials are not counted.
public enum AttentionFLOPs {
    public static func useful(_ problem: AttentionProblem) -> Double {
        Double(AttnBenchConstants.flopsPerVisibleScore) * Double(problem.headDimension)
            * Double(problem.visiblePairCount)
    }

    /// GFLOP/s for `seconds` of wall time.
    public static func gigaflopsPerSecond(_ problem: AttentionProblem, seconds: Double) -> Double {
        seconds > 0 ? useful(problem) / seconds / 1e9 : 0
    }
}

/// The bytes attention must move at least once: the K and V rows some query row sees, as
/// stored (2 · H_kv · bytes of a d-long row in kv_dtype · Σ_b keys in the batch's visible
/// span; a sliding window's older keys and padding are not read, and grouped-query heads share
/// theirs). For decode shapes (one query
/// row), reading K and V dominates, so this over the median time is the achieved bandwidth,
/// compared with the machine's memory-read bandwidth.
public enum AttentionTraffic {
    public static func keyValueBytes(_ problem: AttentionProblem) -> Double {
        var keys = 0
        for b in 0..<problem.batch { keys += problem.visibleKeySpan(batch: b).count }
        let rowBytes = problem.keyValueElementType.rowBytes(problem.headDimension)
        return 2 * Double(rowBytes) * Double(problem.keyValueHeads) * Double(keys)
    }
}
