import CMicroKernels

/// Fused attention: FlashAttention-2's loop order (Dao, arXiv 2307.08691) with no BLAS call —
/// register-blocked SIMD micro-kernels written here, so no score block makes a round trip
/// through a library call. It is attnbench's measure of what composing flash attention from
/// `cblas_sgemm` calls costs.
///
/// Prefill (more than 16 query rows, or more than 64 stacked rows): K and V of every
/// (batch, K/V head) are packed once, before any query block runs, and read by every query
/// block and every query head of the group: K in panels of NR = 2·lanes keys, each panel
/// [d][NR] (so a panel row is two vectors of keys), V as [keys][d rounded up to lanes], both
/// zero-padded. Each (batch, head, query block of Bq rows) task copies its Q rows scaled by
/// `scale` into row groups of MR rows, each [d][MR], then for each key block of Bk keys (its K
/// panels and V rows stay in L2 while every row group of the query block passes over them) and
/// each group of MR query rows:
///   S = Q_rows · K_blockᵀ          (micro-kernel, MR × NR tiles in registers, into L1)
///   mask, m' = max(m, rowmax S), P = exp(S − m'), l ← l·e^{m−m'} + rowsum P   (in L1)
///   O_rows ← O_rows·e^{m−m'} + P · V_block   (micro-kernel: 8 rows × 2 vectors at 16 lanes,
///                                             4 rows × CV vectors otherwise)
/// and divides O by l once at the end (deferred normalisation). Keys outside a row group's
/// causal or window range are never computed; the mask is applied element-wise in L1. Where
/// every row of the group sees the whole block, the exponentials are taken in each score tile
/// as it is written, against the running maximum (`exponentiateInTile`), and the block falls
/// back to the steps above only when a score passes that maximum by more than e^16.
///
/// Decode (at most 16 query rows and G·Sq ≤ 64): the G query heads sharing a K/V head are
/// stacked (G·Sq rows), K and V are read in place — packing would read them twice — and split
/// into runs of whole chunks as in Flash-Decoding; each task makes one pass over its keys:
/// dot products of every stacked row with each key row, online softmax per 256-key chunk, and
/// P·V accumulated from the same chunk of V rows while it is in L1; the splits are merged by
/// log-sum-exp.
///
/// Element types: Q, K and V stored as bf16, fp16 or q8_0 are widened exactly to fp32 where
/// they are read — Q when it is copied and scaled, K and V when they are packed (prefill); on
/// the decode path K and V are read in place, each 16-value piece widened in registers right
/// before its multiply-adds (bf16 by a shift, fp16 by `vcvtph2ps`, q8_0 as its fp16 scale
/// times the int8 codes; AVX-512 F/BW with F16C, `attnbench_typed_row_scores_avx512`), or,
/// on CPUs without those, in runs of 64 rows into an L1-resident fp32 tile — either way only
/// the stored bytes come from memory. Every product, exponential and sum is fp32, and the one
/// rounding beyond fp32 arithmetic is the output's, to O's type, after normalisation — except
/// in the bf16-product prefill (`prefillBFloat16`), which also rounds P to bf16 before P·V.
///
/// Tiles follow the vector width the build targets (`VectorWidth`): 16 lanes with AVX-512
/// (MR = 8 rows × 32 keys, P·V 8 rows × 32 columns), 8 lanes with AVX2/FMA (MR = 4 × 16 keys,
/// 4 × 16 columns), 4 lanes otherwise (SSE, NEON). Blocks follow the automatic rule of the
/// other blocked kernels: measured on AVX-512 (AMD EPYC Zen 4, 1 MiB L2, one thread, N 4096,
/// B1 H8), key blocks of 512–1024 keys ran at 0.81–0.87 of the FMA peak where L1-sized blocks
/// of 64 keys ran at 0.61–0.74 (the per-block softmax bookkeeping is amortised over fewer
/// keys); query blocks of 64 and 256 rows were within 2% of each other.
///
/// Workspace: prefill 4·B·H_kv·N_kp·(d + d_p) bytes of packed K and V (N_kp keys rounded up to
/// NR, d_p = d rounded up to lanes; O(N), like the inputs), plus per worker the scaled Q block,
/// the O block, 2 row statistics per row, one MR × (Bk + 16) score tile and 17·MR floats of
/// tile sums and references. Decode: partials
/// B·H·Sq·splits·(d + 1) floats plus per worker G·Sq·(256 + 2·d_p + 2) floats, and 2·64·d
/// floats of widened K/V tiles where K/V are not fp32 and are widened into tiles.
public struct FusedAttention: BlockedAttentionKernel {
    public let blocks: BlockSizes
    public var variant: AttentionVariant { .fused }

    /// Keys per chunk on the decode path.
    static let decodeChunkKeys = 256
    /// K/V rows the decode path widens at a time when they are not fp32: a 64-row fp32 tile is
    /// 32 KiB at d = 128, so it is still in cache when the products read it.
    static let decodeWidenKeys = 64
    /// Most stacked rows the decode path takes.
    static let maximumStackedRows = 64

    /// Floats per stacked row on the decode path: d rounded up to its 16-float SIMD loops.
    static func decodeRowFloats(_ d: Int) -> Int { (d + 15) / 16 * 16 }

    /// Lanes of the tiles: the host's (nil), or 16, 8 or 4 to run narrower tiles (tests).
    let vectorLanes: Int?

