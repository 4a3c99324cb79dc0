/// Memory-efficient attention of Rabe & Staats (arXiv 2112.05682), as the paper's JAX listing
/// runs it: `lax.scan` over query chunks, and for each query chunk `lax.map` over *all* key
/// chunks producing a summary per chunk,
///   exp_values_c = exp(S_c − m_c)·V_c,  exp_weights_c = rowsum exp(S_c − m_c),  m_c = rowmax S_c,
/// which are stored, then combined by log-sum-exp rescaling:
///   M = max_c m_c,  O = Σ_c e^{m_c−M}·exp_values_c / Σ_c e^{m_c−M}·exp_weights_c.
/// It is not an online (streaming) update: every chunk summary of a query chunk is held at
/// once, as in the paper. Like the paper's listing it visits every key chunk and applies the
/// mask as a bias — masked chunks are computed, not skipped: causal and sliding-window masks
/// change the result, not the work (the window's chunks outside it are computed and weigh
/// zero). Grouped-query K/V heads are read in place.
///
/// Parallel tasks: (batch, head, query chunk). Workspace per worker: one Bq×Bk score block
/// plus ⌈Skv/Bk⌉ summaries of Bq·(d + 2) floats, i.e. O(threads · Bq · Skv · d / Bk).
public struct ChunkedAttention: BlockedAttentionKernel {
    public let blocks: BlockSizes
    public var variant: AttentionVariant { .chunked }

    public init(blockSizes: BlockSizes) { blocks = blockSizes }

    func perWorkerFloats(_ p: AttentionProblem) -> Int {
        let (bq, bk) = effectiveBlocks(p)
        let chunks = (p.keyLength + bk - 1) / bk
        return bq * bk + chunks * bq * (p.headDimension + 2)
    }

    public func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int {
        let bq = effectiveBlocks(problem).query
        let tasks = problem.batch * problem.heads * ((problem.queryLength + bq - 1) / bq)
        return 4 * max(1, min(threadCount, tasks)) * perWorkerFloats(problem)
    }

    public func run(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
        output: AttentionTensor, threadCount: Int
    ) {
        // Names: Bq/Bk = chunk rows, d = headDimension, C = key chunk count, S = scores.
        let (Bq, Bk, d, Nq, Nk) = prepare(problem, query, key, value, output)
        let C = (Nk + Bk - 1) / Bk
        let queryChunks = (Nq + Bq - 1) / Bq
        let taskCount = problem.batch * problem.heads * queryChunks
        let workers = max(1, min(threadCount, taskCount))
        let scratch = WorkerScratch(workers: workers, floatsPerWorker: perWorkerFloats(problem))
        let Q = query.baseAddress
        let K = key.baseAddress
        let V = value.baseAddress
        let O = output.baseAddress
        let scale = problem.scale

        BLAS.withThreadCount(1) {
            ParallelFor.run(taskCount: taskCount, threadCount: workers) { task, worker in
                let slice = task / queryChunks
                let kvSlice = problem.keyValueSlice(ofQuerySlice: slice)
                let b = slice / problem.heads
                let rowStart = (task % queryChunks) * Bq
                let rows = min(Bq, Nq - rowStart)
                let q = Q + (slice * Nq + rowStart) * d
                let o = O + (slice * Nq + rowStart) * d
                let S = scratch.buffer(worker: worker)
                let values = S + Bq * Bk  // C × [Bq, d]
                let weights = values + C * Bq * d  // C × [Bq]
                let maxima = weights + C * Bq  // C × [Bq]

                // summarize_chunk for every key chunk (lax.map): all summaries are kept.
                for c in 0..<C {
                    let keyStart = c * Bk
                    let columns = min(Bk, Nk - keyStart)
                    BLAS.sgemm(
                        .none, .transpose, m: rows, n: columns, k: d, alpha: scale,
                        a: q, lda: d, b: K + (kvSlice * Nk + keyStart) * d, ldb: d, beta: 0, c: S, ldc: columns)
                    problem.maskScores(
                        S, leadingDimension: columns, batch: b, rowStart: rowStart, rows: rows,
                        keyStart: keyStart, columns: columns)
                    BlockExponentials.compute(
                        scores: S, rows: rows, columns: columns,
                        rowMaximum: maxima + c * Bq, rowSum: weights + c * Bq)
                    BLAS.sgemm(
                        .none, .none, m: rows, n: d, k: columns, alpha: 1,
                        a: S, lda: columns, b: V + (kvSlice * Nk + keyStart) * d, ldb: d,
                        beta: 0, c: values + c * Bq * d, ldc: d)
                }
                // Combine the summaries: global max, rescale, sum, divide.
                for r in 0..<rows {
                    var globalMax = -Float.infinity
                    for c in 0..<C { globalMax = max(globalMax, maxima[c * Bq + r]) }
                    let out = o + r * d
                    RowOperations.fill(out, count: d, with: 0)
                    if globalMax == -.infinity { continue }
                    var total: Float = 0
                    for c in 0..<C {
                        let chunkMax = maxima[c * Bq + r]
                        if chunkMax == -.infinity { continue }
                        let factor = scalarExp(chunkMax - globalMax)
                        total += factor * weights[c * Bq + r]
                        RowOperations.combine(out, times: 1, plus: values + (c * Bq + r) * d, times: factor, count: d)
                    }
                    RowOperations.scale(out, count: d, by: 1 / total)
                }
            }
        }
    }
}
