// NEON CSR sparse x dense: per output row, 8 non-zeros per step; NEON has no gather, so inputs
// are loaded into lanes one by one and multiplied four at a time, two accumulators.
#include "../ep_ukernels.h"

#if EP_ARCH_ARM64
#include <arm_neon.h>
#include <math.h>

static inline float32x4_t ep_gather4(const float* xb, const uint16_t* idx) {
    float32x4_t v = vdupq_n_f32(0.0f);
    v = vld1q_lane_f32(xb + idx[0], v, 0);
    v = vld1q_lane_f32(xb + idx[1], v, 1);
    v = vld1q_lane_f32(xb + idx[2], v, 2);
    v = vld1q_lane_f32(xb + idx[3], v, 3);
    return v;
}

void ep_f32_spmm_csr_minmax_ukernel_1x8__neon(const ep_f32_csr_matrix* w, size_t batch,
                                              const float* x, size_t ldx, float* y, size_t ldy,
                                              const float* bias,
                                              const ep_f32_minmax_params* params) {
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t n = 0; n < w->rows; n++) {
        const uint32_t begin = w->row_ptr[n], end = w->row_ptr[n + 1];
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = vdupq_n_f32(0.0f);
            uint32_t j = begin;
            for (; j + 8 <= end; j += 8) {
                acc0 = vfmaq_f32(acc0, vld1q_f32(w->values + j), ep_gather4(xb, w->col_idx + j));
                acc1 = vfmaq_f32(acc1, vld1q_f32(w->values + j + 4), ep_gather4(xb, w->col_idx + j + 4));
            }
            float v = vaddvq_f32(vaddq_f32(acc0, acc1));
            for (; j < end; j++) v += w->values[j] * xb[w->col_idx[j]];
            v += bias != NULL ? bias[n] : 0.0f;
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[b * ldy + n] = v;
        }
    }
}
#endif
