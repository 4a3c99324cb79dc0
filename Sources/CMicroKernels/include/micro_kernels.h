#ifndef ATTNBENCH_MICRO_KERNELS_H
#define ATTNBENCH_MICRO_KERNELS_H
// Micro-kernels written with x86 intrinsics where Swift's SIMD types cannot say which
// instructions to use. Each has one version per instruction set, compiled with a target
// attribute and chosen by the caller at run time, plus a portable version.

#include <stdint.h>

// What the CPU this runs on supports (x86: cpuid; elsewhere 0).
int attnbench_cpu_has_avx512f(void);
int attnbench_cpu_has_avx2_fma(void);

// Scores of `rows` query rows against `keys` key rows, over `columns` floats:
//   s[r * lds + j] = sum_c q[r * ldq + c] * k[j * ldk + c].
// The AVX-512 version takes 16 keys at a time (16 accumulators, reduced together by a shuffle
// tree instead of one horizontal sum per score), the AVX2 version 8, each key block read from
// L1 once per row; `columns` need not be a multiple of the vector width (masked loads).
// Only call a version the CPU supports.
void attnbench_row_scores_avx512(
    const float *q, long ldq, long rows, const float *k, long ldk, long keys, long columns, float *s, long lds);
void attnbench_row_scores_avx2(
    const float *q, long ldq, long rows, const float *k, long ldk, long keys, long columns, float *s, long lds);
void attnbench_row_scores_portable(
    const float *q, long ldq, long rows, const float *k, long ldk, long keys, long columns, float *s, long lds);

// O[r * ldo + c] += sum_j P[r * ldp + j] * V[j * ldv + c] for r < rows, j < keys, c < columns:
// register tiles of O (4 rows up to 64 columns, 2 up to 128, 1 up to 256, panels beyond),
// each V row read from start to end once per tile.
void attnbench_accumulate_rows_avx512(
    const float *p, long ldp, long rows, long keys, const float *v, long ldv, long columns, float *o, long ldo);
void attnbench_accumulate_rows_portable(
    const float *p, long ldp, long rows, long keys, const float *v, long ldv, long columns, float *o, long ldo);

// The fused prefill's score tiles with their exponentials, for one group of 8 query rows:
// q packed [d][8], `panel_count` K panels each [d][32] (consecutive), S[8][32·panel_count]
// (leading dimension lds). Each tile's 16 vectors are exponentiated while the next tile's
// products run: s ← exp(s − reference[r]) row by row, sums[16·r .. 16·r + 16) += the
// exponentials (lane-wise), worst[0..16) ← lane-wise maximum of s − reference. A reference of
// −∞ (a row with nothing seen yet) is set to the maximum of the row's first tile. Returns 0, with
// the scores not all exponentiated, when a first-tile maximum is −∞ or NaN. AVX-512 only.
int attnbench_score_tiles_exp_avx512(
    const float *q, long d, const float *panels, long panel_count, float *s, long lds, float *reference,
    float *sums, float *worst);

// Element conversions: fp16 and q8_0 (ggml's blocks: an fp16 scale, 32 int8 codes, 34 bytes;
// n a multiple of 32) widened exactly to fp32, fp32 narrowed to fp16 and bf16 rounding to
// nearest even. F16C/AVX2 where the CPU has them (checked at run time), portable otherwise;
// the `_portable` versions let tests compare the two on one machine.
void attnbench_widen_f16(const uint16_t *src, long n, float *dst);
void attnbench_narrow_f16(const float *src, long n, uint16_t *dst);
void attnbench_widen_bf16(const uint16_t *src, long n, float *dst);
void attnbench_narrow_bf16(const float *src, long n, uint16_t *dst);
void attnbench_widen_q8_0(const void *src, long n, float *dst);
void attnbench_widen_f16_portable(const uint16_t *src, long n, float *dst);
void attnbench_narrow_f16_portable(const float *src, long n, uint16_t *dst);
void attnbench_widen_q8_0_portable(const void *src, long n, float *dst);
// fp32 to q8_0 blocks as ggml's quantize_row_q8_0 (reference) writes them: d = max|x|/127, codes
// round(x/d) with halfway cases away from zero (roundf), d stored as fp16; n a multiple of 32.
void attnbench_quantize_q8_0(const float *src, long n, void *dst);
void attnbench_quantize_q8_0_portable(const float *src, long n, void *dst);

// Storage types of the typed row kernels (rows of `row_bytes` bytes; q8_0 rows are blocks of
// an fp16 scale and 32 int8 codes, so `columns` is a multiple of 32 for it).
enum {
    ATTNBENCH_TYPE_F32 = 0,
    ATTNBENCH_TYPE_BF16 = 1,
    ATTNBENCH_TYPE_F16 = 2,
    ATTNBENCH_TYPE_Q8_0 = 3,
};

// AVX-512 F, BW and VL with F16C: what the typed row kernels need.
int attnbench_cpu_has_avx512bw(void);

// attnbench_row_scores_avx512 and attnbench_accumulate_rows_avx512 on K and V rows as stored:
// every 16-value piece widened in registers just before its multiply-adds, fp32 arithmetic.
// Scores: s[r * lds + j] = sum_c q[r * ldq + c] * K_j[c]; each key row widened once per 8 query
// rows. Accumulate: O[r * ldo + c] += sum_j P[r * ldp + j] * V_j[c]. Only call them where
// attnbench_cpu_has_avx512bw() is 1.
void attnbench_typed_row_scores_avx512(
    const float *q, long ldq, long rows, const void *k, int type, long row_bytes, long keys, long columns, float *s,
    long lds);