    /// Whether bf16 problems may take the bf16-product prefill (`prefillBFloat16`); false runs
    /// them widened to fp32 as on CPUs without AVX512_BF16 (tests compare the two).
    let bfloat16Products: Bool

    public init(blockSizes: BlockSizes) {
        blocks = blockSizes
        vectorLanes = nil
        bfloat16Products = true
    }

    /// The host's tiles, with bf16 products where the CPU has them or, with `bfloat16Products`
    /// false, every type widened to fp32 for fp32 FMAs.
    public init(blockSizes: BlockSizes, bfloat16Products: Bool) {
        blocks = blockSizes
        vectorLanes = nil
        self.bfloat16Products = bfloat16Products
    }

    /// Tiles of `vectorLanes` lanes (16, 8 or 4; at most the CPU's) instead of the host's widest:
    /// lets one machine check the narrower tiles other CPUs use.
    public init(blockSizes: BlockSizes, vectorLanes: Int) {
        precondition(
            [4, 8, 16].contains(vectorLanes) && vectorLanes <= max(4, VectorWidth.hostLanes),
            "vector lanes \(vectorLanes): expected 4, 8 or 16, at most this CPU's \(VectorWidth.hostLanes)")
        blocks = blockSizes
        self.vectorLanes = vectorLanes
        bfloat16Products = true
    }

    var geometry: Geometry { Geometry(lanes: vectorLanes ?? max(4, VectorWidth.hostLanes)) }

    /// The tile geometry for a vector width.
    struct Geometry {
        let lanes: Int
        var scoreRows: Int { lanes >= 16 ? 8 : 4 }
        var panelKeys: Int { 2 * lanes }
        var accumulateVectors: Int { lanes >= 16 ? 4 : 2 }
        func paddedHeadDimension(_ d: Int) -> Int { (d + lanes - 1) / lanes * lanes }
        func paddedKeys(_ n: Int) -> Int { (n + panelKeys - 1) / panelKeys * panelKeys }
    }

    /// Prefill rounds the key block up to whole K panels; the split-KV decode path streams keys
    /// in its own chunks and keeps the clipped sizes.
    public func blockSizesRun(on problem: AttentionProblem) -> BlockSizes? {
        let (bq, bk) = blocks.clipped(to: problem)
        let panel = geometry.panelKeys
        return try? BlockSizes(query: bq, key: streams(problem) ? bk : (bk + panel - 1) / panel * panel)
    }

    func streams(_ p: AttentionProblem) -> Bool {
        DecodeShape.contains(p) && p.groupSize * p.queryLength <= Self.maximumStackedRows
    }

    /// Whether the decode path widens K/V runs into fp32 tiles: K/V not fp32 and no typed row
    /// kernels for the tiles (AVX-512 BW at 16 lanes reads them in place).
    func widensDecodeRows(_ p: AttentionProblem) -> Bool {
        p.keyValueElementType != .f32 && !(geometry.lanes == 16 && FusedMicroKernels.hasAVX512BW)
    }

    /// Key/value splits of the decode path.
    func splitCount(_ p: AttentionProblem, threadCount: Int) -> Int {
        let span = p.window.map { min(p.keyLength, $0 + p.queryLength - 1) } ?? p.keyLength
        let chunks = (span + Self.decodeChunkKeys - 1) / Self.decodeChunkKeys
        let tasks = p.batch * p.keyValueHeads
        let wanted = (4 * max(1, threadCount) + tasks - 1) / tasks
        return max(1, min(chunks, wanted))
    }

    /// Prefill: `s<rows>x<keys>/pv<rows>x<columns>/<isa>` (score tile, P·V tile, the instructions
    /// of the loops; `avx512bf16` where the products run in bf16); decode:
    /// `rows<stacked>/chunk<keys>/splits<n>/<isa>`, and for K/V not in fp32 `/kv-in-registers`
    /// (widened piece by piece in registers) or `/kv-widened` (into fp32 tiles).
    public func tileDescription(_ problem: AttentionProblem, threadCount: Int) -> String? {
        let g = geometry
        if streams(problem) {
            let isa =
                FusedMicroKernels.hasAVX512F ? "avx512" : FusedMicroKernels.hasAVX2FMA ? "avx2" : "portable"
            let rows = problem.groupSize * problem.queryLength
            let stored =
                problem.keyValueElementType == .f32
                ? "" : widensDecodeRows(problem) ? "/kv-widened" : "/kv-in-registers"
            return
                "rows\(rows)/chunk\(Self.decodeChunkKeys)/splits\(splitCount(problem, threadCount: threadCount))/\(isa)"
                + stored
        }
        if productsInBFloat16(problem) { return "s8x32/pv8x32/avx512bf16" }
        let isa: String
        switch g.lanes {
        case 16: isa = FusedMicroKernels.hasAVX512F ? "avx512" : "simd16"
        case 8: isa = "simd8"
        default: isa = "simd4"
        }
        let pvRows = g.scoreRows == 8 && g.paddedHeadDimension(problem.headDimension) % g.panelKeys == 0 ? 8 : 4
        let pvColumns = pvRows == 8 ? g.panelKeys : g.accumulateVectors * g.lanes
        return "s\(g.scoreRows)x\(g.panelKeys)/pv\(pvRows)x\(pvColumns)/\(isa)"
    }

