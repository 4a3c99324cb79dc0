#include "micro_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "reduce16.h"

int attnbench_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

int attnbench_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#define ATTNBENCH_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,fma")))

ATTNBENCH_TARGET_AVX512
static inline float dot_avx512(const float *q, const float *k, long columns) {
    __m512 acc0 = _mm512_setzero_ps();
    __m512 acc1 = _mm512_setzero_ps();
    long c = 0;
    for (; c + 32 <= columns; c += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + c), _mm512_loadu_ps(k + c), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + c + 16), _mm512_loadu_ps(k + c + 16), acc1);
    }
    for (; c < columns; c += 16) {
        __mmask16 m = columns - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (columns - c)) - 1);
        acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + c), _mm512_maskz_loadu_ps(m, k + c), acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// Scores of one row against 16 keys as 16 vectors of partial sums, key by key, each key row
// read from its start to its end: the order the hardware prefetchers follow (a block read
// column by column across its 16 rows streams at about half the rate). Up to 8 vectors of
// the query row (128 columns) stay in registers.
ATTNBENCH_TARGET_AVX512
static inline __attribute__((always_inline)) void partial_scores_avx512(
    const int NV, const float *q, const float *k, long ldk, long columns, __m512 *a) {
    __mmask16 last = columns >= 16 * NV ? (__mmask16)0xFFFF : (__mmask16)((1u << (columns - 16 * (NV - 1))) - 1);
    __m512 qv[8];
    for (int c = 0; c < NV; c++) qv[c] = _mm512_maskz_loadu_ps(c == NV - 1 ? last : (__mmask16)0xFFFF, q + 16 * c);
    for (int i = 0; i < 16; i++) {
        const float *ki = k + i * ldk;
        __m512 acc = _mm512_mul_ps(qv[0], _mm512_maskz_loadu_ps(NV == 1 ? last : (__mmask16)0xFFFF, ki));
        for (int c = 1; c < NV; c++) {
            __mmask16 mc = c == NV - 1 ? last : (__mmask16)0xFFFF;
            acc = _mm512_fmadd_ps(qv[c], _mm512_maskz_loadu_ps(mc, ki + 16 * c), acc);
        }
        a[i] = acc;
    }
}

// 16 keys, one row: 16 vectors of partial sums, reduced together to one vector of 16 scores.
ATTNBENCH_TARGET_AVX512
static inline __m512 sixteen_scores_avx512(const float *q, const float *k, long ldk, long columns) {
    __m512 a[16];
    switch ((columns + 15) / 16) {
    case 1: partial_scores_avx512(1, q, k, ldk, columns, a); break;
    case 2: partial_scores_avx512(2, q, k, ldk, columns, a); break;
    case 3: partial_scores_avx512(3, q, k, ldk, columns, a); break;
    case 4: partial_scores_avx512(4, q, k, ldk, columns, a); break;
    case 5: partial_scores_avx512(5, q, k, ldk, columns, a); break;
    case 6: partial_scores_avx512(6, q, k, ldk, columns, a); break;
    case 7: partial_scores_avx512(7, q, k, ldk, columns, a); break;
    case 8: partial_scores_avx512(8, q, k, ldk, columns, a); break;
    default: {
        long full = columns & ~15L;
        __mmask16 m = (__mmask16)((1u << (columns - full)) - 1);
        for (int i = 0; i < 16; i++) {
            const float *ki = k + i * ldk;
            __m512 acc = _mm512_setzero_ps();
            for (long c = 0; c < full; c += 16) {
                acc = _mm512_fmadd_ps(_mm512_loadu_ps(q + c), _mm512_loadu_ps(ki + c), acc);
            }
            if (m) acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + full), _mm512_maskz_loadu_ps(m, ki + full), acc);
            a[i] = acc;
        }
    }
    }
    return attnbench_reduce16_avx512(a);
}

ATTNBENCH_TARGET_AVX512
void attnbench_row_scores_avx512(
    const float *q, long ldq, long rows, const float *k, long ldk, long keys, long columns, float *s, long lds) {
    long j = 0;
    for (; j + 16 <= keys; j += 16) {
        for (long r = 0; r < rows; r++) {
            _mm512_storeu_ps(s + r * lds + j, sixteen_scores_avx512(q + r * ldq, k + j * ldk, ldk, columns));
        }
    }
    for (; j < keys; j++) {
        for (long r = 0; r < rows; r++) s[r * lds + j] = dot_avx512(q + r * ldq, k + j * ldk, columns);
    }
}

