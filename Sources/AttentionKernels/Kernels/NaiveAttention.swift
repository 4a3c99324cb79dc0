/// Naive attention, the reference point every other variant is judged against.
///
/// S = scale · Q·Kᵀ is materialised for the whole problem ([batch, heads, Sq, Skv] floats),
/// masked with −∞ (causal, window and padding masks alike: every pair is computed), soft-maxed
/// row by row (max, exp and sum fused), then O = P·V. With grouped-query attention each query
/// head's products read its shared K/V head in place.
/// Workspace: 4 · B · H · Sq · Skv bytes, i.e. O(N²) memory.
///
/// Parallel strategy, chosen honestly per call: when there are at least two (batch, head)
/// slices per thread, each worker runs single-threaded GEMMs on whole slices (oneDNN's CPU SDPA
/// rule); otherwise the GEMMs themselves run on `threadCount` OpenBLAS threads and the softmax
/// rows are split between workers. A fixed `strategy` overrides the rule, so both can be
/// measured (`sweep --naive-strategy slices,blas`).
public struct NaiveAttention: AttentionKernel {
    public var variant: AttentionVariant { .naive }
    public var blockSizes: BlockSizes? { nil }
    /// nil: chosen per call by `automaticStrategy`.
    public let strategy: Strategy?

    public init(strategy: Strategy? = nil) { self.strategy = strategy }

    public enum Strategy: String, Sendable, CaseIterable, Codable {
        /// (batch, head) slices in parallel, one OpenBLAS thread each.
        case slices
        /// One slice at a time, OpenBLAS GEMMs on all threads.
        case blas
    }

    /// The rule used when no strategy is fixed.
    public static func automaticStrategy(_ problem: AttentionProblem, threadCount: Int) -> Strategy {
        threadCount > 1 && problem.batch * problem.heads < 2 * threadCount ? .blas : .slices
    }

    /// The strategy `run` uses for this problem and thread count.
    public func resolvedStrategy(_ problem: AttentionProblem, threadCount: Int) -> Strategy {
        strategy ?? Self.automaticStrategy(problem, threadCount: threadCount)
    }

    public func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int {
        4 * problem.batch * problem.heads * problem.queryLength * problem.keyLength
    }

    public func run(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
        output: AttentionTensor, threadCount: Int
    ) {
        problem.preconditionShapes(query: query, key: key, value: value, output: output)
        // Names: N_q = queryLength, N_k = keyLength, d = headDimension, S = scores.
        let Nq = problem.queryLength
        let Nk = problem.keyLength
        let d = problem.headDimension
        let slices = problem.batch * problem.heads
        let scoreCount = slices * Nq * Nk
        let S = AlignedMemory.allocateFloats(scoreCount)
        defer { AlignedMemory.free(S) }
        let Q = query.baseAddress
        let K = key.baseAddress
        let V = value.baseAddress
        let O = output.baseAddress
        let scale = problem.scale

        @inline(__always) func keyValueOffset(_ slice: Int) -> Int {
            problem.keyValueSlice(ofQuerySlice: slice) * Nk * d
        }
        @inline(__always) func scores(_ slice: Int) {  // S_slice = scale · Q Kᵀ
            BLAS.sgemm(
                .none, .transpose, m: Nq, n: Nk, k: d, alpha: scale,
                a: Q + slice * Nq * d, lda: d, b: K + keyValueOffset(slice), ldb: d,
                beta: 0, c: S + slice * Nq * Nk, ldc: Nk)
        }
        @inline(__always) func softmaxRows(_ slice: Int, _ rows: Range<Int>) {
            let b = slice / problem.heads
            let base = S + slice * Nq * Nk
            problem.maskScores(
                base + rows.lowerBound * Nk, leadingDimension: Nk, batch: b,
                rowStart: rows.lowerBound, rows: rows.count, keyStart: 0, columns: Nk)
            for i in rows {
                let row = base + i * Nk
                let m = RowOperations.maximum(row, count: Nk)
                if m == -.infinity {
                    RowOperations.fill(row, count: Nk, with: 0)
                    continue
                }
                let sum = RowOperations.exponentiateAndSum(row, count: Nk, rowMaximum: m)
                RowOperations.scale(row, count: Nk, by: 1 / sum)
            }
        }
        @inline(__always) func values(_ slice: Int) {  // O_slice = P V
            BLAS.sgemm(
                .none, .none, m: Nq, n: d, k: Nk, alpha: 1,
                a: S + slice * Nq * Nk, lda: Nk, b: V + keyValueOffset(slice), ldb: d,
                beta: 0, c: O + slice * Nq * d, ldc: d)
        }

        switch resolvedStrategy(problem, threadCount: threadCount) {
        case .slices:
            BLAS.withThreadCount(1) {
                ParallelFor.run(taskCount: slices, threadCount: threadCount) { slice, _ in
                    scores(slice)
                    softmaxRows(slice, 0..<Nq)
                    values(slice)
                }
            }
        case .blas:
            let rowGroup = 64
            let groups = (Nq + rowGroup - 1) / rowGroup
            for slice in 0..<slices {
                BLAS.withThreadCount(threadCount) { scores(slice) }
                BLAS.withThreadCount(1) {
                    ParallelFor.run(taskCount: groups, threadCount: threadCount) { g, _ in
                        softmaxRows(slice, (g * rowGroup)..<min(Nq, (g + 1) * rowGroup))
                    }
                }
                BLAS.withThreadCount(threadCount) { values(slice) }
            }
        }
    }
}