    public func workspaceBytes(_ problem: AttentionProblem, threadCount: Int) -> Int {
        let g = geometry
        let d = problem.headDimension
        let dPad = g.paddedHeadDimension(d)
        if streams(problem) {
            let rows = problem.groupSize * problem.queryLength
            let splits = splitCount(problem, threadCount: threadCount)
            let partials = problem.batch * problem.heads * problem.queryLength * splits * (d + 1)
            let widen = widensDecodeRows(problem) ? 2 * Self.decodeWidenKeys * d : 0
            return 4
                * (partials
                    + max(1, threadCount) * (rows * (Self.decodeChunkKeys + 2 * Self.decodeRowFloats(d) + 2) + widen))
        }
        if productsInBFloat16(problem) { return bfloat16WorkspaceBytes(problem, threadCount: threadCount) }
        let (bq, bkRaw) = effectiveBlocks(problem)
        let bk = (bkRaw + g.panelKeys - 1) / g.panelKeys * g.panelKeys
        let rows = (bq + g.scoreRows - 1) / g.scoreRows * g.scoreRows
        let packed = problem.batch * problem.keyValueHeads * g.paddedKeys(problem.keyLength) * (d + dPad)
        let tasks = problem.batch * problem.heads * ((problem.queryLength + bq - 1) / bq)
        let perWorker =
            rows * d + rows * dPad + 2 * rows + g.scoreRows * (bk + Self.scoreRowPadding) + 17 * g.scoreRows + d
        let keyRows =
            problem.keyValueElementType == .f32
            ? 0 : max(1, min(threadCount, problem.batch * problem.keyValueHeads)) * d
        return 4 * (packed + keyRows + max(1, min(threadCount, tasks)) * perWorker)
    }

    public func run(
        _ problem: AttentionProblem, query: AttentionTensor, key: AttentionTensor, value: AttentionTensor,
        output: AttentionTensor, threadCount: Int
    ) {
        problem.preconditionShapes(query: query, key: key, value: value, output: output)
        if productsInBFloat16(problem) {
            prefillBFloat16(problem, query, key, value, output, threadCount)
            return
        }
        switch (geometry.lanes, streams(problem)) {
        case (16, false): prefill(SIMD16<Float>.self, problem, query, key, value, output, threadCount)
        case (8, false): prefill(SIMD8<Float>.self, problem, query, key, value, output, threadCount)
        case (_, false): prefill(SIMD4<Float>.self, problem, query, key, value, output, threadCount)
        case (_, true): decode(problem, query, key, value, output, threadCount)
        }
    }

    // MARK: Prefill

