#include "micro_kernels.h"

#include <string.h>

// The decode path's products on K and V rows as they are stored (fp32, bf16, fp16 or q8_0):
// each 16-value piece of a row is widened in registers right before its multiply-adds, so
// only the stored bytes come from memory and no fp32 copy of K or V is written anywhere.

#if defined(__x86_64__)
#include <immintrin.h>

#include "reduce16.h"

int attnbench_cpu_has_avx512bw(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("f16c");
    }
    return cached;
}

#define ATTNBENCH_TARGET_TYPED __attribute__((target("avx512f,avx512bw,avx512vl,fma,f16c")))

// q8_0: a block's fp16 scale broadcast as fp16 and widened in one vector conversion (no scalar
// insert, which would depend on an unrelated register).
ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) __m512 q8_scale(const uint8_t *block) {
    uint16_t bits;
    memcpy(&bits, block, 2);
    return _mm512_cvtph_ps(_mm256_set1_epi16((short)bits));
}

// q8_0: 16 int8 codes sign-extended from memory and converted, lanes outside `m` zero.
ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) __m512 q8_codes(const uint8_t *codes, __mmask16 m) {
    __m128i raw = m == (__mmask16)0xFFFF ? _mm_loadu_si128((const __m128i *)codes) : _mm_maskz_loadu_epi8(m, codes);
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(raw));
}

// 16 values of a stored row from column c (a multiple of 16), lanes outside `m` zero.
// q8_0: c's block is c / 32; the value is its fp16 scale times the int8 code.
ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) __m512 load16(
    const int T, const uint8_t *row, long c, __mmask16 m) {
    switch (T) {
    case ATTNBENCH_TYPE_F32: return _mm512_maskz_loadu_ps(m, (const float *)row + c);
    case ATTNBENCH_TYPE_BF16: {
        __m256i bits = _mm256_maskz_loadu_epi16(m, (const uint16_t *)row + c);
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
    }
    case ATTNBENCH_TYPE_F16: return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)row + c));
    default: {
        const uint8_t *block = row + (c / 32) * 34;
        return _mm512_mul_ps(q8_scale(block), q8_codes(block + 2 + c % 32, m));
    }
    }
}

// NV 16-value pieces of a stored row from column c0 (the last masked by `last`) into v[0 ..
// NV): for q8_0 with c0 a multiple of 32, each block's scale is widened once for both its pieces.
ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) void load_pieces(
    const int T, const int NV, const uint8_t *row, long c0, __mmask16 last, __m512 *v) {
    if (T == ATTNBENCH_TYPE_Q8_0 && c0 % 32 == 0) {
        for (int c = 0; c < NV; c += 2) {
            const uint8_t *block = row + ((c0 + 16 * c) / 32) * 34;
            const __m512 scale = q8_scale(block);
            for (int h = 0; h < 2 && c + h < NV; h++) {
                __mmask16 m = c + h == NV - 1 ? last : (__mmask16)0xFFFF;
                v[c + h] = _mm512_mul_ps(scale, q8_codes(block + 2 + 16 * h, m));
            }
        }
        return;
    }
    for (int c = 0; c < NV; c++) v[c] = load16(T, row, c0 + 16 * c, c == NV - 1 ? last : (__mmask16)0xFFFF);
}

enum { SCORE_ROWS = 8, PANEL_VECTORS = 8 };

// How far ahead of the rows being read K and V are prefetched: a fixed number of bytes rather
// than of rows, so that narrow rows (q8_0: 136 bytes at d = 128) are requested as early as fp32
// ones (16 rows of 512 bytes): 16 q8_0 rows would be only 2 KiB ahead. The rows are contiguous,
// so the bytes that far ahead of each row are the rows to come.
enum { PREFETCH_BYTES = 8192 };