// O[r][0..<columns] += sum_j P[r][j] V[j][0..<columns] for ROWS rows and NV vectors of 16
// columns (the last masked), O held in registers across the keys and each V row read from its
// start to its end once per ROWS rows.
ATTNBENCH_TARGET_AVX512
static inline __attribute__((always_inline)) void accumulate_tile_avx512(
    const int ROWS, const int NV, const float *p, long ldp, long keys, const float *v, long ldv, long columns,
    float *o, long ldo) {
    __m512 acc[4][16];
    __mmask16 last = columns >= 16 * NV ? (__mmask16)0xFFFF : (__mmask16)((1u << (columns - 16 * (NV - 1))) - 1);
    for (int r = 0; r < ROWS; r++) {
        for (int c = 0; c < NV; c++) {
            acc[r][c] = _mm512_maskz_loadu_ps(c == NV - 1 ? last : (__mmask16)0xFFFF, o + r * ldo + 16 * c);
        }
    }
    for (long j = 0; j < keys; j++) {
        const float *vj = v + j * ldv;
        __m512 vr[16];
        for (int c = 0; c < NV; c++) vr[c] = _mm512_maskz_loadu_ps(c == NV - 1 ? last : (__mmask16)0xFFFF, vj + 16 * c);
        for (int r = 0; r < ROWS; r++) {
            __m512 w = _mm512_set1_ps(p[r * ldp + j]);
            for (int c = 0; c < NV; c++) acc[r][c] = _mm512_fmadd_ps(w, vr[c], acc[r][c]);
        }
    }
    for (int r = 0; r < ROWS; r++) {
        for (int c = 0; c < NV; c++) {
            _mm512_mask_storeu_ps(o + r * ldo + 16 * c, c == NV - 1 ? last : (__mmask16)0xFFFF, acc[r][c]);
        }
    }
}

#define ATTNBENCH_TILE(ROWS, NV) \
    case NV: accumulate_tile_avx512(ROWS, NV, p, ldp, keys, v, ldv, columns, o, ldo); return;

// One tile of `rows` (4, 2 or 1) rows and `vectors` vectors (at most 4, 8 and 16 respectively).
ATTNBENCH_TARGET_AVX512
static void accumulate_tile_dispatch_avx512(
    long rows, long vectors, const float *p, long ldp, long keys, const float *v, long ldv, long columns, float *o,
    long ldo) {
    if (rows == 4) {
        switch (vectors) { ATTNBENCH_TILE(4, 1) ATTNBENCH_TILE(4, 2) ATTNBENCH_TILE(4, 3) ATTNBENCH_TILE(4, 4) }
    } else if (rows == 2) {
        switch (vectors) { ATTNBENCH_TILE(2, 5) ATTNBENCH_TILE(2, 6) ATTNBENCH_TILE(2, 7) ATTNBENCH_TILE(2, 8) }
    } else {
        switch (vectors) {
            ATTNBENCH_TILE(1, 1) ATTNBENCH_TILE(1, 2) ATTNBENCH_TILE(1, 3) ATTNBENCH_TILE(1, 4)
            ATTNBENCH_TILE(1, 5) ATTNBENCH_TILE(1, 6) ATTNBENCH_TILE(1, 7) ATTNBENCH_TILE(1, 8)
            ATTNBENCH_TILE(1, 9) ATTNBENCH_TILE(1, 10) ATTNBENCH_TILE(1, 11) ATTNBENCH_TILE(1, 12)
            ATTNBENCH_TILE(1, 13) ATTNBENCH_TILE(1, 14) ATTNBENCH_TILE(1, 15) ATTNBENCH_TILE(1, 16)
        }
    }
}

ATTNBENCH_TARGET_AVX512
void attnbench_accumulate_rows_avx512(
    const float *p, long ldp, long rows, long keys, const float *v, long ldv, long columns, float *o, long ldo) {
    // Panels of at most 16 vectors (256 columns); within one, as many rows as 16 accumulators
    // hold (4 rows up to 64 columns, 2 up to 128, 1 up to 256), left-over rows one at a time.
    for (long c0 = 0; c0 < columns; c0 += 256) {
        long width = columns - c0 < 256 ? columns - c0 : 256;
        long vectors = (width + 15) / 16;
        long tile = vectors <= 4 ? 4 : vectors <= 8 ? 2 : 1;
        long r = 0;
        for (; r + tile <= rows; r += tile) {
            accumulate_tile_dispatch_avx512(
                tile, vectors, p + r * ldp, ldp, keys, v + c0, ldv, width, o + r * ldo + c0, ldo);
        }
        for (; r < rows; r++) {
            accumulate_tile_dispatch_avx512(
                1, vectors, p + r * ldp, ldp, keys, v + c0, ldv, width, o + r * ldo + c0, ldo);
        }
    }
}

#define ATTNBENCH_TARGET_AVX2 __attribute__((target("avx2,fma")))

ATTNBENCH_TARGET_AVX2
static inline __m256i tail_mask_avx2(long count) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count < 8 ? count : 8)), lanes);
}

