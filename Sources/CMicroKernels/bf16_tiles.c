#include "micro_kernels.h"

#include <math.h>
#include <string.h>

// bf16 versions of the fused prefill's products: score tiles Q·Kᵀ and row updates O += P·V with
// vdpbf16ps (per fp32 lane, two bf16 products added into the lane), the conversion of
// probabilities to bf16 in between, and a register-only loop that measures the instruction's
// peak rate. Every AVX-512 function has a `_portable` twin in plain C with the same products (bf16
// widened exactly to fp32, whose products are exact in fp32) and fp32 sums; the twins add each
// pair in the order the instruction is documented to use (the odd element's product, then the
// even one's, each add rounded), which Zen 5 follows: the results agree bit for bit, except that
// vdpbf16ps takes subnormal inputs and results as zero and the twins do not (differences below
// 2^-126).

// bf16 bits → fp32, exact.
static inline float bf16_to_float(uint16_t h) {
    const uint32_t bits = (uint32_t)h << 16;
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

// fp32 → bf16 as vcvtneps2bf16 does it: round to nearest even, zeros and subnormals to a zero of
// the same sign, NaN to a quiet NaN with the same sign and top payload bits.
static inline uint16_t float_to_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7F800000u) == 0) return (uint16_t)((bits >> 16) & 0x8000u);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x0040u);
    return (uint16_t)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

// What vmaxps and vminps return: the second operand when either is NaN.
static inline float max_as_vmaxps(float a, float b) { return a > b ? a : b; }
static inline float min_as_vminps(float a, float b) { return a < b ? a : b; }

// The exponential of the AVX-512 kernels (see exp_avx512 below) one value at a time, with the
// same clamps, fused multiply-adds and exponent-bit addition, so it gives the same bits.
static inline float exp_portable(float x) {
    const float log2e = 1.44269504088896341f;
    const float magic = 12582912.0f;
    x = min_as_vminps(88.3f, max_as_vmaxps(-87.3f, x));
    const float t = fmaf(x, log2e, magic);
    const float n = t - magic;
    const float f = fmaf(x, log2e, -n);
    float p = fmaf(1.3264563e-3f, f, 9.6714636e-3f);
    p = fmaf(p, f, 5.5507336e-2f);
    p = fmaf(p, f, 2.4022242e-1f);
    p = fmaf(p, f, 6.9314700e-1f);
    p = fmaf(p, f, 1.0f);
    uint32_t tb, pb;
    memcpy(&tb, &t, sizeof tb);
    memcpy(&pb, &p, sizeof pb);
    pb += tb << 23;
    memcpy(&p, &pb, sizeof p);
    return p;
}

// One 8 × 32 score tile, scaled: s[r * lds + key] = scale · q[r] · k[key].
static void score_tile_portable(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panel, float *s, long lds, float scale) {
    for (int r = 0; r < 8; r++) {
        for (int key = 0; key < 32; key++) {
            float total = 0;
            for (long p = 0; p < d_pairs; p++) {
                const uint32_t q = q_pairs[p * 8 + r];
                const uint16_t *k = panel + (p * 32 + key) * 2;
                total += bf16_to_float((uint16_t)(q >> 16)) * bf16_to_float(k[1]);
                total += bf16_to_float((uint16_t)q) * bf16_to_float(k[0]);
            }
            s[r * lds + key] = scale * total;
        }
    }
}

void attnbench_bf16_score_tiles_portable(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale) {
    for (long t = 0; t < panel_count; t++) {
        score_tile_portable(q_pairs, d_pairs, panels + t * d_pairs * 64, s + t * 32, lds, scale);
    }
}

int attnbench_bf16_score_tiles_exp_portable(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale, float *reference, float *sums, float *worst) {
    score_tile_portable(q_pairs, d_pairs, panels, s, lds, scale);
    for (int r = 0; r < 8; r++) {
        if (reference[r] == -INFINITY) {
            // The first tile's maximum; NaN when any of its scores is NaN.
            float m = -INFINITY;
            int nan = 0;
            for (int key = 0; key < 32; key++) {
                const float x = s[r * lds + key];
                nan |= x != x;
                m = max_as_vmaxps(m, x);
            }
            reference[r] = nan ? NAN : m;
        }
        if (!(reference[r] > -INFINITY)) return 0;
    }
    for (long t = 1; t < panel_count; t++) {
        score_tile_portable(q_pairs, d_pairs, panels + t * d_pairs * 64, s + t * 32, lds, scale);
    }
    float w[16];
    for (int l = 0; l < 16; l++) w[l] = -INFINITY;
    for (long t = 0; t < panel_count; t++) {
        for (int r = 0; r < 8; r++) {
            for (int h = 0; h < 2; h++) {
                float *row = s + r * lds + t * 32 + h * 16;
                for (int l = 0; l < 16; l++) {
                    const float x = row[l] - reference[r];
                    w[l] = max_as_vmaxps(w[l], x);
                    const float e = exp_portable(x);
                    row[l] = e;
                    sums[16 * r + l] += e;
                }
            }
        }
    }
    for (int l = 0; l < 16; l++) worst[l] = w[l];
    return 1;
}