    @inline(__always)
    func prefill<V: SIMD>(
        _ vector: V.Type, _ problem: AttentionProblem, _ query: AttentionTensor, _ key: AttentionTensor,
        _ value: AttentionTensor, _ output: AttentionTensor, _ threadCount: Int
    ) where V.Scalar == Float {
        // Names: MR = score-tile rows, NR = panel keys, d/dP = head dim and padded,
        // Nk/NkP = keys and padded, Bq/Bk = blocks, S = score tile, m/l = row max/sum.
        let g = Geometry(lanes: V.scalarCount)
        let MR = g.scoreRows
        let NR = g.panelKeys
        let (Bq, BkRaw) = effectiveBlocks(problem)
        let d = problem.headDimension
        let Nq = problem.queryLength
        let Nk = problem.keyLength
        let dP = g.paddedHeadDimension(d)
        let NkP = g.paddedKeys(Nk)
        let Bk = (BkRaw + NR - 1) / NR * NR
        let BqP = (Bq + MR - 1) / MR * MR
        let kvSlices = problem.batch * problem.keyValueHeads
        let scale = problem.scale

        // Pack K into [d][NR] panels and V into [keys][dP] rows, zero-padded, once per K/V slice.
        let perSlice = NkP * (d + dP)
        // Not zero-filled: each slice's task writes its pads (keys past Nk, V columns past d).
        let packed = WorkerScratch(workers: 1, floatsPerWorker: kvSlices * perSlice, zeroed: false)
        let packedBase = packed.buffer(worker: 0)
        // K rows of a stored type other than fp32 are widened through a one-row buffer per worker;
        // fp32 rows are read where they are.
        let widensKeys = key.elementType != .f32
        let keyRows = WorkerScratch(
            workers: widensKeys ? max(1, min(threadCount, kvSlices)) : 1, floatsPerWorker: widensKeys ? d : 1)
        BLAS.withThreadCount(1) {
            ParallelFor.run(taskCount: kvSlices, threadCount: threadCount) { s, worker in
                let kp = packedBase + s * perSlice
                let vp = kp + NkP * d
                let keyBuffer = keyRows.buffer(worker: worker)
                for j in 0..<Nk {
                    let panel = kp + (j / NR) * NR * d + j % NR
                    let stored = key.rawBaseAddress + (s * Nk + j) * key.rowBytes
                    let keyRow: UnsafePointer<Float>
                    if widensKeys {
                        ElementConversion.widen(
                            UnsafeRawPointer(stored), count: d, from: key.elementType, destination: keyBuffer)
                        keyRow = UnsafePointer(keyBuffer)
                    } else {
                        keyRow = UnsafePointer(stored.assumingMemoryBound(to: Float.self))
                    }
                    for c in 0..<d { panel[c * NR] = keyRow[c] }
                    ElementConversion.widen(
                        UnsafeRawPointer(value.rawBaseAddress + (s * Nk + j) * value.rowBytes), count: d,
                        from: value.elementType, destination: vp + j * dP)
                    (vp + j * dP + d).update(repeating: 0, count: dP - d)
                }
                if Nk % NR != 0 {
                    let lastPanel = kp + (Nk / NR) * NR * d
                    for c in 0..<d { (lastPanel + c * NR + Nk % NR).update(repeating: 0, count: NR - Nk % NR) }
                }
                (vp + Nk * dP).update(repeating: 0, count: (NkP - Nk) * dP)
            }
        }

        let queryBlocks = (Nq + Bq - 1) / Bq
        let slices = problem.batch * problem.heads
        let taskCount = slices * queryBlocks
        let workers = max(1, min(threadCount, taskCount))
        // Score rows Bk + 16 floats apart: rows a multiple of 4 KiB apart would share L1 sets.
        let ldS = Bk + Self.scoreRowPadding
        let perWorker = BqP * d + BqP * dP + 2 * BqP + MR * ldS + 17 * MR + d
        let exponentiatesInTile = NR % 16 == 0
        let scratch = WorkerScratch(workers: workers, floatsPerWorker: perWorker)

        ParallelFor.run(taskCount: taskCount, threadCount: workers) { task, worker in
            let (slice, queryBlock) = problem.queryBlockTask(task, slices: slices, queryBlocks: queryBlocks)
            let b = slice / problem.heads
            let rowStart = queryBlock * Bq
            let rows = min(Bq, Nq - rowStart)
            let Qs = scratch.buffer(worker: worker)
            let Oacc = Qs + BqP * d
            let m = Oacc + BqP * dP
            let l = m + BqP
            let S = l + BqP
            let tileScratch = S + MR * ldS
            let rowBuffer = tileScratch + 17 * MR
            let firstRow = slice * Nq + rowStart
            // Q widened and scaled into row groups of MR rows, each [d][MR] (the score tile's
            // broadcasts); rows past the block are zero.
            if rows < BqP { Qs.update(repeating: 0, count: BqP * d) }
            for r in 0..<rows {
                let packedRow = Qs + (r / MR) * MR * d + r % MR
                ElementConversion.widen(
                    UnsafeRawPointer(query.rawBaseAddress + (firstRow + r) * query.rowBytes), count: d,
                    from: query.elementType, destination: rowBuffer)
                for c in 0..<d { packedRow[c * MR] = rowBuffer[c] * scale }
            }
            Oacc.update(repeating: 0, count: BqP * dP)
            m.update(repeating: -.infinity, count: BqP)
            l.update(repeating: 0, count: BqP)
            let kvSlice = problem.keyValueSlice(ofQuerySlice: slice)
            let kp = packedBase + kvSlice * perSlice
            let vp = kp + NkP * d

            Self.forEachBlockGroup(
                problem, batch: b, rowStart: rowStart, rows: rows, groupRows: MR, panelKeys: NR, blockKeys: Bk
            ) { groupStart, groupRows, keys, W in
                let first = rowStart + groupStart
                let lo = keys.lowerBound
                let qRows = Qs + groupStart * d
                let exponentiated =
                    exponentiatesInTile
                    && Self.exponentiateInTile(
                        V.self, rows: MR, q: qRows, d: d, panels: UnsafePointer(kp + lo * d), keys: W, ldS: ldS,
                        scores: S, scratch: tileScratch, rowMaximum: m + groupStart, rowSum: l + groupStart,
                        sees: { r in
                            r < groupRows && W == keys.count && Self.sees(problem, batch: b, row: first + r, keys: keys)
                        })
                if !exponentiated {
                    // S = Q_rows · K_blockᵀ, one MR × NR tile per panel.
                    for panel in 0..<(W / NR) {
                        FusedMicroKernels.scores(
                            V.self, rows: MR, q: qRows, d: d,
                            panel: UnsafePointer(kp + (lo / NR + panel) * NR * d), s: S + panel * NR, ldS: ldS)
                    }
                    // Mask keys a row does not see (window edge, diagonal, padding, the tile's
                    // columns beyond the block), then the online-softmax step, all in L1.
                    Self.maskAndUpdate(
                        problem, batch: b, firstRow: first, rows: groupRows, keys: keys, width: W, scores: S,
                        ldS: ldS, output: Oacc + groupStart * dP, ldO: dP, rowMaximum: m + groupStart,
                        rowSum: l + groupStart)
                }
                for r in groupRows..<MR { (S + r * ldS).update(repeating: 0, count: W) }
                // O_rows += P · V_block, 4 rows at a time.
                let vBlock = UnsafePointer(vp + lo * dP)
                var tileRow = 0
                if MR == 8 && dP % (2 * V.scalarCount) == 0 {
                    FusedMicroKernels.accumulateEightRows(
                        V.self, p: S, ldP: ldS, keys: W, v: vBlock, ldV: dP, o: Oacc + groupStart * dP, ldO: dP,
                        columns: dP)
                    tileRow = groupRows
                }
                while tileRow < groupRows {
                    FusedMicroKernels.accumulateFourRows(
                        V.self, wide: g.accumulateVectors == 4, p: S + tileRow * ldS,
                        ldP: ldS, keys: W, v: vBlock, ldV: dP,
                        o: Oacc + (groupStart + tileRow) * dP, ldO: dP, columns: dP)
                    tileRow += 4
                }
            }
            Self.storeNormalised(
                rows: rows, accumulated: Oacc, ldO: dP, rowSum: l, buffer: rowBuffer, into: output, firstRow: firstRow)
        }
    }