// One panel of NV vectors (the last masked by `last`) of up to 8 rows' scores against up to
// 16 keys, added to partial[r][i]: two key rows at a time, each piece widened once and kept in
// registers while every row's query piece is loaded once for both keys; the rows
// PREFETCH_BYTES ahead are prefetched.
ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) void score_panel(
    const int T, const int NV, __mmask16 last, const float *q, long ldq, long rows, const uint8_t *k,
    long row_bytes, long keys, long c0, __m512 partial[][16]) {
    long i = 0;
    for (; i + 2 <= keys; i += 2) {
        const uint8_t *ka = k + i * row_bytes;
        const uint8_t *kb = ka + row_bytes;
        if (c0 == 0)
            for (long line = 0; line < 2 * row_bytes; line += 64)
                _mm_prefetch((const char *)(ka + PREFETCH_BYTES + line), _MM_HINT_T0);
        __m512 va[PANEL_VECTORS], vb[PANEL_VECTORS];
        load_pieces(T, NV, ka, c0, last, va);
        load_pieces(T, NV, kb, c0, last, vb);
        for (long r = 0; r < rows; r++) {
            const float *qr = q + r * ldq + c0;
            // Two chains per key (even and odd pieces) halve the multiply-add latency each waits
            // on; the first panel starts from zero instead of reading a zeroed partial.
            __m512 a[2] = {c0 == 0 ? _mm512_setzero_ps() : partial[r][i], _mm512_setzero_ps()};
            __m512 b[2] = {c0 == 0 ? _mm512_setzero_ps() : partial[r][i + 1], _mm512_setzero_ps()};
            for (int c = 0; c < NV; c++) {
                __m512 qv = c == NV - 1 ? _mm512_maskz_loadu_ps(last, qr + 16 * c) : _mm512_loadu_ps(qr + 16 * c);
                a[c & 1] = _mm512_fmadd_ps(qv, va[c], a[c & 1]);
                b[c & 1] = _mm512_fmadd_ps(qv, vb[c], b[c & 1]);
            }
            partial[r][i] = _mm512_add_ps(a[0], a[1]);
            partial[r][i + 1] = _mm512_add_ps(b[0], b[1]);
        }
    }
    for (; i < keys; i++) {
        const uint8_t *ki = k + i * row_bytes;
        __m512 kv[PANEL_VECTORS];
        load_pieces(T, NV, ki, c0, last, kv);
        for (long r = 0; r < rows; r++) {
            const float *qr = q + r * ldq + c0;
            __m512 acc = c0 == 0 ? _mm512_setzero_ps() : partial[r][i];
            for (int c = 0; c < NV; c++) {
                __m512 qv = c == NV - 1 ? _mm512_maskz_loadu_ps(last, qr + 16 * c) : _mm512_loadu_ps(qr + 16 * c);
                acc = _mm512_fmadd_ps(qv, kv[c], acc);
            }
            partial[r][i] = acc;
        }
    }
}

#define SCORE_PANEL(NV) \
    case NV: score_panel(T, NV, last, q, ldq, rows, k, row_bytes, keys, c0, partial); break;