void attnbench_bf16_round_rows_portable(const float *s, long lds, long rows, long count, uint16_t *p, long ldp) {
    for (long r = 0; r < rows; r++) {
        for (long j = 0; j < count; j++) p[r * ldp + j] = float_to_bf16(s[r * lds + j]);
        if (count & 1) p[r * ldp + count] = 0;
    }
}

void attnbench_bf16_accumulate_rows_portable(
    const uint16_t *p, long ldp, long rows, long key_pairs, const uint16_t *v_pairs, long ldv, long columns,
    float *o, long ldo) {
    for (long r = 0; r < rows; r++) {
        for (long c = 0; c < columns; c++) {
            float total = o[r * ldo + c];
            for (long jp = 0; jp < key_pairs; jp++) {
                const uint16_t *w = p + r * ldp + 2 * jp;
                const uint16_t *v = v_pairs + (jp * ldv + c) * 2;
                total += bf16_to_float(w[1]) * bf16_to_float(v[1]);
                total += bf16_to_float(w[0]) * bf16_to_float(v[0]);
            }
            o[r * ldo + c] = total;
        }
    }
}

// The AVX-512 loop's work in scalar code: 16 accumulators of 16 lanes, each lane adding two
// products per iteration (1024 FLOPs per iteration), with the same inputs.
void attnbench_bf16_dot_peak_loop_portable(long iterations, float *sink) {
    float a[32], acc[16][16];
    for (int i = 0; i < 32; i++) a[i] = bf16_to_float(float_to_bf16(sink[i & 15]));
    for (int k = 0; k < 16; k++) {
        for (int l = 0; l < 16; l++) acc[k][l] = (float)k;
    }
    for (long i = 0; i < iterations; i++) {
        for (int k = 0; k < 16; k++) {
            for (int l = 0; l < 16; l++) {
                acc[k][l] += a[2 * l + 1] * a[2 * l + 1];
                acc[k][l] += a[2 * l] * a[2 * l];
            }
        }
    }
    for (int l = 0; l < 16; l++) {
        float total = 0;
        for (int k = 0; k < 16; k++) total += acc[k][l];
        sink[l] = total;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

int attnbench_cpu_has_avx512bf16(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
    }
    return cached;
}

#define ATTNBENCH_TARGET_BF16 __attribute__((target("avx512f,avx512vl,avx512bw,avx512bf16,fma")))

// Fully unrolled loops over register arrays (accumulators, loaded vectors): clang unrolls them
// anyway, gcc otherwise keeps such arrays in memory.
#define ATTNBENCH_UNROLL _Pragma("GCC unroll 16")

// exp(x) as in score_tiles.c: 2^(x·log2 e) = 2^n · 2^f with n the nearest integer (rounded by
// adding and subtracting 1.5·2^23) and f in [−1/2, 1/2]; 2^f from a degree-5 polynomial
// (relative error below 2e-7), 2^n added into the exponent bits. x is clamped to [−87.3, 88.3] so
// that 2^n stays normal; NaN stays NaN. Only FMA-pipe instructions.
ATTNBENCH_TARGET_BF16
static inline __attribute__((always_inline)) __m512 exp_avx512(__m512 x) {
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    x = _mm512_min_ps(_mm512_set1_ps(88.3f), _mm512_max_ps(_mm512_set1_ps(-87.3f), x));
    const __m512 t = _mm512_fmadd_ps(x, log2e, magic);
    const __m512 n = _mm512_sub_ps(t, magic);
    const __m512 f = _mm512_fmsub_ps(x, log2e, n);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(1.3264563e-3f), f, _mm512_set1_ps(9.6714636e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5507336e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022242e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314700e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    const __m512i e = _mm512_slli_epi32(_mm512_castps_si512(t), 23);
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(p), e));
}

