// Helpers shared by the NEON N:M kernels: table-lookup index vectors and the panel store.
#ifndef EP_F32_SPMM_NM_NEON_H
#define EP_F32_SPMM_NM_NEON_H

#include "ukernels.h"

#if EP_ARCH_ARM64
#include <arm_neon.h>

// Byte indices for TBL that pick float (word >> shift[l]) & mask for each lane l.
static inline uint8x16_t ep_nm_tbl_index(uint32_t word, int32x4_t neg_shift, uint32x4_t mask) {
    const uint32x4_t i = vandq_u32(vshlq_u32(vdupq_n_u32(word), neg_shift), mask);
    return vreinterpretq_u8_u32(vmlaq_u32(vdupq_n_u32(0x03020100u), i, vdupq_n_u32(0x04040404u)));
}

// y[0 .. count) = clamp(acc + bias[0 .. count)) for the 8 rows in lo (0-3) and hi (4-7).
static inline void ep_nm_store8_neon(float32x4_t lo, float32x4_t hi, const float* bias,
                                     size_t count, float vmin, float vmax, float* y) {
    const float32x4_t vlo = vdupq_n_f32(vmin), vhi = vdupq_n_f32(vmax);
    if (count == 8) {
        if (bias != NULL) {
            lo = vaddq_f32(lo, vld1q_f32(bias));
            hi = vaddq_f32(hi, vld1q_f32(bias + 4));
        }
        vst1q_f32(y, vminq_f32(vmaxq_f32(lo, vlo), vhi));
        vst1q_f32(y + 4, vminq_f32(vmaxq_f32(hi, vlo), vhi));
        return;
    }
    float t[8];
    vst1q_f32(t, lo);
    vst1q_f32(t + 4, hi);
    for (size_t r = 0; r < count; r++) {
        float v = t[r] + (bias != NULL ? bias[r] : 0.0f);
        v = v < vmin ? vmin : v;
        v = v > vmax ? vmax : v;
        y[r] = v;
    }
}
#endif

#endif
