#include "micro_kernels.h"

#include <string.h>

// Portable conversions: exact widening, round-to-nearest-even narrowing (the IEEE default the
// F16C and AVX-512 instructions use), so every path stores and reads the same values.

static inline float bits_to_float(uint32_t bits) {
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint32_t float_to_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return bits;
}

static inline float half_to_float_portable(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    if (exponent == 0x1F) return bits_to_float(sign | 0x7F800000u | (mantissa << 13));
    if (exponent == 0) {
        // Zero or subnormal: mantissa · 2^-24, exact in fp32.
        float magnitude = (float)mantissa * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    }
    return bits_to_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

static inline uint16_t float_to_half_portable(float f) {
    uint32_t bits = float_to_bits(f);
    uint32_t sign = (bits >> 16) & 0x8000;
    uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude > 0x7F800000u) return (uint16_t)(sign | 0x7E00 | ((magnitude >> 13) & 0x3FF));
    if (magnitude >= 0x477FF000u) return (uint16_t)(sign | 0x7C00);  // rounds past 65504: infinity
    if (magnitude < 0x38800000u) {
        // Below the smallest normal half (2^-14): a subnormal, rounded to nearest even multiple of 2^-24.
        float a = bits_to_float(magnitude) * 0x1p24f;  // exact
        float r = __builtin_nearbyintf(a);              // current rounding mode: nearest even
        return (uint16_t)(sign | (uint16_t)r);
    }
    uint32_t rounded = magnitude + 0xFFF + ((magnitude >> 13) & 1);
    return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
}

static inline uint16_t float_to_bfloat16(float f) {
    uint32_t bits = float_to_bits(f);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((bits >> 16) | 0x0040);
    return (uint16_t)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

static void widen_f16_portable(const uint16_t *src, long n, float *dst) {
    for (long i = 0; i < n; ++i) dst[i] = half_to_float_portable(src[i]);
}

static void narrow_f16_portable(const float *src, long n, uint16_t *dst) {
    for (long i = 0; i < n; ++i) dst[i] = float_to_half_portable(src[i]);
}

static void widen_q8_0_portable(const uint8_t *src, long n, float *dst) {
    for (long block = 0; block < n / 32; ++block) {
        const uint8_t *base = src + block * 34;
        uint16_t bits;
        memcpy(&bits, base, 2);
        float scale = half_to_float_portable(bits);
        const int8_t *codes = (const int8_t *)(base + 2);
        for (int i = 0; i < 32; ++i) dst[block * 32 + i] = scale * (float)codes[i];
    }
}

// One q8_0 block as ggml's quantize_row_q8_0 (reference) writes it: d = max|x| / 127 in fp32,
// codes roundf(x · (1/d)) (halfway cases away from zero), d stored as fp16 (nearest even).
static void quantize_q8_0_portable(const float *src, long n, uint8_t *dst) {
    for (long block = 0; block < n / 32; ++block) {
        const float *x = src + block * 32;
        uint8_t *out = dst + block * 34;
        float amax = 0;
        for (int i = 0; i < 32; ++i) {
            float a = x[i] < 0 ? -x[i] : x[i];
            if (a > amax) amax = a;
        }
        float d = amax / 127.0f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        uint16_t bits = float_to_half_portable(d);
        memcpy(out, &bits, 2);
        for (int i = 0; i < 32; ++i) {
            float v = x[i] * id;
            float t = __builtin_truncf(v);
            float f = v - t;  // exact
            if (f >= 0.5f) t += 1.0f;
            if (f <= -0.5f) t -= 1.0f;
            out[2 + i] = (uint8_t)(int8_t)(t > 127.0f ? 127.0f : t < -128.0f ? -128.0f : t);
        }
    }
}

void attnbench_widen_bf16(const uint16_t *src, long n, float *dst) {
    // A shift: the compiler vectorises it for any baseline.
    for (long i = 0; i < n; ++i) dst[i] = bits_to_float((uint32_t)src[i] << 16);
}

void attnbench_narrow_bf16(const float *src, long n, uint16_t *dst) {
    for (long i = 0; i < n; ++i) dst[i] = float_to_bfloat16(src[i]);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define ATTNBENCH_TARGET_F16C __attribute__((target("avx2,fma,f16c")))

static int has_f16c_avx2(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
    }
    return cached;
}

ATTNBENCH_TARGET_F16C
static void widen_f16_f16c(const uint16_t *src, long n, float *dst) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; ++i) dst[i] = _cvtsh_ss(src[i]);
}

