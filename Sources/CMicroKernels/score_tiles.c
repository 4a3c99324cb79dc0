#include "micro_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#define ATTNBENCH_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,fma")))

// exp(x): 2^(x·log2 e) split as 2^n · 2^f with n the nearest integer and f in [-1/2, 1/2]; n
// is rounded by adding and subtracting 1.5·2^23, 2^f comes from a degree-5 polynomial (relative
// error below 2e-7) and 2^n is added into its exponent bits. x is clamped to [−87.3, 88.3] so
// that 2^n stays a normal number: below −87.3 the result is e^−87.3 ≈ 1.2e-38 instead of a
// smaller number or 0, which no sum of exponentials that includes its maximum's e^0 can see. NaN
// stays NaN (max and min return their second operand when one is NaN). All of it runs on the FMA
// pipes, without the roundscale and scalef of the textbook version.
ATTNBENCH_TARGET_AVX512
static inline __attribute__((always_inline)) __m512 exp_avx512(__m512 x) {
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    x = _mm512_min_ps(_mm512_set1_ps(88.3f), _mm512_max_ps(_mm512_set1_ps(-87.3f), x));
    __m512 t = _mm512_fmadd_ps(x, log2e, magic);
    __m512 n = _mm512_sub_ps(t, magic);
    __m512 f = _mm512_fmsub_ps(x, log2e, n);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(1.3264563e-3f), f, _mm512_set1_ps(9.6714636e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5507336e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022242e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314700e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    __m512i e = _mm512_slli_epi32(_mm512_castps_si512(t), 23);
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(p), e));
}

// p[0..16) ← exp(p − reference); sum[0..16) += the exponentials; worst ← max(worst, p − reference).
ATTNBENCH_TARGET_AVX512
static inline __attribute__((always_inline)) void exponentiate_vector(
    float *p, float reference, float *sum, __m512 *worst) {
    __m512 x = _mm512_sub_ps(_mm512_loadu_ps(p), _mm512_set1_ps(reference));
    *worst = _mm512_max_ps(*worst, x);
    __m512 e = exp_avx512(x);
    _mm512_storeu_ps(p, e);
    _mm512_storeu_ps(sum, _mm512_add_ps(_mm512_loadu_ps(sum), e));
}

// One reduction step of the 8 × 32 score tile: broadcast each of the 8 query values of column c,
// two vectors of keys.
#define SCORE_STEP(c)                                                                            \
    do {                                                                                         \
        const __m512 k0 = _mm512_loadu_ps(panel + (c) * 32);                                     \
        const __m512 k1 = _mm512_loadu_ps(panel + (c) * 32 + 16);                                \
        for (int r = 0; r < 8; r++) {                                                            \
            const __m512 x = _mm512_set1_ps(q[(c) * 8 + r]);                                     \
            a[r] = _mm512_fmadd_ps(x, k0, a[r]);                                                 \
            b[r] = _mm512_fmadd_ps(x, k1, b[r]);                                                 \
        }                                                                                        \
    } while (0)

// S[8][32] (leading dimension lds) ← Q · panel for q [d][8] and panel [d][32]. With `previous`
// (the tile before, already written), its 16 vectors are exponentiated in between the 16
// segments of this tile's reduction, so the exponentials run beside the products.
ATTNBENCH_TARGET_AVX512
static inline __attribute__((always_inline)) void score_tile(
    const float *q, long d, const float *panel, float *s, long lds, float *previous, const float *reference,
    float *sums, __m512 *worst) {
    __m512 a[8], b[8];
    for (int r = 0; r < 8; r++) {
        a[r] = _mm512_setzero_ps();
        b[r] = _mm512_setzero_ps();
    }
    if (previous) {
        long c = 0;
        for (int v = 0; v < 16; v++) {
            const long end = d * (v + 1) / 16;
            for (; c < end; c++) SCORE_STEP(c);
            const int r = v >> 1;
            exponentiate_vector(previous + r * lds + (v & 1) * 16, reference[r], sums + 16 * r, worst);
        }
    } else {
        for (long c = 0; c < d; c++) SCORE_STEP(c);
    }
    for (int r = 0; r < 8; r++) {
        _mm512_storeu_ps(s + r * lds, a[r]);
        _mm512_storeu_ps(s + r * lds + 16, b[r]);
    }
}

ATTNBENCH_TARGET_AVX512
int attnbench_score_tiles_exp_avx512(
    const float *q, long d, const float *panels, long panel_count, float *s, long lds, float *reference,
    float *sums, float *worst) {
    __m512 w = _mm512_set1_ps(-INFINITY);
    score_tile(q, d, panels, s, lds, 0, reference, sums, &w);
    for (int r = 0; r < 8; r++) {
        if (reference[r] == -INFINITY) {
            __m512 m = _mm512_max_ps(_mm512_loadu_ps(s + r * lds), _mm512_loadu_ps(s + r * lds + 16));
            reference[r] = _mm512_reduce_max_ps(m);
        }
        // A first tile of −∞ or NaN scores: the caller's exact path handles it.
        if (!(reference[r] > -INFINITY)) return 0;
    }
    for (long t = 1; t < panel_count; t++) {
        score_tile(q, d, panels + t * 32 * d, s + t * 32, lds, s + (t - 1) * 32, reference, sums, &w);
    }
    float *last = s + (panel_count - 1) * 32;
    for (int v = 0; v < 16; v++) {
        exponentiate_vector(last + (v >> 1) * lds + (v & 1) * 16, reference[v >> 1], sums + 16 * (v >> 1), &w);
    }
    _mm512_storeu_ps(worst, w);
    return 1;
}

#else

int attnbench_score_tiles_exp_avx512(
    const float *q, long d, const float *panels, long panel_count, float *s, long lds, float *reference,
    float *sums, float *worst) {
    (void)q, (void)d, (void)panels, (void)panel_count, (void)s, (void)lds, (void)reference, (void)sums, (void)worst;
    return 0;
}

#endif
