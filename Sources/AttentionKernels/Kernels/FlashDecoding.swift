/// Flash-Decoding (Dao, Haziza, Massa & Sizov, 2023): split-KV attention for short queries.
///
/// The keys/values of each (batch, head) are split into `splits` contiguous groups of whole
/// Bk blocks. Each (batch, head, query block, split) task runs the online softmax of
/// FlashAttention-2 over its group alone and stores a normalised partial output O_s with its
/// log-sum-exp L_s = m_s + log l_s. The partials are then merged:
///   M = max_s L_s,  O = Σ_s e^{L_s−M}·O_s / Σ_s e^{L_s−M}.
/// With a single query row, the products are matrix–vector (`sgemv`): each task streams its
/// K and V rows once, so decode runs at memory speed. Splits are chosen so there are at least
/// four tasks per thread (capped by the number of key blocks); groups wholly masked are skipped.
///
/// Workspace: partials B·H·Sq·splits·(d + 1) floats plus, per worker, one Bq×Bk score block
/// and 2·Bq row statistics.
public struct FlashDecoding: BlockedAttentionKernel {
    public let blocks: BlockSizes
    public var variant: AttentionVariant { .decode }

    public init(blockSizes: BlockSizes) { blocks = blockSizes }

    /// The number of key/value groups for this problem and thread count.
    public func splitCount(_ p: AttentionProblem, threadCount: Int) -> Int {
        let (bq, bk) = effectiveBlocks(p)
        let keyBlocks = (p.keyLength + bk - 1) / bk
        let baseTasks = p.batch * p.heads * ((p.queryLength + bq - 1) / bq)
        let wanted = (4 * max(1, threadCount) + baseTasks - 1) / baseTasks
        return max(1, min(keyBlocks, wanted))
    }

    public func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int {
        let (bq, bk) = effectiveBlocks(problem)
        let splits = splitCount(problem, threadCount: threadCount)
        let partials = problem.batch * problem.heads * problem.queryLength * splits * (problem.headDimension + 1)
        return 4 * (partials + max(1, threadCount) * (bq * bk + 2 * bq))
    }

    public func run(_ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
                    output: AttentionTensor, threadCount: Int) {
        problem.preconditionShapes(query: query, key: key, value: value, output: output)
        // Names: Bq/Bk = block rows, d = headDimension, S = scores, m/l = row max/sum,
        // P_O/P_L = partial outputs and their log-sum-exps, indexed [slice, split, row].
        let (Bq, Bk) = effectiveBlocks(problem)
        let d = problem.headDimension
        let Nq = problem.queryLength, Nk = problem.keyLength
        let slices = problem.batch * problem.heads
        let queryBlocks = (Nq + Bq - 1) / Bq
        let keyBlocks = (Nk + Bk - 1) / Bk
        let splits = splitCount(problem, threadCount: threadCount)
        let blocksPerSplit = (keyBlocks + splits - 1) / splits
        let workers = max(1, threadCount)
        let scratch = WorkerScratch(workers: workers, floatsPerWorker: Bq * Bk + 2 * Bq)
        let partialStore = WorkerScratch(workers: 1, floatsPerWorker: slices * splits * Nq * (d + 1))
        let P_O = partialStore.buffer(worker: 0)
        let P_L = P_O + slices * splits * Nq * d
        let Q = query.baseAddress, K = key.baseAddress, V = value.baseAddress, O = output.baseAddress
        let scale = problem.scale

        BLAS.withThreadCount(1) {
            ParallelFor.run(taskCount: slices * queryBlocks * splits, threadCount: workers) { task, worker in
                let split = task % splits
                let queryBlock = (task / splits) % queryBlocks
                let slice = task / (splits * queryBlocks)
                let b = slice / problem.heads
                let rowStart = queryBlock * Bq, rows = min(Bq, Nq - rowStart)
                let partialO = P_O + ((slice * splits + split) * Nq + rowStart) * d
                let partialL = P_L + (slice * splits + split) * Nq + rowStart
                let groupStart = split * blocksPerSplit * Bk
                let groupEnd = min(Nk, (split + 1) * blocksPerSplit * Bk,
                                   problem.visibleKeyEnd(batch: b, row: rowStart + rows - 1))
                partialO.update(repeating: 0, count: rows * d)
                let q = Q + (slice * Nq + rowStart) * d
                let k = K + slice * Nk * d
                let v = V + slice * Nk * d
                let S = scratch.buffer(worker: worker)
                let m = S + Bq * Bk
                let l = m + Bq
                m.update(repeating: -.infinity, count: rows)
                l.update(repeating: 0, count: rows)
                var keyStart = groupStart
                while keyStart < groupEnd {
                    let columns = min(Bk, groupEnd - keyStart)
                    if rows == 1 {
                        BLAS.sgemv(.none, rows: columns, columns: d, alpha: scale, a: k + keyStart * d, lda: d,
                                   x: q, beta: 0, y: S)
                    } else {
                        BLAS.sgemm(.none, .transpose, m: rows, n: columns, k: d, alpha: scale,
                                   a: q, lda: d, b: k + keyStart * d, ldb: d, beta: 0, c: S, ldc: columns)
                    }
                    problem.maskScores(S, leadingDimension: columns, batch: b, rowStart: rowStart, rows: rows,
                                       keyStart: keyStart, columns: columns)
                    OnlineSoftmax.step(scores: S, rows: rows, columns: columns, output: partialO, headDimension: d,
                                       rowMaximum: m, rowSum: l)
                    if rows == 1 {
                        BLAS.sgemv(.transpose, rows: columns, columns: d, alpha: 1, a: v + keyStart * d, lda: d,
                                   x: S, beta: 1, y: partialO)
                    } else {
                        BLAS.sgemm(.none, .none, m: rows, n: d, k: columns, alpha: 1,
                                   a: S, lda: columns, b: v + keyStart * d, ldb: d, beta: 1, c: partialO, ldc: d)
                    }
                    keyStart += columns
                }
                for r in 0..<rows {
                    if l[r] > 0 {
                        RowOperations.scale(partialO + r * d, count: d, by: 1 / l[r])
                        partialL[r] = m[r] + scalarLog(l[r])
                    } else {
                        partialL[r] = -.infinity
                    }
                }
            }

            // Merge the partials of each query row by log-sum-exp.
            ParallelFor.run(taskCount: slices, threadCount: workers) { slice, _ in
                for row in 0..<Nq {
                    let out = O + (slice * Nq + row) * d
                    RowOperations.fill(out, count: d, with: 0)
                    var M = -Float.infinity
                    for s in 0..<splits { M = max(M, P_L[(slice * splits + s) * Nq + row]) }
                    if M == -.infinity { continue }
                    var total: Float = 0
                    for s in 0..<splits {
                        let L = P_L[(slice * splits + s) * Nq + row]
                        if L == -.infinity { continue }
                        let w = scalarExp(L - M)
                        total += w
                        RowOperations.combine(out, times: 1, plus: P_O + ((slice * splits + s) * Nq + row) * d,
                                              times: w, count: d)
                    }
                    RowOperations.scale(out, count: d, by: 1 / total)
                }
            }
        }
    }
}