// Scores of up to 8 rows against up to 16 keys, panel by panel of 8 vectors (128 columns);
// partial sums are kept per (row, key) and reduced 16 keys at a time.
ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) void score_block(
    const int T, const float *q, long ldq, long rows, const uint8_t *k, long row_bytes, long keys, long columns,
    float *s, long lds) {
    // The first panel writes partial[r][i] for i < keys; the rest stay zero for the reduction.
    __m512 partial[SCORE_ROWS][16];
    for (long r = 0; r < rows; r++)
        for (long i = keys; i < 16; i++) partial[r][i] = _mm512_setzero_ps();
    for (long c0 = 0; c0 < columns; c0 += 16 * PANEL_VECTORS) {
        long width = columns - c0 < 16 * PANEL_VECTORS ? columns - c0 : 16 * PANEL_VECTORS;
        int nv = (int)((width + 15) / 16);
        __mmask16 last = width >= 16 * nv ? (__mmask16)0xFFFF : (__mmask16)((1u << (width - 16 * (nv - 1))) - 1);
        if (last == (__mmask16)0xFFFF && nv == 8) {
            score_panel(T, 8, (__mmask16)0xFFFF, q, ldq, rows, k, row_bytes, keys, c0, partial);
            continue;
        }
        switch (nv) { SCORE_PANEL(1) SCORE_PANEL(2) SCORE_PANEL(3) SCORE_PANEL(4) SCORE_PANEL(5) SCORE_PANEL(6)
                      SCORE_PANEL(7) SCORE_PANEL(8) }
    }
    __mmask16 stored = keys >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << keys) - 1);
    for (long r = 0; r < rows; r++)
        _mm512_mask_storeu_ps(s + r * lds, stored, attnbench_reduce16_avx512(partial[r]));
}

ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) void typed_row_scores(
    const int T, const float *q, long ldq, long rows, const void *k, long row_bytes, long keys, long columns,
    float *s, long lds) {
    const uint8_t *kb = (const uint8_t *)k;
    for (long j = 0; j < keys; j += 16) {
        long n = keys - j < 16 ? keys - j : 16;
        for (long r = 0; r < rows; r += SCORE_ROWS) {
            long rr = rows - r < SCORE_ROWS ? rows - r : SCORE_ROWS;
            score_block(T, q + r * ldq, ldq, rr, kb + j * row_bytes, row_bytes, n, columns, s + r * lds + j, lds);
        }
    }
}

// O[r][c0 .. c0 + 16·NV) += sum_j P[r][j] V[j][c0 ..] for ROWS rows in registers, each V piece
// widened once per tile.
ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) void accumulate_typed_tile(
    const int T, const int ROWS, const int NV, const float *p, long ldp, long keys, const uint8_t *v, long row_bytes,
    long c0, long width, float *o, long ldo) {
    __m512 acc[4][8];
    __mmask16 last = width >= 16 * NV ? (__mmask16)0xFFFF : (__mmask16)((1u << (width - 16 * (NV - 1))) - 1);
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < NV; c++)
            acc[r][c] = _mm512_maskz_loadu_ps(c == NV - 1 ? last : (__mmask16)0xFFFF, o + r * ldo + c0 + 16 * c);
    for (long j = 0; j < keys; j++) {
        const uint8_t *vj = v + j * row_bytes;
        if (c0 == 0)
            for (long line = 0; line < row_bytes; line += 64)
                _mm_prefetch((const char *)(vj + PREFETCH_BYTES + line), _MM_HINT_T0);
        __m512 vr[8];
        load_pieces(T, NV, vj, c0, last, vr);
        for (int r = 0; r < ROWS; r++) {
            __m512 w = _mm512_set1_ps(p[r * ldp + j]);
            for (int c = 0; c < NV; c++) acc[r][c] = _mm512_fmadd_ps(w, vr[c], acc[r][c]);
        }
    }
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < NV; c++)
            _mm512_mask_storeu_ps(o + r * ldo + c0 + 16 * c, c == NV - 1 ? last : (__mmask16)0xFFFF, acc[r][c]);
}

#define TYPED_TILE(ROWS, NV) \
    case NV: accumulate_typed_tile(T, ROWS, NV, p, ldp, keys, v, row_bytes, c0, width, o, ldo); return;

ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) void accumulate_typed_dispatch(
    const int T, long rows, long vectors, const float *p, long ldp, long keys, const uint8_t *v, long row_bytes,
    long c0, long width, float *o, long ldo) {
    if (rows == 4) {
        switch (vectors) { TYPED_TILE(4, 1) TYPED_TILE(4, 2) TYPED_TILE(4, 3) TYPED_TILE(4, 4) }
    } else if (rows == 2) {
        switch (vectors) { TYPED_TILE(2, 5) TYPED_TILE(2, 6) TYPED_TILE(2, 7) TYPED_TILE(2, 8) }
    } else {
        switch (vectors) {
            TYPED_TILE(1, 1) TYPED_TILE(1, 2) TYPED_TILE(1, 3) TYPED_TILE(1, 4)
            TYPED_TILE(1, 5) TYPED_TILE(1, 6) TYPED_TILE(1, 7) TYPED_TILE(1, 8)
        }
    }
}

