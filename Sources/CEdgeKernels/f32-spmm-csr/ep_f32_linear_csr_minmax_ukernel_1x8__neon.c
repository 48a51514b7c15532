// NEON "csr" kernel: per output row, 8 non-zeros per step; NEON has no gather, so inputs are
// loaded into lanes one by one and multiplied four at a time, two accumulators.
#include "ukernels.h"

#if EP_ARCH_ARM64
#include <arm_neon.h>
#include <math.h>

static inline float32x4_t load4(const float* x, const uint16_t* idx) {
    float32x4_t v = vld1q_dup_f32(x + idx[0]);
    v = vld1q_lane_f32(x + idx[1], v, 1);
    v = vld1q_lane_f32(x + idx[2], v, 2);
    return vld1q_lane_f32(x + idx[3], v, 3);
}

void ep_f32_linear_csr_minmax_ukernel_1x8__neon(const void* packed, size_t row_begin,
                                                size_t row_end, size_t batch, const float* x,
                                                size_t ldx, float* y, size_t ldy,
                                                const float* bias,
                                                const ep_f32_minmax_params* params) {
    const ep_f32_sparse_header* h = packed;
    const unsigned char* blob = packed;
    const float* val = (const float*)(blob + h->off_val);
    const uint32_t* ptr = (const uint32_t*)(blob + h->off_ptr);
    const uint16_t* idx = (const uint16_t*)(blob + h->off_idx);
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t n = row_begin; n < row_end; n++) {
        const uint32_t begin = ptr[n], end = ptr[n + 1];
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
            uint32_t j = begin;
            for (; j + 8 <= end; j += 8) {
                acc0 = vfmaq_f32(acc0, vld1q_f32(val + j), load4(xb, idx + j));
                acc1 = vfmaq_f32(acc1, vld1q_f32(val + j + 4), load4(xb, idx + j + 4));
            }
            if (j + 4 <= end) {
                acc0 = vfmaq_f32(acc0, vld1q_f32(val + j), load4(xb, idx + j));
                j += 4;
            }
            float v = vaddvq_f32(vaddq_f32(acc0, acc1));
            for (; j < end; j++) v += val[j] * xb[idx[j]];
            v += bias != NULL ? bias[n] : 0.0f;
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[b * ldy + n] = v;
        }
    }
}
#endif
