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

#else

void attnbench_widen_f16(const uint16_t *src, long n, float *dst) { widen_f16_portable(src, n, dst); }
void attnbench_narrow_f16(const float *src, long n, uint16_t *dst) { narrow_f16_portable(src, n, dst); }
void attnbench_widen_q8_0(const void *src, long n, float *dst) { widen_q8_0_portable((const uint8_t *)src, n, dst); }

#endif

void attnbench_widen_f16_portable(const uint16_t *src, long n, float *dst) { widen_f16_portable(src, n, dst); }
void attnbench_narrow_f16_portable(const float *src, long n, uint16_t *dst) { narrow_f16_portable(src, n, dst); }
void attnbench_widen_q8_0_portable(const void *src, long n, float *dst) {
    widen_q8_0_portable((const uint8_t *)src, n, dst);
}