// x[0..16) ← exp(x − reference); sum[0..16) += the exponentials; worst ← max(worst, x − reference).
ATTNBENCH_TARGET_BF16
static inline __attribute__((always_inline)) void exponentiate16(
    float *x, float reference, float *sum, __m512 *worst) {
    const __m512 y = _mm512_sub_ps(_mm512_loadu_ps(x), _mm512_set1_ps(reference));
    *worst = _mm512_max_ps(*worst, y);
    const __m512 e = exp_avx512(y);
    _mm512_storeu_ps(x, e);
    _mm512_storeu_ps(sum, _mm512_add_ps(_mm512_loadu_ps(sum), e));
}

// Panel rows [begin, end) of an 8 × 32 tile: per row of the panel, the two vectors of key pairs
// once, each query row's pair broadcast against both.
ATTNBENCH_TARGET_BF16
static inline __attribute__((always_inline)) void score_pairs(
    const uint32_t *q_pairs, const uint16_t *panel, long begin, long end, __m512 *a, __m512 *b) {
    for (long p = begin; p < end; p++) {
        const __m512bh k0 = (__m512bh)_mm512_loadu_si512(panel + p * 64);
        const __m512bh k1 = (__m512bh)_mm512_loadu_si512(panel + p * 64 + 32);
        ATTNBENCH_UNROLL
        for (int r = 0; r < 8; r++) {
            const __m512bh x = (__m512bh)_mm512_set1_epi32((int)q_pairs[p * 8 + r]);
            a[r] = _mm512_dpbf16_ps(a[r], k0, x);
            b[r] = _mm512_dpbf16_ps(b[r], k1, x);
        }
    }
}

// S[8][32] (leading dimension lds) ← scale · Q · panel. With `previous` (the tile before, already
// written), its 16 vectors are exponentiated between 16 segments of this tile's products, so the
// exponentials run beside the dot products.
ATTNBENCH_TARGET_BF16
static inline __attribute__((always_inline)) void score_tile_avx512(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panel, float *s, long lds, float scale, float *previous,
    const float *reference, float *sums, __m512 *worst) {
    __m512 a[8], b[8];
    ATTNBENCH_UNROLL
    for (int r = 0; r < 8; r++) {
        a[r] = _mm512_setzero_ps();
        b[r] = _mm512_setzero_ps();
    }
    if (previous) {
        long p = 0;
        for (int v = 0; v < 16; v++) {
            const long end = d_pairs * (v + 1) / 16;
            score_pairs(q_pairs, panel, p, end, a, b);
            p = end;
            const int r = v >> 1;
            exponentiate16(previous + r * lds + (v & 1) * 16, reference[r], sums + 16 * r, worst);
        }
    } else {
        score_pairs(q_pairs, panel, 0, d_pairs, a, b);
    }
    const __m512 factor = _mm512_set1_ps(scale);
    ATTNBENCH_UNROLL
    for (int r = 0; r < 8; r++) {
        _mm512_storeu_ps(s + r * lds, _mm512_mul_ps(a[r], factor));
        _mm512_storeu_ps(s + r * lds + 16, _mm512_mul_ps(b[r], factor));
    }
}

ATTNBENCH_TARGET_BF16
void attnbench_bf16_score_tiles_avx512(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale) {
    for (long t = 0; t < panel_count; t++) {
        score_tile_avx512(q_pairs, d_pairs, panels + t * d_pairs * 64, s + t * 32, lds, scale, 0, 0, 0, 0);
    }
}

ATTNBENCH_TARGET_BF16
int attnbench_bf16_score_tiles_exp_avx512(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale, float *reference, float *sums, float *worst) {
    __m512 w = _mm512_set1_ps(-INFINITY);
    score_tile_avx512(q_pairs, d_pairs, panels, s, lds, scale, 0, reference, sums, &w);
    for (int r = 0; r < 8; r++) {
        if (reference[r] == -INFINITY) {
            const __m512 lo = _mm512_loadu_ps(s + r * lds);
            const __m512 hi = _mm512_loadu_ps(s + r * lds + 16);
            // A NaN score makes the maximum NaN (a max tree alone could drop it).
            const __mmask16 nan = _mm512_cmp_ps_mask(lo, hi, _CMP_UNORD_Q);
            reference[r] = nan ? NAN : _mm512_reduce_max_ps(_mm512_max_ps(lo, hi));
        }
        // A first tile of −∞ or NaN scores: the caller's exact path handles it.
        if (!(reference[r] > -INFINITY)) return 0;
    }
    for (long t = 1; t < panel_count; t++) {
        score_tile_avx512(
            q_pairs, d_pairs, panels + t * d_pairs * 64, s + t * 32, lds, scale, s + (t - 1) * 32, reference, sums,
            &w);
    }
    float *last = s + (panel_count - 1) * 32;
    for (int v = 0; v < 16; v++) {
        const int r = v >> 1;
        exponentiate16(last + r * lds + (v & 1) * 16, reference[r], sums + 16 * r, &w);
    }
    _mm512_storeu_ps(worst, w);
    return 1;
}

