/// Per-row statistics of one score block, for the algorithms that keep each block's softmax
/// apart until a later merge (FlashAttention-1's m̃, P̃, l̃; Rabe & Staats' chunk summaries).
/// For each of `rows` rows of S (`columns` wide, scaled and masked):
///   m̃ = rowmax S,  S ← exp(S − m̃),  l̃ = rowsum exp(S − m̃).
/// A row with no visible key gets S = 0, m̃ = −∞ and l̃ = 0, which every merge skips.
enum BlockExponentials {
    @inline(__always)
    static func compute(
        scores S: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        rowMaximum m: UnsafeMutablePointer<Float>, rowSum l: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let row = S + r * columns
            let rowMax = RowOperations.maximum(row, count: columns)
            m[r] = rowMax
            if rowMax == -.infinity {
                RowOperations.fill(row, count: columns, with: 0)
                l[r] = 0
            } else {
                l[r] = RowOperations.exponentiateAndSum(row, count: columns, rowMaximum: rowMax)
            }
        }
    }
}
