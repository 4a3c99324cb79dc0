/// The merge step of split-KV attention (Flash-Decoding): each split s of a row's keys gave a
/// normalised partial output O_s and its log-sum-exp L_s = m_s + log l_s; then
///   M = max_s L_s,  O = Σ_s e^{L_s−M}·O_s / Σ_s e^{L_s−M}.
/// Splits with no visible key carry L_s = −∞ and weigh nothing; a row with none gets zeros.
enum SplitMerge {
    @inline(__always)
    static func merge(
        into out: UnsafeMutablePointer<Float>, headDimension d: Int, splits: Int,
        partialOutput: (Int) -> UnsafePointer<Float>, logSumExp: (Int) -> Float
    ) {
        RowOperations.fill(out, count: d, with: 0)
        var M = -Float.infinity
        for s in 0..<splits { M = max(M, logSumExp(s)) }
        if M == -.infinity { return }
        var total: Float = 0
        for s in 0..<splits {
            let L = logSumExp(s)
            if L == -.infinity { continue }
            let w = scalarExp(L - M)
            total += w
            RowOperations.combine(out, times: 1, plus: partialOutput(s), times: w, count: d)
        }
        RowOperations.scale(out, count: d, by: 1 / total)
    }
}
