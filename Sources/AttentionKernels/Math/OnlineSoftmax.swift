/// One step of the online softmax shared by FlashAttention-2 and Flash-Decoding
/// (Milakov & Gimelshein 2018; Dao 2023): for each of `rows` rows of a score block S
/// (`columns` wide, already scaled and masked), with running max m, running sum l and an
/// unnormalised output accumulator O (`headDimension` wide):
///   m' = max(m, rowmax S),  P = exp(S − m') (written over S),  l ← l·e^{m−m'} + rowsum P,
///   O ← O·e^{m−m'}  (skipped when the max does not change).
/// A row with nothing visible so far (m' = −∞) gets P = 0 and keeps m = −∞, l = 0.
/// The caller then adds P·V to O with one GEMM.
enum OnlineSoftmax {
    @inline(__always)
    static func step(
        scores S: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        output O: UnsafeMutablePointer<Float>, headDimension d: Int,
        rowMaximum m: UnsafeMutablePointer<Float>, rowSum l: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            updateRow(
                S + r * columns, columns: columns, output: O + r * d, outputCount: d, rowMaximum: &m[r], rowSum: &l[r])
        }
    }

    /// The step for one score row of `columns` and its output row of `outputCount` floats.
    @inline(__always)
    static func updateRow(
        _ row: UnsafeMutablePointer<Float>, columns: Int, output: UnsafeMutablePointer<Float>, outputCount: Int,
        rowMaximum m: inout Float, rowSum l: inout Float
    ) {
        let mOld = m
        let mNew = max(mOld, RowOperations.maximum(row, count: columns))
        if mNew == -.infinity {
            RowOperations.fill(row, count: columns, with: 0)
            return
        }
        let rowSum = RowOperations.exponentiateAndSum(row, count: columns, rowMaximum: mNew)
        if mNew != mOld && mOld != -.infinity {
            let alpha = scalarExp(mOld - mNew)
            RowOperations.scale(output, count: outputCount, by: alpha)
            l *= alpha
        }
        l += rowSum
        m = mNew
    }
}
