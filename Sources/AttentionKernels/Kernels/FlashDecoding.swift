/// Flash-Decoding (Dao, Haziza, Massa & Sizov, 2023): split-KV attention for short queries.
///
/// The keys/values of each (batch, head) are split into `splits` contiguous groups of whole
/// Bk blocks. Each (batch, head, query block, split) task runs the online softmax of
/// FlashAttention-2 over its group alone and stores a normalised partial output O_s with its
/// log-sum-exp L_s = m_s + log l_s. The partials are then merged:
///   M = max_s L_s,  O = Σ_s e^{L_s−M}·O_s / Σ_s e^{L_s−M}.
/// With a single query row, the products are matrix–vector (`sgemv`): each task streams its
/// K and V rows once, so decode runs at memory speed. Splits are chosen so there are at least
/// four tasks per thread (capped by the number of key blocks); only the keys some row of the
/// task sees are split (a sliding window's earlier keys are never read).
///
/// Grouped-query attention: when the whole query fits one block (Bq ≥ Sq), the G = H/H_kv query
/// heads sharing a K/V head are stacked into one block of G·Sq rows (they are adjacent in Q
/// and O), so each K/V block is read from memory once per group, not once per query head: G
/// times the work per byte read. Up to 8 rows compute their scores with one matrix–vector
/// product per row on the K block while it is in L2, and P·V with one sgemm (α = 1, β = 0,
/// no transposes: the call OpenBLAS's AVX-512 cores run without packing) into an R×d tile
/// that is then added to the partial output; more rows use one sgemm for each product.
///
/// Element types: the products are fp32 `sgemv`/`sgemm` calls, so Q, K and V of another type are
/// widened (exactly) to fp32 where they are read — K and V block by block into per-worker tiles
/// right before their products, Q's rows once per task — and each merged output row is rounded to
/// O's type (nearest even), the only rounding beyond fp32 arithmetic. Where a task's query rows
/// are one block (one-token decode, a group's rows stacked) each K/V value is read, and widened,
/// once, as a per-slice copy would widen it, and no fp32 copy of the cache is held: only the
/// stored bytes count against a memory budget.
///
/// Workspace: partials B·H·Sq·splits·(d + 1) floats plus, per worker, one R×Bk score block,
/// one R×d product tile and 2·R row statistics, R = G·Sq when heads are stacked, else Bq; and
/// per worker Bk·d floats for each of K and V not stored in fp32, R·d for Q and d for O.
public struct FlashDecoding: BlockedAttentionKernel {
    public let blocks: BlockSizes
    public var variant: AttentionVariant { .decode }

    public init(blockSizes: BlockSizes) { blocks = blockSizes }

    /// Blocks of at most this many rows compute scores with one `sgemv` per row instead of one
    /// `sgemm`: OpenBLAS packs both operands of a transposed sgemm, which for a few rows costs
    /// more than the product (llama-3-8b decode shapes, 2 threads: K/V read at 12 GB/s with a
    /// 4-row Q·Kᵀ sgemm). P·V of the same rows is an untransposed product with β = 0, which
    /// OpenBLAS's AVX-512 cores run on the operands in place and its other cores at least as
    /// fast as one `sgemv` per row.
    static let matrixVectorRows = 8

    /// How tasks see the problem: slices of rows sharing one K/V head, cut into row blocks.
    struct Layout {
        /// Query heads of a group are stacked into one block (Bq ≥ Sq and G > 1).
        let stacked: Bool
        let slices: Int
        let rowsPerSlice: Int
        let blockRows: Int
        var rowBlocks: Int { (rowsPerSlice + blockRows - 1) / blockRows }

        init(_ p: AttentionProblem, queryBlock bq: Int) {
            stacked = p.groupSize > 1 && bq >= p.queryLength
            slices = p.batch * (stacked ? p.keyValueHeads : p.heads)
            rowsPerSlice = stacked ? p.groupSize * p.queryLength : p.queryLength
            blockRows = stacked ? rowsPerSlice : bq
        }
    }

    /// Keys the splits divide: those visible to some query row.
    static func keySpan(_ p: AttentionProblem) -> Int {
        p.window.map { min(p.keyLength, $0 + p.queryLength - 1) } ?? p.keyLength
    }

    /// The number of key/value groups for this problem and thread count.
    public func splitCount(_ p: AttentionProblem, threadCount: Int) -> Int {
        let (bq, bk) = effectiveBlocks(p)
        let layout = Layout(p, queryBlock: bq)
        let keyBlocks = (Self.keySpan(p) + bk - 1) / bk
        let baseTasks = layout.slices * layout.rowBlocks
        let wanted = (4 * max(1, threadCount) + baseTasks - 1) / baseTasks
        return max(1, min(keyBlocks, wanted))
    }

