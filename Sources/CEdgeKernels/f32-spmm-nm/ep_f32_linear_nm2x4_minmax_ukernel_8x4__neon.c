// NEON "nm2:4" kernel: 8 output rows per step (two vectors of 4), one group of four inputs per
// inner step. Each slot's 2-bit column indices become TBL byte indices into x[4g .. 4g+3]
// (vqtbl1q_u8); four accumulators.
#include "nm_neon.h"

#if EP_ARCH_ARM64
#include <math.h>

void ep_f32_linear_nm2x4_minmax_ukernel_8x4__neon(const void* packed, size_t row_begin,
                                                  size_t row_end, size_t batch, const float* x,
                                                  size_t ldx, float* y, size_t ldy,
                                                  const float* bias,
                                                  const ep_f32_minmax_params* params) {
    const ep_f32_nm_header* h = packed;
    const unsigned char* blob = packed;
    const size_t groups = h->groups, cols = h->cols, full = cols / 4;
    const float* val = (const float*)(blob + h->off_val);
    const uint32_t* meta = (const uint32_t*)(blob + h->off_meta);
    const float vmin = params != NULL ? params->min : -INFINITY;
    const float vmax = params != NULL ? params->max : INFINITY;
    const int32x4_t s0lo = {0, -2, -4, -6}, s0hi = {-8, -10, -12, -14};
    const int32x4_t s1lo = {-16, -18, -20, -22}, s1hi = {-24, -26, -28, -30};
    const uint32x4_t mask = vdupq_n_u32(3);
    for (size_t r0 = row_begin; r0 < row_end; r0 += 8) {
        const size_t p = r0 / 8;
        const size_t count = row_end - r0 < 8 ? row_end - r0 : 8;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
            const float* v = val + p * groups * 16;
            const uint32_t* m = meta + p * groups;
            for (size_t g = 0; g < groups; g++) {
                uint8x16_t xq;
                if (g < full) {
                    xq = vreinterpretq_u8_f32(vld1q_f32(xb + 4 * g));
                } else {  // partial last group: the inputs past cols read as zeros
                    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    for (size_t c = 4 * g; c < cols; c++) t[c - 4 * g] = xb[c];
                    xq = vreinterpretq_u8_f32(vld1q_f32(t));
                }
                const uint32_t w = m[g];
                a0 = vfmaq_f32(a0, vld1q_f32(v), vreinterpretq_f32_u8(vqtbl1q_u8(xq, ep_nm_tbl_index(w, s0lo, mask))));
                a1 = vfmaq_f32(a1, vld1q_f32(v + 4), vreinterpretq_f32_u8(vqtbl1q_u8(xq, ep_nm_tbl_index(w, s0hi, mask))));
                a2 = vfmaq_f32(a2, vld1q_f32(v + 8), vreinterpretq_f32_u8(vqtbl1q_u8(xq, ep_nm_tbl_index(w, s1lo, mask))));
                a3 = vfmaq_f32(a3, vld1q_f32(v + 12), vreinterpretq_f32_u8(vqtbl1q_u8(xq, ep_nm_tbl_index(w, s1hi, mask))));
                v += 16;
            }
            ep_nm_store8_neon(vaddq_f32(a0, a2), vaddq_f32(a1, a3), bias != NULL ? bias + r0 : NULL,
                              count, vmin, vmax, y + b * ldy + r0);
        }
    }
}
#endif
