import CMicroKernels

/// The fused prefill with bf16 products, for Q, K and V stored in bf16 on a CPU with
/// AVX512_BF16: the loop order, blocks, masking and online softmax of `prefill`, with both
/// products taken by `vdpbf16ps` (two bf16 products added to each fp32 lane, at twice the
/// rate of fp32 FMAs):
///
///   S = Q_rows · K_blockᵀ    Q and K as stored (bf16, exact), products and sums in fp32, then
///                            times `scale` in fp32 (Q is not pre-scaled, which would round it)
///   mask, online softmax     in fp32 on the L1 score tile, as in `prefill`
///   O_rows += P · V_block    P rounded to bf16 (nearest even) for the products, V as stored;
///                            the row sum l takes the fp32 P
///
/// so the one rounding beyond fp32 arithmetic inside the kernel is P's before P·V, and the output
/// is rounded once to bf16 after normalisation: `CorrectnessTolerance` with `productsInBFloat16`.
///
/// Packing, once per (batch, K/V head), as the instructions want it: K in panels of 32 keys,
/// each [⌈d/2⌉][32][2] (a panel row is two vectors of 16 keys' dimension pairs); V in key pairs,
/// [keys/2][d_p][2] with d_p = d rounded up to 16; each query block's Q rows in groups of 8,
/// [⌈d/2⌉][8] dimension pairs. Workspace: 2·B·H_kv·N_kp·(2·⌈d/2⌉ + d_p) bytes of packed K and V,
/// plus per worker the Q pairs, the fp32 O block, row statistics, one 8 × (Bk + 16) score tile
/// in fp32 and one in bf16, and 17·8 floats of tile sums and references.
extension FusedAttention {
    /// Whether this CPU runs the bf16-product prefill (AVX512_BF16 with 16-lane tiles).
    public static var bfloat16ProductsAvailable: Bool {
        FusedMicroKernels.hasAVX512BF16 && VectorWidth.hostLanes >= 16
    }

    /// Whether `problem` takes the bf16-product prefill: Q, K and V in bf16, 16-lane tiles, the
    /// CPU has AVX512_BF16, and the kernel was not asked to widen instead.
    public func productsInBFloat16(_ problem: AttentionProblem) -> Bool {
        bfloat16Products && problem.elementType == .bf16 && problem.keyValueElementType == .bf16
            && geometry.lanes == 16 && FusedMicroKernels.hasAVX512BF16 && !streams(problem)
    }

    /// Floats of the bf16 prefill's workspace (see the type's comment).
    func bfloat16WorkspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int {
        let d = problem.headDimension
        let pairs = (d + 1) / 2
        let dP = (d + 15) / 16 * 16
        let (bq, bkRaw) = effectiveBlocks(problem)
        let bk = (bkRaw + 31) / 32 * 32
        let rows = (bq + 7) / 8 * 8
        let keys = (problem.keyLength + 31) / 32 * 32
        let packedHalves = problem.batch * problem.keyValueHeads * keys * (2 * pairs + dP)
        let tasks = problem.batch * problem.heads * ((problem.queryLength + bq - 1) / bq)
        let ldS = bk + Self.scoreRowPadding
        let perWorker = rows * pairs + rows * dP + 2 * rows + 8 * ldS + (8 * ldS + 1) / 2 + 17 * 8 + d
        return 2 * ((packedHalves + 1) / 2 * 2) + 4 * max(1, min(threadCount, tasks)) * ((perWorker + 15) / 16 * 16)
    }

