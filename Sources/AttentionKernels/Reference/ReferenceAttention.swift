#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A slow, obviously correct float64 attention (no BLAS), used by the tests and by every
/// sweep row's `max_abs_error`. It follows the definition directly:
///   o_i = Σ_j softmax_j(scale · q_i·k_j over visible j) · v_j,  zero when no key is visible.
/// It reads the values the tensors store (bf16, fp16 or q8_0 widened exactly), so an error
/// against it is the kernel's own arithmetic, not the rounding of its inputs.
public enum ReferenceAttention {
    /// The float64 output row for (batch b, head h, query row i), length headDimension.
    public static func row(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor,
        value: AttentionTensor, batch b: Int, head h: Int, row i: Int
    ) -> [Double] {
        let d = problem.headDimension
        let start = problem.visibleKeyStart(batch: b, row: i)
        let end = problem.visibleKeyEnd(batch: b, row: i)
        var result = [Double](repeating: 0, count: d)
        if end <= start { return result }
        let kvHead = h / problem.groupSize
        var q = [Float](repeating: 0, count: d)
        var row = [Float](repeating: 0, count: d)
        q.withUnsafeMutableBufferPointer { query.widenRow(batch: b, head: h, row: i, into: $0.baseAddress!) }
        let scale = Double(problem.scale)
        var scores = [Double](repeating: 0, count: end)
        var maximum = -Double.infinity
        for j in start..<end {
            row.withUnsafeMutableBufferPointer { key.widenRow(batch: b, head: kvHead, row: j, into: $0.baseAddress!) }
            var dot = 0.0
            for c in 0..<d { dot += Double(q[c]) * Double(row[c]) }
            scores[j] = dot * scale
            maximum = Swift.max(maximum, scores[j])
        }
        var sum = 0.0
        for j in start..<end {
            row.withUnsafeMutableBufferPointer { value.widenRow(batch: b, head: kvHead, row: j, into: $0.baseAddress!) }
            let w = exp(scores[j] - maximum)
            sum += w
            for c in 0..<d { result[c] += w * Double(row[c]) }
        }
        for c in 0..<d { result[c] /= sum }
        return result
    }

    /// The largest |output − reference| over the listed rows, and where it happened.
    public struct ErrorReport: Sendable {
        public var maxAbsError: Double = 0
        public var worst: (batch: Int, head: Int, row: Int, column: Int, expected: Double, actual: Float)? = nil
        public var rowsChecked = 0
        public var nonFinite = false
    }

    /// Compares `output` with the reference on the rows `rows` (each (batch, head, row)).
    public static func compare(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor,
        value: AttentionTensor, output: AttentionTensor,
        rows: [(batch: Int, head: Int, row: Int)]
    ) -> ErrorReport {
        var report = ErrorReport()
        let d = problem.headDimension
        var actualRow = [Float](repeating: 0, count: d)
        for (b, h, i) in rows {
            actualRow.withUnsafeMutableBufferPointer {
                output.widenRow(batch: b, head: h, row: i, into: $0.baseAddress!)
            }
            let expected = row(problem, query: query, key: key, value: value, batch: b, head: h, row: i)
            for c in 0..<d {
                let actual = actualRow[c]
                if !actual.isFinite { report.nonFinite = true }
                let error = actual.isFinite ? abs(Double(actual) - expected[c]) : .infinity
                if error > report.maxAbsError || report.worst == nil {
                    if error >= report.maxAbsError {
                        report.maxAbsError = error
                        report.worst = (b, h, i, c, expected[c], actual)
                    }
                }
            }
            report.rowsChecked += 1
        }
        return report
    }

    /// Every row when the full reference costs at most `budgetMultiplyAdds`, otherwise a seeded
    /// sample: for each (batch, head), the first and last rows, the causal boundary rows and
    /// random rows, so that at most about `budgetMultiplyAdds` are spent.
    public static func rowsToCheck(
        _ problem: AttentionProblem, budgetMultiplyAdds: Int = 50_000_000,
        seed: UInt64 = 0x5EED
    ) -> [(batch: Int, head: Int, row: Int)] {
        let perRow = 2 * problem.keyLength * problem.headDimension
        let allRows = problem.batch * problem.heads * problem.queryLength
        if allRows * perRow <= budgetMultiplyAdds {
            var rows: [(Int, Int, Int)] = []
            rows.reserveCapacity(allRows)
            for b in 0..<problem.batch {
                for h in 0..<problem.heads { for i in 0..<problem.queryLength { rows.append((b, h, i)) } }
            }
            return rows.map { (batch: $0.0, head: $0.1, row: $0.2) }
        }
        let total = max(problem.batch * problem.heads * 2, budgetMultiplyAdds / max(1, perRow))
        var generator = SplitMix64(seed: seed)
        var rows: [(batch: Int, head: Int, row: Int)] = []
        let slices = problem.batch * problem.heads
        let perSlice = max(2, total / slices)
        for b in 0..<problem.batch {
            for h in 0..<problem.heads {
                var chosen: Set<Int> = [0, problem.queryLength - 1]
                while chosen.count < min(perSlice, problem.queryLength) {
                    chosen.insert(Int(generator.next() % UInt64(problem.queryLength)))
                }
                for i in chosen.sorted() { rows.append((b, h, i)) }
            }
        }
        return rows
    }
}
