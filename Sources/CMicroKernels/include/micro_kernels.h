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
#endif