    /// Key blocks outer, row groups inner, over the visible keys of one query block of `rows` rows
    /// from `rowStart`: a block's K panels and V rows stay in L2 while every row group of the query
    /// block passes over them. `body(groupStart, groupRows, keys, width)` runs for each group of
    /// at most MR rows that sees some key of the block; `keys` are the group's keys in the block
    /// (from a panel boundary: never computed outside them), `width` their count rounded up to
    /// whole panels of NR keys.
    @inline(__always)
    static func forEachBlockGroup(
        _ problem: AttentionProblem, batch b: Int, rowStart: Int, rows: Int, groupRows MR: Int, panelKeys NR: Int,
        blockKeys Bk: Int, _ body: (_ groupStart: Int, _ groupRows: Int, _ keys: Range<Int>, _ width: Int) -> Void
    ) {
        let spanStart = problem.visibleKeyStart(batch: b, row: rowStart) / NR * NR
        let spanEnd = problem.visibleKeyEnd(batch: b, row: rowStart + rows - 1)
        var blockStart = spanStart
        while blockStart < spanEnd {
            let blockEnd = min(spanEnd, blockStart + Bk)
            var groupStart = 0
            while groupStart < rows {
                let groupRows = min(MR, rows - groupStart)
                let first = rowStart + groupStart
                let lo = max(blockStart, problem.visibleKeyStart(batch: b, row: first) / NR * NR)
                let hi = min(blockEnd, problem.visibleKeyEnd(batch: b, row: first + groupRows - 1))
                if hi > lo { body(groupStart, groupRows, lo..<hi, (hi - lo + NR - 1) / NR * NR) }
                groupStart += groupRows
            }
            blockStart = blockEnd
        }
    }

    /// Whether row `row` of batch element `b` sees every key of `keys`.
    @inline(__always)
    static func sees(_ problem: AttentionProblem, batch b: Int, row: Int, keys: Range<Int>) -> Bool {
        problem.visibleKeyStart(batch: b, row: row) <= keys.lowerBound
            && problem.visibleKeyEnd(batch: b, row: row) >= keys.upperBound
    }

    /// The in-tile exponentials of one row group by a C kernel `tiles(reference, sums, worst)`
    /// (`attnbench_score_tiles_exp_avx512` and its bf16 twin): the references start at the
    /// rows' running maxima, and on success, with no score past its reference by more than
    /// `referenceHeadroom`, m takes the references and l the tile sums. Returns false, m and l
    /// unchanged, otherwise. `scratch` holds 17·rows floats.
    @inline(__always)
    static func exponentiateTiles(
        rows MR: Int, scratch: UnsafeMutablePointer<Float>, rowMaximum m: UnsafeMutablePointer<Float>,
        rowSum l: UnsafeMutablePointer<Float>,
        _ tiles: (
            _ reference: UnsafeMutablePointer<Float>, _ sums: UnsafeMutablePointer<Float>,
            _ worst: UnsafeMutablePointer<Float>
        ) -> Int32
    ) -> Bool {
        let sums = scratch
        let reference = scratch + 16 * MR
        sums.update(repeating: 0, count: 16 * MR)
        for r in 0..<MR { reference[r] = m[r] }
        var worst = SIMD16<Float>()
        let complete = withUnsafeMutablePointer(to: &worst) { w in
            w.withMemoryRebound(to: Float.self, capacity: 16) { tiles(reference, sums, $0) }
        }
        guard complete != 0, horizontalMaximum(worst) <= referenceHeadroom else { return false }
        for r in 0..<MR {
            m[r] = reference[r]
            l[r] += horizontalSum(RowOperations.load(sums + 16 * r))
        }
        return true
    }

