// SIMD requantize-and-store steps shared by the qs8-linear ISA variants: the same f32 operations
// as ep_qs8_requantize (convert, one multiply, clamp, round to nearest even), four rows at a time.
#ifndef EP_QS8_LINEAR_SIMD_H
#define EP_QS8_LINEAR_SIMD_H

#include "ukernels.h"

/// Stores the low `count` (< 8) bytes of `bytes` (little-endian) in at most three fixed-size
/// stores: no call to a variable-length memcpy.
static inline void ep_qs8_store_partial(void* y, uint64_t bytes, size_t count) {
    uint8_t* out = (uint8_t*)y;
    if (count & 4) {
        const uint32_t v = (uint32_t)bytes;
        memcpy(out, &v, 4);
        out += 4;
        bytes >>= 32;
    }
    if (count & 2) {
        const uint16_t v = (uint16_t)bytes;
        memcpy(out, &v, 2);
        out += 2;
        bytes >>= 16;
    }
    if (count & 1) *out = (uint8_t)bytes;
}

#if EP_ARCH_X86_64
#include <immintrin.h>

// SSE2 (x86-64 baseline): cvtps2dq rounds to nearest even in the default MXCSR mode.
static inline void ep_qs8_requant_store4_sse2(__m128i acc, const float* mult,
                                              const ep_qs8_requant* r, void* y, size_t count) {
    __m128 f = _mm_mul_ps(_mm_cvtepi32_ps(acc), _mm_loadu_ps(mult));
    f = _mm_max_ps(f, _mm_set1_ps(r->lo));
    f = _mm_min_ps(f, _mm_set1_ps(r->hi));
    const __m128i v = _mm_add_epi32(_mm_cvtps_epi32(f), _mm_set1_epi32(r->zp));
    const __m128i v16 = _mm_packs_epi32(v, v);
    const __m128i v8 = r->y_unsigned ? _mm_packus_epi16(v16, v16) : _mm_packs_epi16(v16, v16);
    const int32_t bytes = _mm_cvtsi128_si32(v8);
    if (count == 4) {
        memcpy(y, &bytes, 4);
    } else {
        ep_qs8_store_partial(y, (uint32_t)bytes, count);
    }
}
#endif

#if EP_ARCH_ARM64
#include <arm_neon.h>

static inline void ep_qs8_requant_store4_neon(int32x4_t acc, const float* mult,
                                              const ep_qs8_requant* r, void* y, size_t count) {
    float32x4_t f = vmulq_f32(vcvtq_f32_s32(acc), vld1q_f32(mult));
    f = vmaxq_f32(f, vdupq_n_f32(r->lo));
    f = vminq_f32(f, vdupq_n_f32(r->hi));
    const int32x4_t v = vaddq_s32(vcvtnq_s32_f32(f), vdupq_n_s32(r->zp));
    const int16x8_t v16 = vcombine_s16(vqmovn_s32(v), vqmovn_s32(v));
    const uint8x8_t v8 = r->y_unsigned ? vqmovun_s16(v16) : vreinterpret_u8_s8(vqmovn_s16(v16));
    const uint32_t bytes = vget_lane_u32(vreinterpret_u32_u8(v8), 0);
    if (count == 4) {
        memcpy(y, &bytes, 4);
    } else {
        ep_qs8_store_partial(y, bytes, count);
    }
}
#endif

/// Loads 4 bytes of x (any alignment).
static inline uint32_t ep_qs8_load4(const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

#endif
