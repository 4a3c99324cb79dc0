#ifndef ATTNBENCH_REDUCE16_H
#define ATTNBENCH_REDUCE16_H
// Shared by the AVX-512 score kernels (row_scores.c, typed_rows.c); not part of the module's API.
#include <immintrin.h>

// 16 vectors of partial sums a[0..16) (a[i] for key i) reduced together to one vector whose lane
// i is the sum of a[i]'s lanes: four levels of shuffles and adds instead of 16 horizontal sums.
__attribute__((target("avx512f"))) static inline __m512 attnbench_reduce16_avx512(const __m512 *a) {
    // Level 1: 128-bit quarters (a: q0 q1 | b: q0 q1) + (a: q2 q3 | b: q2 q3) → 8 vectors,
    // each 8 partials of key 2i then 8 of key 2i+1.
    __m512 u[8];
    for (int i = 0; i < 8; i++) {
        __m512 x = a[2 * i], y = a[2 * i + 1];
        u[i] = _mm512_add_ps(
            _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(3, 2, 3, 2)));
    }
    // Level 2: quarters (0 2 | 0 2) + (1 3 | 1 3) → 4 vectors, quarter m of x[i] = key 4i + m.
    __m512 x4[4];
    for (int i = 0; i < 4; i++) {
        __m512 x = u[2 * i], y = u[2 * i + 1];
        x4[i] = _mm512_add_ps(
            _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    // Level 3, within quarters: quarter m of y0 = (key m: 2 partials, key 4 + m: 2 partials),
    // of y1 = (key 8 + m, key 12 + m).
    __m512 y0 = _mm512_add_ps(
        _mm512_shuffle_ps(x4[0], x4[1], _MM_SHUFFLE(1, 0, 1, 0)),
        _mm512_shuffle_ps(x4[0], x4[1], _MM_SHUFFLE(3, 2, 3, 2)));
    __m512 y1 = _mm512_add_ps(
        _mm512_shuffle_ps(x4[2], x4[3], _MM_SHUFFLE(1, 0, 1, 0)),
        _mm512_shuffle_ps(x4[2], x4[3], _MM_SHUFFLE(3, 2, 3, 2)));
    // Level 4: quarter m = (key m, key 4 + m, key 8 + m, key 12 + m); lane 4m + i holds key 4i + m.
    __m512 z = _mm512_add_ps(
        _mm512_shuffle_ps(y0, y1, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(y0, y1, _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(order, z);
}
#endif