    /// Masks, in a row group's score tile over keys `keys` (W columns from `keys.lowerBound`),
    /// the keys each row does not see (window edge, diagonal, padding, columns past the block),
    /// then takes the online-softmax step of each row: P in place of S, O rescaled, m and l
    /// updated (all in L1).
    @inline(__always)
    static func maskAndUpdate(
        _ problem: AttentionProblem, batch b: Int, firstRow first: Int, rows: Int, keys: Range<Int>, width W: Int,
        scores S: UnsafeMutablePointer<Float>, ldS: Int, output o: UnsafeMutablePointer<Float>, ldO: Int,
        rowMaximum m: UnsafeMutablePointer<Float>, rowSum l: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let row = S + r * ldS
            let start = problem.visibleKeyStart(batch: b, row: first + r)
            let end = min(keys.upperBound, problem.visibleKeyEnd(batch: b, row: first + r))
            let low = min(max(start - keys.lowerBound, 0), W)
            let high = min(max(end - keys.lowerBound, low), W)
            if low > 0 { row.update(repeating: -.infinity, count: low) }
            if high < W { (row + high).update(repeating: -.infinity, count: W - high) }
            OnlineSoftmax.updateRow(
                row, columns: W, output: o + r * ldO, outputCount: ldO, rowMaximum: &m[r], rowSum: &l[r])
        }
    }

    /// O normalised in fp32 (a row that saw no key is zeros), then stored from `firstRow` on,
    /// rounded to O's type; `buffer` holds one row of d floats.
    @inline(__always)
    static func storeNormalised(
        rows: Int, accumulated Oacc: UnsafePointer<Float>, ldO: Int, rowSum l: UnsafePointer<Float>,
        buffer o: UnsafeMutablePointer<Float>, into output: AttentionTensor, firstRow: Int
    ) {
        let d = output.headDimension
        for r in 0..<rows {
            if l[r] > 0 {
                let inverse = 1 / l[r]
                for c in 0..<d { o[c] = Oacc[r * ldO + c] * inverse }
            } else {
                o.update(repeating: 0, count: d)
            }
            ElementConversion.narrow(
                o, count: d, to: output.elementType,
                destination: output.rawBaseAddress + (firstRow + r) * output.rowBytes)
        }
    }

    /// Headroom of the in-tile exponentials: a block's scores may exceed the row's running
    /// maximum by this much (P ≤ e^16 ≈ 8.9e6, far from overflow) before the block is redone on
    /// the exact path.
    static let referenceHeadroom: Float = 16

    /// Floats between score rows beyond the key block.
    static let scoreRowPadding = 16

    /// The score tiles of one row group over one key block with the exponentials taken in each
    /// tile as it leaves the registers, against a reference maximum per row instead of the
    /// block's: the row's running maximum m, or for a row with nothing seen yet, the maximum of
    /// its first tile. P = exp(S − reference) is the online softmax with a maximum that is not
    /// raised within the block (O and l stay relative to e^m), so there is no separate max pass
    /// and no rescaling of O, and each tile's `exp` overlaps the next tile's products. Taken when
    /// every row sees every key of the block (`sees`); the row sums go to l. Returns false,
    /// leaving m and l as they were, when a row does not qualify or a score passes its reference
    /// by more than `referenceHeadroom` (the caller then runs the block on the exact path, which
    /// recomputes its scores). `scratch` holds 17·rows floats.
    @inline(__always)
    static func exponentiateInTile<V: SIMD>(
        _: V.Type, rows MR: Int, q: UnsafePointer<Float>, d: Int, panels: UnsafePointer<Float>, keys W: Int,
        ldS: Int, scores S: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        rowMaximum m: UnsafeMutablePointer<Float>, rowSum l: UnsafeMutablePointer<Float>, sees: (Int) -> Bool
    ) -> Bool where V.Scalar == Float {
        for r in 0..<MR where !sees(r) { return false }
        let NR = 2 * V.scalarCount
        if V.scalarCount == 16 && MR == 8 && FusedMicroKernels.hasAVX512F {
            // The C kernel: each tile's exponentials interleaved with the next tile's products.
            return exponentiateTiles(rows: MR, scratch: scratch, rowMaximum: m, rowSum: l) {
                attnbench_score_tiles_exp_avx512(q, d, panels, W / NR, S, ldS, $0, $1, $2)
            }
        }
        let sums = scratch
        let reference = scratch + 16 * MR
        sums.update(repeating: 0, count: 16 * MR)
        FusedMicroKernels.scores(V.self, rows: MR, q: q, d: d, panel: panels, s: S, ldS: ldS)
        for r in 0..<MR {
            reference[r] = m[r] > -.infinity ? m[r] : RowOperations.maximum(S + r * ldS, count: NR)
            // A first tile of −∞ or NaN scores: the exact path handles it.
            guard reference[r] > -.infinity else { return false }
        }
        var worst = SIMD16<Float>(repeating: -.infinity)
        var panel = 0
        while true {
            let tile = S + panel * NR
            for r in 0..<MR {
                worst = pointwiseMax(
                    worst,
                    RowOperations.exponentiate(tile + r * ldS, count: NR, reference: reference[r], sum: sums + 16 * r))
            }
            panel &+= 1
            guard panel < W / NR else { break }
            FusedMicroKernels.scores(
                V.self, rows: MR, q: q, d: d, panel: panels + panel * NR * d, s: S + panel * NR, ldS: ldS)
        }
        guard horizontalMaximum(worst) <= referenceHeadroom else { return false }
        for r in 0..<MR {
            m[r] = reference[r]
            l[r] += horizontalSum(RowOperations.load(sums + 16 * r))
        }
        return true
    }

    // MARK: Decode

    func decode(
        _ problem: AttentionProblem, _ query: AttentionTensor, _ key: AttentionTensor, _ value: AttentionTensor,
        _ output: AttentionTensor, _ threadCount: Int
    ) {
        // Names: R = stacked rows (G query heads × Sq positions), DC = chunk keys, S = scores,
        // P_O/P_L = partial outputs and log-sum-exps [slice, split, row].
        let d = problem.headDimension
        let dP = Self.decodeRowFloats(d)
        let Nq = problem.queryLength
        let Nk = problem.keyLength
        let G = problem.groupSize
        let H = problem.heads
        let Hkv = problem.keyValueHeads
        let R = G * Nq
        let DC = Self.decodeChunkKeys
        let slices = problem.batch * Hkv
        let splits = splitCount(problem, threadCount: threadCount)
        let workers = max(1, threadCount)
        // K/V rows are read in place by the typed row kernels where the CPU has AVX-512 BW (fp32
        // rows too: their two-key score loop beats the fp32-only kernels); elsewhere K/V of
        // another type than fp32 are widened in runs of `Self.decodeWidenKeys` rows into
        // per-worker fp32 tiles that stay in L1/L2, right before their products.
        let widens = widensDecodeRows(problem)
        let typedRows = !widens && geometry.lanes == 16 && FusedMicroKernels.hasAVX512BW
        let storedType = Self.typeCode(key.elementType)
        let WK = Self.decodeWidenKeys
        let widenFloats = widens ? 2 * WK * d : 0
        let scratch = WorkerScratch(workers: workers, floatsPerWorker: R * (DC + 2 * dP + 2) + widenFloats)
        let partials = WorkerScratch(workers: 1, floatsPerWorker: slices * splits * R * (d + 1))
        let P_O = partials.buffer(worker: 0)
        let P_L = P_O + slices * splits * R * d
        let scale = problem.scale
        let lanes = geometry.lanes
        /// The first of the R stacked query (and output) rows of a K/V slice.
        func firstRow(_ slice: Int) -> Int { ((slice / Hkv) * H + (slice % Hkv) * G) * Nq }

        /// Rows `from ..< from + count` of a slice's stored rows, widened to fp32 into `tile` in
        /// runs of `WK` rows, `body(offset, run)` after each run.
        @inline(__always)
        func widenRuns(
            _ tensor: AttentionTensor, _ rows: UnsafeRawPointer, from start: Int, count n: Int,
            into tile: UnsafeMutablePointer<Float>, _ body: (_ offset: Int, _ run: Int) -> Void
        ) {
            var j = 0
            while j < n {
                let run = min(WK, n - j)
                ElementConversion.widen(
                    rows + (start + j) * tensor.rowBytes, count: run * d, from: tensor.elementType, destination: tile)
                body(j, run)
                j += run
            }
        }

        /// O[R][dP] += P[R][n] · V[n][d] (leading dimensions DC, d).
        @inline(__always)
        func accumulate(
            _ p: UnsafePointer<Float>, _ n: Int, _ vChunk: UnsafePointer<Float>, _ Oacc: UnsafeMutablePointer<Float>
        ) {
            switch lanes {
            case 16 where FusedMicroKernels.hasAVX512F:
                attnbench_accumulate_rows_avx512(p, DC, R, n, vChunk, d, d, Oacc, dP)
            case _ where d % lanes != 0:
                for r in 0..<R {
                    for j in 0..<n { Self.addScaled(Oacc + r * dP, vChunk + j * d, by: p[r * DC + j], count: d) }
                }
            case 16:
                Self.accumulateChunk(
                    SIMD16<Float>.self, p: p, ldP: DC, rows: R, keys: n, v: vChunk, d: d, o: Oacc, ldO: dP)
            case 8:
                Self.accumulateChunk(
                    SIMD8<Float>.self, p: p, ldP: DC, rows: R, keys: n, v: vChunk, d: d, o: Oacc, ldO: dP)
            default:
                Self.accumulateChunk(
                    SIMD4<Float>.self, p: p, ldP: DC, rows: R, keys: n, v: vChunk, d: d, o: Oacc, ldO: dP)
            }
        }

        ParallelFor.run(taskCount: slices * splits, threadCount: workers) { task, worker in
            let slice = task / splits
            let split = task % splits
            let b = slice / Hkv
            let spanStart = problem.visibleKeyStart(batch: b, row: 0)
            let spanEnd = problem.visibleKeyEnd(batch: b, row: Nq - 1)
            let chunks = (max(0, spanEnd - spanStart) + DC - 1) / DC
            let chunksPerSplit = (chunks + splits - 1) / splits
            let splitStart = spanStart + split * chunksPerSplit * DC
            let splitEnd = min(spanEnd, splitStart + chunksPerSplit * DC)
            let S = scratch.buffer(worker: worker)
            let Qs = S + R * DC
            let Oacc = Qs + R * dP
            let m = Oacc + R * dP
            let l = m + R
            let Kw = l + R
            let Vw = Kw + WK * d
            let q0 = firstRow(slice)
            for r in 0..<R {
                ElementConversion.widen(
                    UnsafeRawPointer(query.rawBaseAddress + (q0 + r) * query.rowBytes), count: d,
                    from: query.elementType, destination: Qs + r * dP)
                for c in 0..<d { Qs[r * dP + c] *= scale }
                (Qs + r * dP + d).update(repeating: 0, count: dP - d)
            }
            Oacc.update(repeating: 0, count: R * dP)
            m.update(repeating: -.infinity, count: R)
            l.update(repeating: 0, count: R)
            let kRows = UnsafeRawPointer(key.rawBaseAddress + slice * Nk * key.rowBytes)
            let vRows = UnsafeRawPointer(value.rawBaseAddress + slice * Nk * value.rowBytes)
            var chunkStart = splitStart
            while chunkStart < splitEnd {
                let n = min(DC, splitEnd - chunkStart)
                // Scores of every stacked row against the chunk's key rows, each key block read
                // from memory once.
                if typedRows {
                    attnbench_typed_row_scores_avx512(
                        Qs, dP, R, kRows + chunkStart * key.rowBytes, storedType, key.rowBytes, n, d, S, DC)
                } else if widens {
                    widenRuns(key, kRows, from: chunkStart, count: n, into: Kw) { j, run in
                        FusedMicroKernels.rowScores(
                            q: Qs, ldQ: dP, rows: R, k: Kw, ldK: d, keys: run, columns: d, s: S + j, ldS: DC,
                            lanes: lanes)
                    }
                } else {
                    FusedMicroKernels.rowScores(
                        q: Qs, ldQ: dP, rows: R, k: kRows.assumingMemoryBound(to: Float.self) + chunkStart * d,
                        ldK: d, keys: n, columns: d, s: S, ldS: DC, lanes: lanes)
                }
                for r in 0..<R {
                    let row = S + r * DC
                    let position = r % Nq
                    let start = problem.visibleKeyStart(batch: b, row: position)
                    let end = min(chunkStart + n, problem.visibleKeyEnd(batch: b, row: position))
                    let low = min(max(start - chunkStart, 0), n)
                    let high = min(max(end - chunkStart, low), n)
                    if low > 0 { row.update(repeating: -.infinity, count: low) }
                    if high < n { (row + high).update(repeating: -.infinity, count: n - high) }
                    OnlineSoftmax.updateRow(
                        row, columns: n, output: Oacc + r * dP, outputCount: dP, rowMaximum: &m[r], rowSum: &l[r])
                }
                // O += P · V_chunk while the chunk's V rows are in L1 (masked keys have P = 0).
                if typedRows {
                    attnbench_typed_accumulate_rows_avx512(
                        S, DC, R, n, vRows + chunkStart * value.rowBytes, storedType, value.rowBytes, d, Oacc, dP)
                } else if widens {
                    widenRuns(value, vRows, from: chunkStart, count: n, into: Vw) { j, run in
                        accumulate(S + j, run, Vw, Oacc)
                    }
                } else {
                    accumulate(S, n, vRows.assumingMemoryBound(to: Float.self) + chunkStart * d, Oacc)
                }
                chunkStart += n
            }
            for r in 0..<R {
                let partialO = P_O + ((slice * splits + split) * R + r) * d
                let L = P_L + (slice * splits + split) * R + r
                if l[r] > 0 {
                    let inverse = 1 / l[r]
                    for c in 0..<d { partialO[c] = Oacc[r * dP + c] * inverse }
                    L.pointee = m[r] + scalarLog(l[r])
                } else {
                    L.pointee = -.infinity
                }
            }
        }

        // Merge the splits of each stacked row by log-sum-exp (in fp32), then store the row.
        ParallelFor.run(taskCount: slices, threadCount: workers) { slice, worker in
            let merged = scratch.buffer(worker: worker)
            for r in 0..<R {
                SplitMerge.merge(
                    into: merged, headDimension: d, splits: splits,
                    partialOutput: { UnsafePointer(P_O + ((slice * splits + $0) * R + r) * d) },
                    logSumExp: { P_L[(slice * splits + $0) * R + r] })
                ElementConversion.narrow(
                    merged, count: d, to: output.elementType,
                    destination: output.rawBaseAddress + (firstRow(slice) + r) * output.rowBytes)
            }
        }
    }

    /// The typed row kernels' code of a storage type.
    static func typeCode(_ type: ElementType) -> Int32 {
        switch type {
        case .f32: return Int32(ATTNBENCH_TYPE_F32)
        case .bf16: return Int32(ATTNBENCH_TYPE_BF16)
        case .f16: return Int32(ATTNBENCH_TYPE_F16)
        case .q8_0: return Int32(ATTNBENCH_TYPE_Q8_0)
        }
    }

    /// O[rows][d] += P[rows][keys] · V[keys][d] (leading dimensions ldO, ldP, d; d a multiple of
    /// V's lanes): four rows at a time in register tiles, so each V row is loaded once per four
    /// rows and O stays in registers across the keys; left-over rows one at a time.
    @inline(__always)
    static func accumulateChunk<V: SIMD>(
        _: V.Type, p: UnsafePointer<Float>, ldP: Int, rows: Int, keys: Int,
        v: UnsafePointer<Float>, d: Int, o: UnsafeMutablePointer<Float>, ldO: Int
    )
    where V.Scalar == Float {
        let L = V.scalarCount
        var r = 0
        while r + 4 <= rows {
            // Four vectors a row where registers allow four rows of them (32 registers of 16 lanes).
            FusedMicroKernels.accumulateFourRows(
                V.self, wide: L >= 16, p: p + r * ldP, ldP: ldP, keys: keys, v: v, ldV: d,
                o: o + r * ldO, ldO: ldO, columns: d)
            r += 4
        }
        while r < rows {
            let pr = p + r * ldP
            let or = o + r * ldO
            var column = 0
            while column + 4 * L <= d {
                FusedMicroKernels.accumulateRow(
                    VectorGroup4<V>.self, p: pr, keys: keys, v: v + column, ldV: d, o: or + column)
                column += 4 * L
            }
            while column < d {
                FusedMicroKernels.accumulateRow(
                    VectorGroup1<V>.self, p: pr, keys: keys, v: v + column, ldV: d, o: or + column)
                column += L
            }
            r += 1
        }
    }

    /// Σ a[c]·b[c] over `count` floats.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var s0 = SIMD16<Float>()
        var s1 = SIMD16<Float>()
        var c = 0
        while c &+ 32 <= count {
            s0 = s0.addingProduct(FusedMicroKernels.load(a + c), FusedMicroKernels.load(b + c) as SIMD16<Float>)
            s1 = s1.addingProduct(
                FusedMicroKernels.load(a + (c &+ 16)), FusedMicroKernels.load(b + (c &+ 16)) as SIMD16<Float>)
            c &+= 32
        }
        if c &+ 16 <= count {
            s0 = s0.addingProduct(FusedMicroKernels.load(a + c), FusedMicroKernels.load(b + c) as SIMD16<Float>)
            c &+= 16
        }
        var total = horizontalSum(s0 + s1)
        while c < count {
            total += a[c] * b[c]
            c &+= 1
        }
        return total
    }

    /// o[c] += x[c]·w over `count` floats.
    @inline(__always)
    static func addScaled(_ o: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, by w: Float, count: Int) {
        let wv = SIMD16<Float>(repeating: w)
        var c = 0
        while c + 16 <= count {
            let sum = (FusedMicroKernels.load(UnsafePointer(o + c)) as SIMD16<Float>).addingProduct(
                FusedMicroKernels.load(x + c), wv)
            FusedMicroKernels.store(sum, o + c)
            c += 16
        }
        while c < count {
            o[c] += x[c] * w
            c += 1
        }
    }
}