ATTNBENCH_TARGET_F16C
static void narrow_f16_f16c(const float *src, long n, uint16_t *dst) {
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; ++i) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

ATTNBENCH_TARGET_F16C
static void widen_q8_0_avx2(const uint8_t *src, long n, float *dst) {
    for (long block = 0; block < n / 32; ++block) {
        const uint8_t *base = src + block * 34;
        uint16_t bits;
        memcpy(&bits, base, 2);
        __m256 scale = _mm256_set1_ps(_cvtsh_ss(bits));
        for (int part = 0; part < 4; ++part) {
            __m128i codes = _mm_loadl_epi64((const __m128i *)(base + 2 + 8 * part));
            __m256 values = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(codes));
            _mm256_storeu_ps(dst + block * 32 + 8 * part, _mm256_mul_ps(scale, values));
        }
    }
}

ATTNBENCH_TARGET_F16C
static void quantize_q8_0_avx2(const float *src, long n, uint8_t *dst) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (long block = 0; block < n / 32; ++block) {
        const float *x = src + block * 32;
        uint8_t *out = dst + block * 34;
        __m256 v[4];
        __m256 amax = _mm256_setzero_ps();
        for (int part = 0; part < 4; ++part) {
            v[part] = _mm256_loadu_ps(x + 8 * part);
            amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[part]));
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float d = _mm_cvtss_f32(m4) / 127.0f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        uint16_t bits = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
        memcpy(out, &bits, 2);
        __m256 scale = _mm256_set1_ps(id);
        __m256i codes[4];
        for (int part = 0; part < 4; ++part) {
            // roundf: truncate, then step away from zero where the (exact) fraction is at least 1/2.
            __m256 y = _mm256_mul_ps(v[part], scale);
            __m256 t = _mm256_round_ps(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            __m256 f = _mm256_sub_ps(y, t);
            __m256 away = _mm256_cmp_ps(_mm256_andnot_ps(sign, f), half, _CMP_GE_OQ);
            __m256 step = _mm256_and_ps(away, _mm256_or_ps(one, _mm256_and_ps(sign, y)));
            codes[part] = _mm256_cvtps_epi32(_mm256_add_ps(t, step));
        }
        __m256i words = _mm256_packs_epi32(codes[0], codes[1]);
        __m256i words2 = _mm256_packs_epi32(codes[2], codes[3]);
        __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(words, words2), order);
        _mm256_storeu_si256((__m256i *)(out + 2), bytes);
    }
}

void attnbench_widen_f16(const uint16_t *src, long n, float *dst) {
    if (has_f16c_avx2()) widen_f16_f16c(src, n, dst);
    else widen_f16_portable(src, n, dst);
}

void attnbench_narrow_f16(const float *src, long n, uint16_t *dst) {
    if (has_f16c_avx2()) narrow_f16_f16c(src, n, dst);
    else narrow_f16_portable(src, n, dst);
}

void attnbench_widen_q8_0(const void *src, long n, float *dst) {
    if (has_f16c_avx2()) widen_q8_0_avx2((const uint8_t *)src, n, dst);
    else widen_q8_0_portable((const uint8_t *)src, n, dst);
}

void attnbench_quantize_q8_0(const float *src, long n, void *dst) {
    if (has_f16c_avx2()) quantize_q8_0_avx2(src, n, (uint8_t *)dst);
    else quantize_q8_0_portable(src, n, (uint8_t *)dst);
}

#else

void attnbench_widen_f16(const uint16_t *src, long n, float *dst) { widen_f16_portable(src, n, dst); }
void attnbench_narrow_f16(const float *src, long n, uint16_t *dst) { narrow_f16_portable(src, n, dst); }
void attnbench_widen_q8_0(const void *src, long n, float *dst) { widen_q8_0_portable((const uint8_t *)src, n, dst); }
void attnbench_quantize_q8_0(const float *src, long n, void *dst) { quantize_q8_0_portable(src, n, (uint8_t *)dst); }

#endif

void attnbench_widen_f16_portable(const uint16_t *src, long n, float *dst) { widen_f16_portable(src, n, dst); }
void attnbench_narrow_f16_portable(const float *src, long n, uint16_t *dst) { narrow_f16_portable(src, n, dst); }
void attnbench_widen_q8_0_portable(const void *src, long n, float *dst) {
    widen_q8_0_portable((const uint8_t *)src, n, dst);
}

void attnbench_quantize_q8_0_portable(const float *src, long n, void *dst) {
    quantize_q8_0_portable(src, n, (uint8_t *)dst);
}
