/// FlashAttention-1 loop order (Dao et al., arXiv 2205.14135, Algorithm 1), on CPU.
///
/// Outer loop over key/value blocks j, inner loop over query blocks i. The output O and the
/// running row statistics m (max) and l (sum) live in memory for the whole sequence and are
/// read, rescaled and written back on every step:
///   S = scale·Q_i·K_jᵀ,  m̃ = rowmax S,  P̃ = exp(S − m̃),  l̃ = rowsum P̃,
///   m' = max(m, m̃),  l' = e^{m−m'}·l + e^{m̃−m'}·l̃,
///   O_i ← (l·e^{m−m'}·O_i + e^{m̃−m'}·P̃·V_j) / l'.
/// Unlike FlashAttention-2 the output is normalised at every step, and the per-step product
/// P̃·V_j goes to a scratch block before it is merged into O_i.
///
/// Parallelism: over (batch, head) slices when there are at least as many as threads;
/// otherwise, within a slice, the independent inner query blocks of one key block are shared
/// between workers. Wholly masked (i, j) block pairs are skipped.
///
/// Workspace: m and l for every query row (2·B·H·Sq floats) plus, per worker, one Bq×Bk score
/// block, one Bq×d product block and 2·Bq block statistics. O(N) memory.
public struct Flash1Attention: BlockedAttentionKernel {
    public let blocks: BlockSizes
    public var variant: AttentionVariant { .flash1 }

    public init(blockSizes: BlockSizes) { blocks = blockSizes }

    public func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int {
        let rowStatistics = 2 * problem.batch * problem.heads * problem.queryLength
        return 4 * (rowStatistics + max(1, threadCount) * perWorkerFloats(problem))
    }

    /// One score block, one P̃·V block and the block's row statistics.
    func perWorkerFloats(_ p: AttentionProblem) -> Int {
        let (bq, bk) = effectiveBlocks(p)
        return bq * bk + bq * p.headDimension + 2 * bq
    }

    public func run(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
        output: AttentionTensor, threadCount: Int
    ) {
        // Names: Bq/Bk = block rows, d = headDimension, S = scores, PV = P̃·V_j, m/l = row max/sum.
        let (Bq, Bk, d, Nq, Nk) = prepare(problem, query, key, value, output)
        let slices = problem.batch * problem.heads
        let queryBlocks = (Nq + Bq - 1) / Bq
        let keyBlocks = (Nk + Bk - 1) / Bk
        let workers = max(1, threadCount)
        let scratch = WorkerScratch(workers: workers, floatsPerWorker: perWorkerFloats(problem))
        let statistics = WorkerScratch(workers: 1, floatsPerWorker: 2 * slices * Nq)
        let mAll = statistics.buffer(worker: 0)
        let lAll = mAll + slices * Nq
        mAll.update(repeating: -.infinity, count: slices * Nq)
        lAll.update(repeating: 0, count: slices * Nq)
        let Q = query.baseAddress
        let K = key.baseAddress
        let V = value.baseAddress
        let O = output.baseAddress
        O.update(repeating: 0, count: output.elementCount)
        let scale = problem.scale

        // One (key block j, query block i) step of Algorithm 1 for one slice.
        func step(slice: Int, keyBlock j: Int, queryBlock i: Int, worker: Int) {
            let b = slice / problem.heads
            let rowStart = i * Bq
            let rows = min(Bq, Nq - rowStart)
            // Skip a wholly masked block; trim keys masked for every row of the block (beyond the
            // last row's end, before the first row's window start).
            let keyStart = max(j * Bk, problem.visibleKeyStart(batch: b, row: rowStart))
            let keyEnd = min(j * Bk + Bk, problem.visibleKeyEnd(batch: b, row: rowStart + rows - 1))
            if keyEnd <= keyStart { return }
            let columns = keyEnd - keyStart
            let S = scratch.buffer(worker: worker)
            let PV = S + Bq * Bk
            let blockMax = PV + Bq * d
            let blockSum = blockMax + Bq
            let q = Q + (slice * Nq + rowStart) * d
            let o = O + (slice * Nq + rowStart) * d
            let kv = problem.keyValueSlice(ofQuerySlice: slice) * Nk * d
            let m = mAll + slice * Nq + rowStart
            let l = lAll + slice * Nq + rowStart
            BLAS.sgemm(
                .none, .transpose, m: rows, n: columns, k: d, alpha: scale,
                a: q, lda: d, b: K + kv + keyStart * d, ldb: d, beta: 0, c: S, ldc: columns)
            problem.maskScores(
                S, leadingDimension: columns, batch: b, rowStart: rowStart, rows: rows,
                keyStart: keyStart, columns: columns)
            BlockExponentials.compute(scores: S, rows: rows, columns: columns, rowMaximum: blockMax, rowSum: blockSum)
            BLAS.sgemm(
                .none, .none, m: rows, n: d, k: columns, alpha: 1,
                a: S, lda: columns, b: V + kv + keyStart * d, ldb: d, beta: 0, c: PV, ldc: d)
            for r in 0..<rows {
                let mTilde = blockMax[r]
                if mTilde == -.infinity { continue }
                let mOld = m[r]
                let lOld = l[r]
                let mNew = max(mOld, mTilde)
                let oldWeight = mOld == -.infinity ? 0 : scalarExp(mOld - mNew)
                let newWeight = scalarExp(mTilde - mNew)
                let lNew = oldWeight * lOld + newWeight * blockSum[r]
                RowOperations.combine(
                    o + r * d, times: lOld * oldWeight / lNew,
                    plus: PV + r * d, times: newWeight / lNew, count: d)
                m[r] = mNew
                l[r] = lNew
            }
        }

        BLAS.withThreadCount(1) {
            if slices >= workers {
                ParallelFor.run(taskCount: slices, threadCount: workers) { slice, worker in
                    for j in 0..<keyBlocks {
                        for i in 0..<queryBlocks { step(slice: slice, keyBlock: j, queryBlock: i, worker: worker) }
                    }
                }
            } else {
                for slice in 0..<slices {
                    for j in 0..<keyBlocks {
                        ParallelFor.run(taskCount: queryBlocks, threadCount: workers) { i, worker in
                            step(slice: slice, keyBlock: j, queryBlock: i, worker: worker)
                        }
                    }
                }
            }
        }
    }
}