ATTNBENCH_TARGET_BF16
static void round_rows_avx512(const float *s, long lds, long rows, long count, uint16_t *p, long ldp) {
    for (long r = 0; r < rows; r++) {
        const float *src = s + r * lds;
        uint16_t *dst = p + r * ldp;
        long j = 0;
        for (; j + 32 <= count; j += 32) {
            // vcvtne2ps2bf16 puts its second operand in the low half.
            const __m512bh h = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + j + 16), _mm512_loadu_ps(src + j));
            _mm512_storeu_si512(dst + j, (__m512i)h);
        }
        for (; j + 16 <= count; j += 16) {
            _mm256_storeu_si256((__m256i *)(dst + j), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + j)));
        }
        if (j < count) {
            // The masked-off lanes load as 0.0 and convert to bf16 zero: an odd count's padding
            // element is one more lane of the store.
            const long rest = count - j;
            const long stored = rest + (count & 1);
            const __mmask16 in = (__mmask16)((1u << rest) - 1);
            const __mmask16 out = (__mmask16)((1u << stored) - 1);
            const __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(in, src + j));
            _mm256_mask_storeu_epi16(dst + j, out, (__m256i)h);
        }
    }
}

// vcvtneps2bf16 where the CPU has it (checked once), elsewhere the portable rounding (same results).
void attnbench_bf16_round_rows(const float *s, long lds, long rows, long count, uint16_t *p, long ldp) {
    if (attnbench_cpu_has_avx512bf16()) round_rows_avx512(s, lds, rows, count, p, ldp);
    else attnbench_bf16_round_rows_portable(s, lds, rows, count, p, ldp);
}

// O[ROWS][16·NV] += P[ROWS][2·key_pairs] · V for one block of columns (v_pairs and o at its
// first column): O in registers across the keys, each packed V row's NV vectors loaded once and
// used by every row.
ATTNBENCH_TARGET_BF16
static inline __attribute__((always_inline)) void accumulate_tile_bf16(
    const int ROWS, const int NV, const uint16_t *p, long ldp, long key_pairs, const uint16_t *v_pairs, long ldv,
    float *o, long ldo) {
    __m512 acc[8][2];
    ATTNBENCH_UNROLL
    for (int r = 0; r < ROWS; r++) {
        ATTNBENCH_UNROLL
        for (int c = 0; c < NV; c++) acc[r][c] = _mm512_loadu_ps(o + r * ldo + 16 * c);
    }
    for (long jp = 0; jp < key_pairs; jp++) {
        const uint16_t *vj = v_pairs + jp * ldv * 2;
        __m512bh v[2];
        ATTNBENCH_UNROLL
        for (int c = 0; c < NV; c++) v[c] = (__m512bh)_mm512_loadu_si512(vj + 32 * c);
        ATTNBENCH_UNROLL
        for (int r = 0; r < ROWS; r++) {
            uint32_t pair;
            memcpy(&pair, p + r * ldp + 2 * jp, sizeof pair);
            const __m512bh w = (__m512bh)_mm512_set1_epi32((int)pair);
            ATTNBENCH_UNROLL
            for (int c = 0; c < NV; c++) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], v[c], w);
        }
    }
    ATTNBENCH_UNROLL
    for (int r = 0; r < ROWS; r++) {
        ATTNBENCH_UNROLL
        for (int c = 0; c < NV; c++) _mm512_storeu_ps(o + r * ldo + 16 * c, acc[r][c]);
    }
}

#define ATTNBENCH_BF16_TILE(ROWS)                                                                        \
    case ROWS:                                                                                           \
        if (vectors == 2) accumulate_tile_bf16(ROWS, 2, p, ldp, key_pairs, v_pairs, ldv, o, ldo);        \
        else accumulate_tile_bf16(ROWS, 1, p, ldp, key_pairs, v_pairs, ldv, o, ldo);                     \
        return;