void attnbench_typed_accumulate_rows_avx512(
    const float *p, long ldp, long rows, long keys, const void *v, int type, long row_bytes, long columns, float *o,
    long ldo);

// AVX-512 F, BW, VL and BF16 (vdpbf16ps, vcvtne2ps2bf16): what the bf16 kernels below need.
int attnbench_cpu_has_avx512bf16(void);

// bf16 kernels of the fused prefill. bf16 values are uint16_t bit patterns (the top half of an
// fp32), widened exactly; a product of two is exact in fp32 and the sums are fp32. vdpbf16ps adds
// two products to each fp32 lane, so both operands are packed in pairs along the summed index:
// - a Q row group, q_pairs [d_pairs][8]: element (p, r) holds bf16 q[r][2p] in its low 16 bits and
//   q[r][2p + 1] in its high 16 bits; d_pairs = ceil(d / 2), an odd d padded with a zero;
// - K panels of 32 keys, `panel_count` consecutive ones each [d_pairs][32][2]: element
//   (p, key, t) = bf16 k[key][2p + t] (keys with nothing in them zero);
// - V packed [key_pairs][ldv][2]: element (jp, c, t) = bf16 V[2jp + t][c].
// Each `_avx512` function has a `_portable` twin with the same signature and products, for any
// CPU and for tests (the same bits, but for vdpbf16ps flushing subnormals to zero); on other
// architectures the `_avx512` names call the twins. Only call the `_avx512` versions where
// attnbench_cpu_has_avx512bf16() is 1.

// s[r * lds + 32 · panel + key] = scale · sum_c q[r][c] · k[key][c] for the 8 rows and all panels:
// 8 × 32 tiles of 16 accumulators.
void attnbench_bf16_score_tiles_avx512(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale);
void attnbench_bf16_score_tiles_portable(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale);

// attnbench_score_tiles_exp_avx512 on the bf16 score tiles: the scores (the products times
// `scale`) are exponentiated tile by tile while the next tile's products run, s ← exp(s −
// reference[r]), sums[16·r .. 16·r + 16) += the exponentials (lane-wise), worst[0..16) ← lane-wise
// maximum of s − reference. A reference of −∞ is set to the maximum of the row's first tile (NaN
// if any of its scores is NaN). Returns 0, with the scores not all exponentiated, when a first-tile
// maximum (or a given reference) is −∞ or NaN. The portable twin uses the same exp approximation.
int attnbench_bf16_score_tiles_exp_avx512(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale, float *reference, float *sums, float *worst);
int attnbench_bf16_score_tiles_exp_portable(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale, float *reference, float *sums, float *worst);

// p[r * ldp + j] = bf16 of s[r * lds + j], rounded to nearest even, for r < rows, j < count; an
// odd count also writes p[r * ldp + count] = 0, so that the last pair is complete. As
// vcvtneps2bf16 rounds: subnormals become zeros of their sign, NaN stays a (quiet) NaN. Checks
// the CPU itself (vcvtneps2bf16 where it has AVX512_BF16, the portable twin otherwise).
void attnbench_bf16_round_rows(const float *s, long lds, long rows, long count, uint16_t *p, long ldp);
void attnbench_bf16_round_rows_portable(const float *s, long lds, long rows, long count, uint16_t *p, long ldp);

// O[r * ldo + c] += sum_{j < 2 · key_pairs} P[r][j] · V[j][c] for r < rows (at most 8) and
// c < columns (a multiple of 16, at most ldv), P rows bf16 at p[r * ldp + j] (2 · key_pairs of
// them each, see attnbench_bf16_round_rows for an odd number of keys), V packed in pairs as above.
// Tiles of all the rows by 32 columns (16 accumulators for 8 rows; a last one of 16 columns), O
// loaded before and stored after the keys.
void attnbench_bf16_accumulate_rows_avx512(
    const uint16_t *p, long ldp, long rows, long key_pairs, const uint16_t *v_pairs, long ldv, long columns,
    float *o, long ldo);
void attnbench_bf16_accumulate_rows_portable(
    const uint16_t *p, long ldp, long rows, long key_pairs, const uint16_t *v_pairs, long ldv, long columns,
    float *o, long ldo);

// The peak rate of vdpbf16ps: `iterations` iterations of ATTNBENCH_BF16_PEAK_DOTS_PER_ITERATION
// independent vdpbf16ps on zmm registers (16 chains, enough for the latency on both FMA pipes).
// One vdpbf16ps on zmm is 16 lanes × 2 products × 2 operations (multiply, add) = 64 FLOPs, so an
// iteration is 16 × 64 = 1024 FLOPs and GFLOP/s = 1024 · iterations / seconds / 1e9. The inputs
// come from sink[0..16) (rounded to bf16; small values keep the sums finite), a reduction of the
// accumulators goes to sink[0..16). The portable twin does the same 1024 FLOPs per iteration in
// scalar code.
enum { ATTNBENCH_BF16_PEAK_DOTS_PER_ITERATION = 16 };
void attnbench_bf16_dot_peak_loop(long iterations, float *sink);
void attnbench_bf16_dot_peak_loop_portable(long iterations, float *sink);
#endif