    func prefillBFloat16(
        _ problem: AttentionProblem, _ query: AttentionTensor, _ key: AttentionTensor, _ value: AttentionTensor,
        _ output: AttentionTensor, _ threadCount: Int
    ) {
        // Names as in `prefill`: MR = 8 score rows, NR = 32 panel keys, DP = dimension pairs.
        let MR = 8
        let NR = 32
        let (Bq, BkRaw) = effectiveBlocks(problem)
        let d = problem.headDimension
        let DP = (d + 1) / 2
        let dP = (d + 15) / 16 * 16
        let Nq = problem.queryLength
        let Nk = problem.keyLength
        let NkP = (Nk + NR - 1) / NR * NR
        let Bk = (BkRaw + NR - 1) / NR * NR
        let BqP = (Bq + MR - 1) / MR * MR
        let kvSlices = problem.batch * problem.keyValueHeads
        let scale = problem.scale
        let panelHalves = DP * NR * 2
        let perSliceHalves = NkP * (2 * DP + dP)

        // Pack K into panels and V into key pairs, zero-padded, once per K/V slice.
        let packed = WorkerScratch(workers: 1, floatsPerWorker: (kvSlices * perSliceHalves + 1) / 2, zeroed: false)
        let packedBase = UnsafeMutableRawPointer(packed.buffer(worker: 0)).assumingMemoryBound(to: UInt16.self)
        BLAS.withThreadCount(1) {
            ParallelFor.run(taskCount: kvSlices, threadCount: threadCount) { s, _ in
                let kp = packedBase + s * perSliceHalves
                let vp = kp + NkP * 2 * DP
                kp.update(repeating: 0, count: NkP * 2 * DP)
                vp.update(repeating: 0, count: NkP * dP)
                let kRows = (key.rawBaseAddress + s * Nk * key.rowBytes).assumingMemoryBound(to: UInt16.self)
                let vRows = (value.rawBaseAddress + s * Nk * value.rowBytes).assumingMemoryBound(to: UInt16.self)
                for j in 0..<Nk {
                    let panel = kp + (j / NR) * panelHalves + (j % NR) * 2
                    let kRow = kRows + j * d
                    for c in 0..<d { panel[(c / 2) * NR * 2 + c % 2] = kRow[c] }
                    let pair = vp + (j / 2) * dP * 2 + j % 2
                    let vRow = vRows + j * d
                    for c in 0..<d { pair[2 * c] = vRow[c] }
                }
            }
        }

        let queryBlocks = (Nq + Bq - 1) / Bq
        let slices = problem.batch * problem.heads
        let taskCount = slices * queryBlocks
        let workers = max(1, min(threadCount, taskCount))
        let ldS = Bk + Self.scoreRowPadding
        let perWorker = BqP * DP + BqP * dP + 2 * BqP + MR * ldS + (MR * ldS + 1) / 2 + 17 * MR + d
        let scratch = WorkerScratch(workers: workers, floatsPerWorker: perWorker)

        ParallelFor.run(taskCount: taskCount, threadCount: workers) { task, worker in
            let (slice, queryBlock) = problem.queryBlockTask(task, slices: slices, queryBlocks: queryBlocks)
            let b = slice / problem.heads
            let rowStart = queryBlock * Bq
            let rows = min(Bq, Nq - rowStart)
            let base = scratch.buffer(worker: worker)
            let Qp = UnsafeMutableRawPointer(base).assumingMemoryBound(to: UInt32.self)
            let Oacc = base + BqP * DP
            let m = Oacc + BqP * dP
            let l = m + BqP
            let S = l + BqP
            let Pb = UnsafeMutableRawPointer(S + MR * ldS).assumingMemoryBound(to: UInt16.self)
            let tileScratch = S + MR * ldS + (MR * ldS + 1) / 2
            let rowBuffer = tileScratch + 17 * MR
            let firstRow = slice * Nq + rowStart
            // Q rows in groups of 8, [DP][8] pairs of bf16 (as stored); rows past the block zero.
            Qp.update(repeating: 0, count: BqP * DP)
            let qRows = query.rawBaseAddress.assumingMemoryBound(to: UInt16.self)
            for r in 0..<rows {
                let group = Qp + (r / MR) * MR * DP + r % MR
                let row = qRows + (firstRow + r) * d
                for p in 0..<DP {
                    let high = 2 * p + 1 < d ? UInt32(row[2 * p + 1]) << 16 : 0
                    group[p * MR] = UInt32(row[2 * p]) | high
                }
            }
            Oacc.update(repeating: 0, count: BqP * dP)
            m.update(repeating: -.infinity, count: BqP)
            l.update(repeating: 0, count: BqP)
            let kvSlice = problem.keyValueSlice(ofQuerySlice: slice)
            let kp = UnsafePointer(packedBase + kvSlice * perSliceHalves)
            let vp = kp + NkP * 2 * DP

            Self.forEachBlockGroup(
                problem, batch: b, rowStart: rowStart, rows: rows, groupRows: MR, panelKeys: NR, blockKeys: Bk
            ) { groupStart, groupRows, keys, W in
                let first = rowStart + groupStart
                let lo = keys.lowerBound
                let qGroup = UnsafePointer(Qp + groupStart * DP)
                let panels = kp + (lo / NR) * panelHalves
                let mGroup = m + groupStart
                let lGroup = l + groupStart
                // Exponentials in each tile as it leaves the registers (`exponentiateInTile`) where
                // every row of the group sees every key of the block.
                let seesAll =
                    groupRows == MR && W == keys.count
                    && (0..<MR).allSatisfy { Self.sees(problem, batch: b, row: first + $0, keys: keys) }
                let exponentiated =
                    seesAll
                    && Self.exponentiateTiles(rows: MR, scratch: tileScratch, rowMaximum: mGroup, rowSum: lGroup) {
                        attnbench_bf16_score_tiles_exp_avx512(qGroup, DP, panels, W / NR, S, ldS, scale, $0, $1, $2)
                    }
                if !exponentiated {
                    attnbench_bf16_score_tiles_avx512(qGroup, DP, panels, W / NR, S, ldS, scale)
                    Self.maskAndUpdate(
                        problem, batch: b, firstRow: first, rows: groupRows, keys: keys, width: W, scores: S,
                        ldS: ldS, output: Oacc + groupStart * dP, ldO: dP, rowMaximum: mGroup, rowSum: lGroup)
                }
                // O_rows += P · V_block with P rounded to bf16.
                attnbench_bf16_round_rows(S, ldS, groupRows, W, Pb, ldS)
                attnbench_bf16_accumulate_rows_avx512(
                    Pb, ldS, groupRows, W / 2, vp + lo * dP, dP, dP, Oacc + groupStart * dP, dP)
            }
            Self.storeNormalised(
                rows: rows, accumulated: Oacc, ldO: dP, rowSum: l, buffer: rowBuffer, into: output, firstRow: firstRow)
        }
    }
}