    public func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int {
        let (bq, bk) = effectiveBlocks(problem)
        let rows = Layout(problem, queryBlock: bq).blockRows
        let splits = splitCount(problem, threadCount: threadCount)
        let d = problem.headDimension
        let partials = problem.batch * problem.heads * problem.queryLength * splits * (d + 1)
        let merged = problem.elementType != .f32 ? d : 0
        let perWorker = rows * bk + rows * d + 2 * rows + Self.tileFloats(problem, rows: rows, keyBlock: bk) + merged
        return 4 * (partials + max(1, threadCount) * perWorker)
    }

    /// Per-worker fp32 tiles for the tensors not stored in fp32: the task's Q rows, and a K and a
    /// V block (K and V share a type).
    static func tileFloats(_ p: AttentionProblem, rows: Int, keyBlock bk: Int) -> Int {
        (p.elementType != .f32 ? rows * p.headDimension : 0)
            + (p.keyValueElementType != .f32 ? 2 * bk * p.headDimension : 0)
    }

    public func run(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
        output: AttentionTensor, threadCount: Int
    ) {
        // Names: R = rows per block, Bk = key block, d = headDimension, S = scores, m/l = row
        // max/sum, P_O/P_L = partial outputs and their log-sum-exps, indexed [slice, split, row].
        let (Bq, Bk, d, Nq, Nk) = prepare(problem, query, key, value, output)
        let layout = Layout(problem, queryBlock: Bq)
        let R = layout.blockRows
        let rowsPerSlice = layout.rowsPerSlice
        let slices = layout.slices
        let splits = splitCount(problem, threadCount: threadCount)
        let workers = max(1, threadCount)
        let widensQuery = problem.elementType != .f32
        let widensKeysAndValues = problem.keyValueElementType != .f32
        let scratch = WorkerScratch(
            workers: workers, floatsPerWorker: R * Bk + R * d + 2 * R + Self.tileFloats(problem, rows: R, keyBlock: Bk))
        // One fp32 row per worker to merge into before rounding, where O is not fp32.
        let mergedRows = problem.elementType != .f32 ? WorkerScratch(workers: workers, floatsPerWorker: d) : nil
        let partialStore = WorkerScratch(workers: 1, floatsPerWorker: slices * splits * rowsPerSlice * (d + 1))
        let P_O = partialStore.buffer(worker: 0)
        let P_L = P_O + slices * splits * rowsPerSlice * d
        let Q = query.rawBaseAddress
        let K = key.rawBaseAddress
        let V = value.rawBaseAddress
        let O = output.rawBaseAddress
        let scale = problem.scale
        let H = problem.heads
        let Hkv = problem.keyValueHeads
        let G = problem.groupSize

        // Row 0 of a slice in Q and O (in rows), and its K/V slice.
        func firstQueryRow(_ slice: Int) -> Int {
            layout.stacked ? ((slice / Hkv) * H + (slice % Hkv) * G) * Nq : slice * Nq
        }
        /// `count` rows of `tensor` from row `row`, in fp32: in place when stored so, else widened
        /// into `tile`.
        @inline(__always)
        func fp32Rows(
            _ tensor: AttentionTensor, _ base: UnsafeMutableRawPointer, from row: Int, count: Int, widens: Bool,
            into tile: UnsafeMutablePointer<Float>
        ) -> UnsafePointer<Float> {
            let start = base + row * tensor.rowBytes
            if !widens { return UnsafePointer(start.assumingMemoryBound(to: Float.self)) }
            ElementConversion.widen(
                UnsafeRawPointer(start), count: count * d, from: tensor.elementType, destination: tile)
            return UnsafePointer(tile)
        }
        func keyValueSlice(_ slice: Int) -> Int { layout.stacked ? slice : problem.keyValueSlice(ofQuerySlice: slice) }
        func batch(_ slice: Int) -> Int { layout.stacked ? slice / Hkv : slice / H }

        BLAS.withThreadCount(1) {
            ParallelFor.run(taskCount: slices * layout.rowBlocks * splits, threadCount: workers) { task, worker in
                let split = task % splits
                let rowBlock = (task / splits) % layout.rowBlocks
                let slice = task / (splits * layout.rowBlocks)
                let b = batch(slice)
                let rowStart = rowBlock * R
                let rows = min(R, rowsPerSlice - rowStart)
                let partialO = P_O + ((slice * splits + split) * rowsPerSlice + rowStart) * d
                let partialL = P_L + (slice * splits + split) * rowsPerSlice + rowStart
                // The keys some row of the block sees, cut into `splits` runs of whole blocks.
                let (firstPosition, lastPosition) = layout.stacked ? (0, Nq - 1) : (rowStart, rowStart + rows - 1)
                let spanStart = problem.visibleKeyStart(batch: b, row: firstPosition)
                let spanEnd = problem.visibleKeyEnd(batch: b, row: lastPosition)
                let blocksPerSplit = (max(0, spanEnd - spanStart) + Bk * splits - 1) / (Bk * splits)
                let groupStart = spanStart + split * blocksPerSplit * Bk
                let groupEnd = min(spanEnd, groupStart + blocksPerSplit * Bk)
                partialO.update(repeating: 0, count: rows * d)
                let S = scratch.buffer(worker: worker)
                let T = S + R * Bk
                let m = T + R * d
                let l = m + R
                let queryTile = l + R
                let keyTile = queryTile + (widensQuery ? R * d : 0)
                let valueTile = keyTile + (widensKeysAndValues ? Bk * d : 0)
                let q = fp32Rows(
                    query, Q, from: firstQueryRow(slice) + rowStart, count: rows, widens: widensQuery, into: queryTile)
                let kvRow = keyValueSlice(slice) * Nk
                m.update(repeating: -.infinity, count: rows)
                l.update(repeating: 0, count: rows)
                var keyStart = groupStart
                while keyStart < groupEnd {
                    let columns = min(Bk, groupEnd - keyStart)
                    let kBlock = fp32Rows(
                        key, K, from: kvRow + keyStart, count: columns, widens: widensKeysAndValues, into: keyTile)
                    if rows <= Self.matrixVectorRows {
                        // One matrix–vector product per row: the K block comes from memory once,
                        // then from L2 for the group's other rows.
                        for r in 0..<rows {
                            BLAS.sgemv(
                                .none, rows: columns, columns: d, alpha: scale, a: kBlock, lda: d,
                                x: q + r * d, beta: 0, y: S + r * columns)
                        }
                    } else {
                        BLAS.sgemm(
                            .none, .transpose, m: rows, n: columns, k: d, alpha: scale,
                            a: q, lda: d, b: kBlock, ldb: d, beta: 0, c: S, ldc: columns)
                    }
                    if layout.stacked {
                        problem.maskGroupedScores(
                            S, leadingDimension: columns, batch: b, rowStart: rowStart, rows: rows,
                            keyStart: keyStart, columns: columns)
                    } else {
                        problem.maskScores(
                            S, leadingDimension: columns, batch: b, rowStart: rowStart, rows: rows,
                            keyStart: keyStart, columns: columns)
                    }
                    OnlineSoftmax.step(
                        scores: S, rows: rows, columns: columns, output: partialO, headDimension: d,
                        rowMaximum: m, rowSum: l)
                    let vBlock = fp32Rows(
                        value, V, from: kvRow + keyStart, count: columns, widens: widensKeysAndValues, into: valueTile)
                    if rows == 1 {
                        BLAS.sgemv(
                            .transpose, rows: columns, columns: d, alpha: 1, a: vBlock, lda: d,
                            x: S, beta: 1, y: partialO)
                    } else if rows <= Self.matrixVectorRows {
                        BLAS.sgemm(
                            .none, .none, m: rows, n: d, k: columns, alpha: 1,
                            a: S, lda: columns, b: vBlock, ldb: d, beta: 0, c: T, ldc: d)
                        RowOperations.combine(partialO, times: 1, plus: T, times: 1, count: rows * d)
                    } else {
                        BLAS.sgemm(
                            .none, .none, m: rows, n: d, k: columns, alpha: 1,
                            a: S, lda: columns, b: vBlock, ldb: d, beta: 1, c: partialO, ldc: d)
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
            ParallelFor.run(taskCount: slices, threadCount: workers) { slice, worker in
                for row in 0..<rowsPerSlice {
                    let outputRow = O + (firstQueryRow(slice) + row) * output.rowBytes
                    let merged = mergedRows?.buffer(worker: worker) ?? outputRow.assumingMemoryBound(to: Float.self)
                    SplitMerge.merge(
                        into: merged, headDimension: d, splits: splits,
                        partialOutput: { UnsafePointer(P_O + ((slice * splits + $0) * rowsPerSlice + row) * d) },
                        logSumExp: { P_L[(slice * splits + $0) * rowsPerSlice + row] })
                    if mergedRows != nil {
                        ElementConversion.narrow(merged, count: d, to: output.elementType, destination: outputRow)
                    }
                }
            }
        }
    }
}
