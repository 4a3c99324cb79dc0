/// FlashAttention-2 loop order (Dao, arXiv 2307.08691), on CPU.
///
/// For each (batch, head, query block of Bq rows) — the parallel tasks — the key/value blocks
/// of Bk rows are visited in order with an online softmax:
///   S = scale·Q_i·K_jᵀ,  m' = max(m, rowmax S),  P = exp(S − m'),
///   l ← l·e^{m−m'} + rowsum P,  O_i ← O_i·e^{m−m'} + P·V_j,
/// and O_i is divided by l once, after the last block (deferred normalisation). The rescale is
/// skipped when a row's maximum does not change. Keys every row of the query block sees (rounded
/// to multiples of 16) are processed in whole Bk blocks without a mask; keys no row sees are
/// never computed, so a sliding window of W keys costs O(N·W), not O(N²); the masked bands at
/// the causal diagonal and the window's lower edge are processed in 32-row groups, each
/// trimmed to its own rows' keys and masked element-wise. Causal tasks are handed out longest
/// first across all (batch, head) slices. Grouped-query K/V heads are read in place.
///
/// Workspace per worker: one Bq×Bk score block plus 2·Bq row statistics (m, l); O_i lives in
/// the output. Memory is O(threads · Bq · Bk), independent of the sequence length.
public struct Flash2Attention: BlockedAttentionKernel {
    public let blocks: BlockSizes
    public var variant: AttentionVariant { .flash2 }

    /// Rows per group on chunks that cross the causal diagonal.
    static let diagonalGroupRows = 32

    public init(blockSizes: BlockSizes) { blocks = blockSizes }

    public func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int {
        let (bq, bk) = effectiveBlocks(problem)
        let workers = max(1, min(threadCount, problem.batch * problem.heads * ((problem.queryLength + bq - 1) / bq)))
        return 4 * workers * (bq * bk + 2 * bq)
    }

    public func run(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
        output: AttentionTensor, threadCount: Int
    ) {
        // Names: Bq/Bk = query/key block rows, d = headDimension, S = scores, m/l = row max/sum.
        let (Bq, Bk, d, Nq, Nk) = prepare(problem, query, key, value, output)
        let queryBlocks = (problem.queryLength + Bq - 1) / Bq
        let slices = problem.batch * problem.heads
        let taskCount = slices * queryBlocks
        let workers = max(1, min(threadCount, taskCount))
        let scratch = WorkerScratch(workers: workers, floatsPerWorker: Bq * Bk + 2 * Bq)
        let Q = query.baseAddress
        let K = key.baseAddress
        let V = value.baseAddress
        let O = output.baseAddress
        let scale = problem.scale

        BLAS.withThreadCount(1) {
            ParallelFor.run(taskCount: taskCount, threadCount: workers) { task, worker in
                let (slice, queryBlock) = problem.queryBlockTask(task, slices: slices, queryBlocks: queryBlocks)
                let b = slice / problem.heads
                let rowStart = queryBlock * Bq
                let rows = min(Bq, Nq - rowStart)
                let q = Q + (slice * Nq + rowStart) * d
                let o = O + (slice * Nq + rowStart) * d
                let kv = problem.keyValueSlice(ofQuerySlice: slice) * Nk * d
                let k = K + kv
                let v = V + kv
                let S = scratch.buffer(worker: worker)
                let m = S + Bq * Bk
                let l = m + Bq
                o.update(repeating: 0, count: rows * d)
                m.update(repeating: -.infinity, count: rows)
                l.update(repeating: 0, count: rows)

                // One online-softmax step: rows groupStart..<groupStart+gRows of the block
                // against keys keyStart..<keyStart+columns.
                func step(groupStart: Int, groupRows gRows: Int, keyStart: Int, columns: Int, masked: Bool) {
                    let gq = q + groupStart * d
                    let go = o + groupStart * d
                    BLAS.sgemm(
                        .none, .transpose, m: gRows, n: columns, k: d, alpha: scale,
                        a: gq, lda: d, b: k + keyStart * d, ldb: d, beta: 0, c: S, ldc: columns)
                    if masked {
                        problem.maskScores(
                            S, leadingDimension: columns, batch: b, rowStart: rowStart + groupStart,
                            rows: gRows, keyStart: keyStart, columns: columns)
                    }
                    OnlineSoftmax.step(
                        scores: S, rows: gRows, columns: columns, output: go, headDimension: d,
                        rowMaximum: m + groupStart, rowSum: l + groupStart)
                    BLAS.sgemm(
                        .none, .none, m: gRows, n: d, k: columns, alpha: 1,
                        a: S, lda: columns, b: v + keyStart * d, ldb: d, beta: 1, c: go, ldc: d)
                }

                // Keys every row of the block sees — from the last row's window start (rounded up)
                // to the first row's end (rounded down), multiples of 16 so the masked columns
                // stay SIMD-aligned — go in whole blocks without a mask. Keys no row sees are never
                // computed. The two masked bands beside them (the window's lower edge, the causal
                // diagonal) go in groups of `diagonalGroupRows` rows, each trimmed to its own rows'
                // keys and masked element-wise, so a band costs one small group per block.
                let firstStart = problem.visibleKeyStart(batch: b, row: rowStart)
                let lastStart = problem.visibleKeyStart(batch: b, row: rowStart + rows - 1)
                let firstEnd = problem.visibleKeyEnd(batch: b, row: rowStart)
                let lastEnd = problem.visibleKeyEnd(batch: b, row: rowStart + rows - 1)
                let sharedStart = firstStart == lastStart ? lastStart : (lastStart + 15) / 16 * 16
                let sharedEnd = firstEnd == lastEnd ? firstEnd : firstEnd / 16 * 16
                let hasShared = sharedStart < sharedEnd
                var keyStart = sharedStart
                while hasShared && keyStart < sharedEnd {
                    let columns = min(Bk, sharedEnd - keyStart)
                    step(groupStart: 0, groupRows: rows, keyStart: keyStart, columns: columns, masked: false)
                    keyStart += columns
                }
                var groupStart = 0
                while groupStart < rows {
                    let gRows = min(Self.diagonalGroupRows, rows - groupStart)
                    let groupLow = problem.visibleKeyStart(batch: b, row: rowStart + groupStart)
                    let groupHigh = problem.visibleKeyEnd(batch: b, row: rowStart + groupStart + gRows - 1)
                    let bands =
                        hasShared
                        ? [(groupLow, min(sharedStart, groupHigh)), (max(sharedEnd, groupLow), groupHigh)]
                        : [(groupLow, groupHigh)]
                    for (bandStart, bandEnd) in bands {
                        var keyStart = bandStart
                        while keyStart < bandEnd {
                            let columns = min(Bk, bandEnd - keyStart)
                            step(
                                groupStart: groupStart, groupRows: gRows, keyStart: keyStart, columns: columns,
                                masked: true)
                            keyStart += columns
                        }
                    }
                    groupStart += gRows
                }
                for r in 0..<rows {
                    if l[r] > 0 {
                        RowOperations.scale(o + r * d, count: d, by: 1 / l[r])
                    } else {
                        RowOperations.fill(o + r * d, count: d, with: 0)
                    }
                }
            }
        }
    }
}