ATTNBENCH_TARGET_AVX2
static inline float dot_avx2(const float *q, const float *k, long columns) {
    __m256 acc = _mm256_setzero_ps();
    long c = 0;
    for (; c + 8 <= columns; c += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), _mm256_loadu_ps(k + c), acc);
    if (c < columns) {
        __m256i m = tail_mask_avx2(columns - c);
        acc = _mm256_fmadd_ps(_mm256_maskload_ps(q + c, m), _mm256_maskload_ps(k + c, m), acc);
    }
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

// 8 keys, one row: 8 accumulators, then 8 partial-sum vectors to one vector of 8 scores.
ATTNBENCH_TARGET_AVX2
static inline __m256 eight_scores_avx2(const float *q, const float *k, long ldk, long columns) {
    // Key by key, each row from its start to its end (see the AVX-512 version).
    __m256 a[8];
    long full = columns & ~7L;
    __m256i m = tail_mask_avx2(columns - full);
    for (int i = 0; i < 8; i++) {
        const float *ki = k + i * ldk;
        __m256 acc = _mm256_setzero_ps();
        for (long c = 0; c < full; c += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), _mm256_loadu_ps(ki + c), acc);
        if (full < columns) {
            acc = _mm256_fmadd_ps(_mm256_maskload_ps(q + full, m), _mm256_maskload_ps(ki + full, m), acc);
        }
        a[i] = acc;
    }
    // Level 1: halves (a.lo | b.lo) + (a.hi | b.hi) → half h of u[i] = key 2i + h, 4 partials.
    __m256 u[4];
    for (int i = 0; i < 4; i++) {
        u[i] = _mm256_add_ps(
            _mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x20), _mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x31));
    }
    // Level 2, within halves: half h of y0 = (key h: 2 partials, key 2 + h: 2), of y1 = (key 4 + h, key 6 + h).
    __m256 y0 = _mm256_add_ps(
        _mm256_shuffle_ps(u[0], u[1], _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(u[0], u[1], _MM_SHUFFLE(3, 2, 3, 2)));
    __m256 y1 = _mm256_add_ps(
        _mm256_shuffle_ps(u[2], u[3], _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(u[2], u[3], _MM_SHUFFLE(3, 2, 3, 2)));
    // Level 3: half h = (key h, key 2 + h, key 4 + h, key 6 + h); lane 4h + i holds key 2i + h.
    __m256 z = _mm256_add_ps(
        _mm256_shuffle_ps(y0, y1, _MM_SHUFFLE(2, 0, 2, 0)), _mm256_shuffle_ps(y0, y1, _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm256_permutevar8x32_ps(z, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

ATTNBENCH_TARGET_AVX2
void attnbench_row_scores_avx2(
    const float *q, long ldq, long rows, const float *k, long ldk, long keys, long columns, float *s, long lds) {
    long j = 0;
    for (; j + 8 <= keys; j += 8) {
        for (long r = 0; r < rows; r++) {
            _mm256_storeu_ps(s + r * lds + j, eight_scores_avx2(q + r * ldq, k + j * ldk, ldk, columns));
        }
    }
    for (; j < keys; j++) {
        for (long r = 0; r < rows; r++) s[r * lds + j] = dot_avx2(q + r * ldq, k + j * ldk, columns);
    }
}

#else

void attnbench_accumulate_rows_avx512(
    const float *p, long ldp, long rows, long keys, const float *v, long ldv, long columns, float *o, long ldo) {
    attnbench_accumulate_rows_portable(p, ldp, rows, keys, v, ldv, columns, o, ldo);
}

int attnbench_cpu_has_avx512f(void) { return 0; }
int attnbench_cpu_has_avx2_fma(void) { return 0; }

void attnbench_row_scores_avx512(
    const float *q, long ldq, long rows, const float *k, long ldk, long keys, long columns, float *s, long lds) {
    attnbench_row_scores_portable(q, ldq, rows, k, ldk, keys, columns, s, lds);
}

void attnbench_row_scores_avx2(
    const float *q, long ldq, long rows, const float *k, long ldk, long keys, long columns, float *s, long lds) {
    attnbench_row_scores_portable(q, ldq, rows, k, ldk, keys, columns, s, lds);
}

#endif

void attnbench_row_scores_portable(
    const float *q, long ldq, long rows, const float *k, long ldk, long keys, long columns, float *s, long lds) {
    for (long j = 0; j < keys; j++) {
        for (long r = 0; r < rows; r++) {
            const float *qr = q + r * ldq;
            const float *kj = k + j * ldk;
            float total = 0;
            for (long c = 0; c < columns; c++) total += qr[c] * kj[c];
            s[r * lds + j] = total;
        }
    }
}

void attnbench_accumulate_rows_portable(
    const float *p, long ldp, long rows, long keys, const float *v, long ldv, long columns, float *o, long ldo) {
    for (long r = 0; r < rows; r++) {
        for (long j = 0; j < keys; j++) {
            float w = p[r * ldp + j];
            for (long c = 0; c < columns; c++) o[r * ldo + c] += w * v[j * ldv + c];
        }
    }
}