ATTNBENCH_TARGET_TYPED
static inline __attribute__((always_inline)) void typed_accumulate_rows(
    const int T, const float *p, long ldp, long rows, long keys, const void *v, long row_bytes, long columns,
    float *o, long ldo) {
    // Panels of at most 8 vectors (128 columns); within one, 4 rows up to 64 columns, else 2.
    // Stored types other than fp32 take panels of 4 vectors when there are 4 rows or more, so
    // that each piece of V is widened once for 4 rows rather than twice for 2.
    const uint8_t *vb = (const uint8_t *)v;
    const long panel = T != ATTNBENCH_TYPE_F32 && rows >= 4 ? 64 : 128;
    for (long c0 = 0; c0 < columns; c0 += panel) {
        long width = columns - c0 < panel ? columns - c0 : panel;
        long vectors = (width + 15) / 16;
        long tile = vectors <= 4 ? 4 : 2;
        long r = 0;
        for (; r + tile <= rows; r += tile) {
            accumulate_typed_dispatch(
                T, tile, vectors, p + r * ldp, ldp, keys, vb, row_bytes, c0, width, o + r * ldo, ldo);
        }
        for (; r < rows; r++) {
            accumulate_typed_dispatch(
                T, 1, vectors, p + r * ldp, ldp, keys, vb, row_bytes, c0, width, o + r * ldo, ldo);
        }
    }
}

// One instance of `call` per storage type, T a constant in each.
#define FOR_EACH_TYPE(type, call)                  \
    switch (type) {                                \
    case ATTNBENCH_TYPE_F32: {                     \
        const int T = ATTNBENCH_TYPE_F32;          \
        call;                                      \
    } break;                                       \
    case ATTNBENCH_TYPE_BF16: {                    \
        const int T = ATTNBENCH_TYPE_BF16;         \
        call;                                      \
    } break;                                       \
    case ATTNBENCH_TYPE_F16: {                     \
        const int T = ATTNBENCH_TYPE_F16;          \
        call;                                      \
    } break;                                       \
    default: {                                     \
        const int T = ATTNBENCH_TYPE_Q8_0;         \
        call;                                      \
    } break;                                       \
    }

ATTNBENCH_TARGET_TYPED
void attnbench_typed_row_scores_avx512(
    const float *q, long ldq, long rows, const void *k, int type, long row_bytes, long keys, long columns, float *s,
    long lds) {
    FOR_EACH_TYPE(type, typed_row_scores(T, q, ldq, rows, k, row_bytes, keys, columns, s, lds))
}

ATTNBENCH_TARGET_TYPED
void attnbench_typed_accumulate_rows_avx512(
    const float *p, long ldp, long rows, long keys, const void *v, int type, long row_bytes, long columns, float *o,
    long ldo) {
    FOR_EACH_TYPE(type, typed_accumulate_rows(T, p, ldp, rows, keys, v, row_bytes, columns, o, ldo))
}

#else

int attnbench_cpu_has_avx512bw(void) { return 0; }

void attnbench_typed_row_scores_avx512(
    const float *q, long ldq, long rows, const void *k, int type, long row_bytes, long keys, long columns, float *s,
    long lds) {
    (void)q; (void)ldq; (void)rows; (void)k; (void)type; (void)row_bytes; (void)keys; (void)columns; (void)s;
    (void)lds;
}

void attnbench_typed_accumulate_rows_avx512(
    const float *p, long ldp, long rows, long keys, const void *v, int type, long row_bytes, long columns, float *o,
    long ldo) {
    (void)p; (void)ldp; (void)rows; (void)keys; (void)v; (void)type; (void)row_bytes; (void)columns; (void)o;
    (void)ldo;
}

#endif
