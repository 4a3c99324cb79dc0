import CMicroKernels

extension FusedMicroKernels {
    /// What the CPU supports of the instruction sets the C micro-kernels are written for.
    static let hasAVX512F = attnbench_cpu_has_avx512f() != 0
    /// AVX-512 F/BW/VL with F16C: the typed row kernels, which read bf16, fp16 and q8_0 rows in place.
    static let hasAVX512BW = attnbench_cpu_has_avx512bw() != 0
    /// AVX512_BF16 (`vdpbf16ps`): the bf16-product prefill.
    static let hasAVX512BF16 = attnbench_cpu_has_avx512bf16() != 0
    static let hasAVX2FMA = attnbench_cpu_has_avx2_fma() != 0

    /// S[r·ldS + j] = Σ_c Q[r·ldQ + c]·K[j·ldK + c] for r < rows, j < keys, c < columns: the
    /// decode path's scores, where K is read in its own row-major layout (no packing: each key is
    /// used once per call). Tiles of `lanes` lanes: 16 takes the AVX-512 kernel, 8 the AVX2 one,
    /// when the CPU has them; otherwise the portable loop.
    @inline(__always)
    static func rowScores(
        q: UnsafePointer<Float>, ldQ: Int, rows: Int, k: UnsafePointer<Float>, ldK: Int, keys: Int, columns: Int,
        s: UnsafeMutablePointer<Float>, ldS: Int, lanes: Int
    ) {
        if lanes >= 16 && hasAVX512F {
            attnbench_row_scores_avx512(q, ldQ, rows, k, ldK, keys, columns, s, ldS)
        } else if lanes >= 8 && hasAVX2FMA {
            attnbench_row_scores_avx2(q, ldQ, rows, k, ldK, keys, columns, s, ldS)
        } else {
            attnbench_row_scores_portable(q, ldQ, rows, k, ldK, keys, columns, s, ldS)
        }
    }
}
