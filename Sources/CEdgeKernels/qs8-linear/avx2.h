// AVX2 helpers shared by the block-sparse int8 Linear kernels (bsr4x4, bsr8x4): widening x to
// int16 and requantizing 8 row sums at a time. Include inside `#if EP_ARCH_X86_64`.
#ifndef EP_QS8_AVX2_H
#define EP_QS8_AVX2_H

#include "simd.h"

#include <immintrin.h>

#define EP_QS8_AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/// x as int16, zero-padded to a multiple of 16 (dst holds (cols + 15) / 16 * 16 entries).
EP_QS8_AVX2_INLINE void widen_row(const uint8_t* x, size_t cols, int16_t* dst, int x_unsigned) {
    const size_t full = cols / 16;
    for (size_t c = 0; c < full; c++) {
        const __m128i v = _mm_loadu_si128((const __m128i*)(x + 16 * c));
        _mm256_store_si256((__m256i*)(dst + 16 * c),
                           x_unsigned ? _mm256_cvtepu8_epi16(v) : _mm256_cvtepi8_epi16(v));
    }
    if (cols % 16 != 0) {
        uint8_t t[16] = {0};
        memcpy(t, x + 16 * full, cols % 16);
        const __m128i v = _mm_loadu_si128((const __m128i*)t);
        _mm256_store_si256((__m256i*)(dst + 16 * full),
                           x_unsigned ? _mm256_cvtepu8_epi16(v) : _mm256_cvtepi8_epi16(v));
    }
}

/// Requantization constants in registers (no reloads after the byte stores to y). A uint8
/// output is packed as int8 (value - 128, exact) and flipped back with XOR 0x80: no branch.
typedef struct {
    __m256 lo, hi;
    __m256i zp;    // y_zero_point, minus 128 for a uint8 output
    __m128i flip;  // 0x80 bytes for a uint8 output, else 0
} requant8;

/// 8 lanes (rows n0..n0+7) requantized like ep_qs8_requantize; stores the first `count`.
EP_QS8_AVX2_INLINE void requant_store8(__m256i acc, const float* mult, requant8 r, uint8_t* y, size_t count) {
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(mult));
    f = _mm256_min_ps(_mm256_max_ps(f, r.lo), r.hi);
    const __m256i v = _mm256_add_epi32(_mm256_cvtps_epi32(f), r.zp);
    const __m128i v16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i v8 = _mm_xor_si128(_mm_packs_epi16(v16, v16), r.flip);
    if (count == 8) {
        _mm_storel_epi64((__m128i*)y, v8);
    } else {
        ep_qs8_store_partial(y, (uint64_t)_mm_cvtsi128_si64(v8), count);
    }
}

#endif