// One tile of `rows` rows (1 to 8) and `vectors` (1 or 2) vectors of 16 columns.
ATTNBENCH_TARGET_BF16
static void accumulate_tile_dispatch_bf16(
    long rows, int vectors, const uint16_t *p, long ldp, long key_pairs, const uint16_t *v_pairs, long ldv,
    float *o, long ldo) {
    switch (rows) {
        ATTNBENCH_BF16_TILE(1) ATTNBENCH_BF16_TILE(2) ATTNBENCH_BF16_TILE(3) ATTNBENCH_BF16_TILE(4)
        ATTNBENCH_BF16_TILE(5) ATTNBENCH_BF16_TILE(6) ATTNBENCH_BF16_TILE(7) ATTNBENCH_BF16_TILE(8)
    default: return;
    }
}

ATTNBENCH_TARGET_BF16
void attnbench_bf16_accumulate_rows_avx512(
    const uint16_t *p, long ldp, long rows, long key_pairs, const uint16_t *v_pairs, long ldv, long columns,
    float *o, long ldo) {
    // Tiles of all the rows by 32 columns (16 accumulators for 8 rows), a last one of 16.
    long c = 0;
    for (; c + 32 <= columns; c += 32) {
        accumulate_tile_dispatch_bf16(rows, 2, p, ldp, key_pairs, v_pairs + 2 * c, ldv, o + c, ldo);
    }
    if (c < columns) accumulate_tile_dispatch_bf16(rows, 1, p, ldp, key_pairs, v_pairs + 2 * c, ldv, o + c, ldo);
}

// 16 independent chains of vdpbf16ps on registers (on Zen 5 its latency of about 6 cycles at two
// per cycle needs 12): 16 instructions, 1024 FLOPs, per iteration. The inputs are sink's values
// rounded to bf16, so nothing is known at compile time; the accumulators start at 0, 1, …, 15 so
// that no two chains are the same computation.
ATTNBENCH_TARGET_BF16
void attnbench_bf16_dot_peak_loop(long iterations, float *sink) {
    const __m512 x = _mm512_loadu_ps(sink);
    const __m512bh a = _mm512_cvtne2ps_pbh(x, x);
    __m512 acc[16];
    ATTNBENCH_UNROLL
    for (int k = 0; k < 16; k++) acc[k] = _mm512_set1_ps((float)k);
    for (long i = 0; i < iterations; i++) {
        ATTNBENCH_UNROLL
        for (int k = 0; k < 16; k++) acc[k] = _mm512_dpbf16_ps(acc[k], a, a);
    }
    ATTNBENCH_UNROLL
    for (int width = 8; width >= 1; width /= 2) {
        ATTNBENCH_UNROLL
        for (int k = 0; k < width; k++) acc[k] = _mm512_add_ps(acc[k], acc[k + width]);
    }
    _mm512_storeu_ps(sink, acc[0]);
}

#else

int attnbench_cpu_has_avx512bf16(void) { return 0; }

void attnbench_bf16_score_tiles_avx512(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale) {
    attnbench_bf16_score_tiles_portable(q_pairs, d_pairs, panels, panel_count, s, lds, scale);
}

int attnbench_bf16_score_tiles_exp_avx512(
    const uint32_t *q_pairs, long d_pairs, const uint16_t *panels, long panel_count, float *s, long lds,
    float scale, float *reference, float *sums, float *worst) {
    return attnbench_bf16_score_tiles_exp_portable(
        q_pairs, d_pairs, panels, panel_count, s, lds, scale, reference, sums, worst);
}

void attnbench_bf16_round_rows(const float *s, long lds, long rows, long count, uint16_t *p, long ldp) {
    attnbench_bf16_round_rows_portable(s, lds, rows, count, p, ldp);
}

void attnbench_bf16_accumulate_rows_avx512(
    const uint16_t *p, long ldp, long rows, long key_pairs, const uint16_t *v_pairs, long ldv, long columns,
    float *o, long ldo) {
    attnbench_bf16_accumulate_rows_portable(p, ldp, rows, key_pairs, v_pairs, ldv, columns, o, ldo);
}

void attnbench_bf16_dot_peak_loop(long iterations, float *sink) {
    attnbench_bf16_dot_peak_loop_portable(iterations, sink);
}

#endif
