// NEON "nm4:8" kernel: 8 output rows per step (two vectors of 4), one group of eight inputs per
// inner step. Each slot's 3-bit column indices become TBL byte indices into the 32 bytes of
// x[8g .. 8g+7] (vqtbl2q_u8); four accumulators.
#include "nm_neon.h"

#if EP_ARCH_ARM64
#include <math.h>
#include <string.h>

void ep_f32_linear_nm4x8_minmax_ukernel_8x4__neon(const void* packed, size_t row_begin,
                                                  size_t row_end, size_t batch, const float* x,
                                                  size_t ldx, float* y, size_t ldy,
                                                  const float* bias,
                                                  const ep_f32_minmax_params* params) {
    const ep_f32_nm_header* h = packed;
    const unsigned char* blob = packed;
    const size_t groups = h->groups, cols = h->cols, full = cols / 8;
    const float* val = (const float*)(blob + h->off_val);
    const uint8_t* meta = blob + h->off_meta;
    const float vmin = params != NULL ? params->min : -INFINITY;
    const float vmax = params != NULL ? params->max : INFINITY;
    const int32x4_t slo = {0, -3, -6, -9}, shi = {-12, -15, -18, -21};
    const uint32x4_t mask = vdupq_n_u32(7);
    for (size_t r0 = row_begin; r0 < row_end; r0 += 8) {
        const size_t p = r0 / 8;
        const size_t count = row_end - r0 < 8 ? row_end - r0 : 8;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
            const float* v = val + p * groups * 32;
            const uint8_t* m = meta + p * groups * 12;
            for (size_t g = 0; g < groups; g++) {
                uint8x16x2_t xq;
                if (g < full) {
                    xq.val[0] = vreinterpretq_u8_f32(vld1q_f32(xb + 8 * g));
                    xq.val[1] = vreinterpretq_u8_f32(vld1q_f32(xb + 8 * g + 4));
                } else {  // partial last group: the inputs past cols read as zeros
                    float t[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
                    for (size_t c = 8 * g; c < cols; c++) t[c - 8 * g] = xb[c];
                    xq.val[0] = vreinterpretq_u8_f32(vld1q_f32(t));
                    xq.val[1] = vreinterpretq_u8_f32(vld1q_f32(t + 4));
                }
                for (int s = 0; s < 4; s += 2) {
                    uint32_t w0, w1;
                    memcpy(&w0, m + 3 * s, 4);
                    memcpy(&w1, m + 3 * s + 3, 4);
                    a0 = vfmaq_f32(a0, vld1q_f32(v), vreinterpretq_f32_u8(vqtbl2q_u8(xq, ep_nm_tbl_index(w0, slo, mask))));
                    a1 = vfmaq_f32(a1, vld1q_f32(v + 4), vreinterpretq_f32_u8(vqtbl2q_u8(xq, ep_nm_tbl_index(w0, shi, mask))));
                    a2 = vfmaq_f32(a2, vld1q_f32(v + 8), vreinterpretq_f32_u8(vqtbl2q_u8(xq, ep_nm_tbl_index(w1, slo, mask))));
                    a3 = vfmaq_f32(a3, vld1q_f32(v + 12), vreinterpretq_f32_u8(vqtbl2q_u8(xq, ep_nm_tbl_index(w1, shi, mask))));
                    v += 16;
                }
                m += 12;
            }
            ep_nm_store8_neon(vaddq_f32(a0, a2), vaddq_f32(a1, a3), bias != NULL ? bias + r0 : NULL,
                              count, vmin, vmax, y + b * ldy + r0);
        }
    }
}
#endif
