// NEON "csc" kernel: skips zero inputs four at a time (one compare and a max across lanes),
// scatters each remaining column's non-zeros into a stack panel of up to 256 accumulators, then
// adds bias and clamps four rows at once.
#include "ukernels.h"

#if EP_ARCH_ARM64
#include <arm_neon.h>
#include <math.h>

static inline void scatter(float* acc, const float* val, const uint8_t* idx, uint32_t j,
                           uint32_t end, float xc) {
    for (; j + 2 <= end; j += 2) {
        const size_t r0 = idx[j], r1 = idx[j + 1];
        const float v0 = val[j] * xc, v1 = val[j + 1] * xc;
        acc[r0] += v0;
        acc[r1] += v1;
    }
    if (j < end) acc[idx[j]] += val[j] * xc;
}

void ep_f32_linear_csc_minmax_ukernel_256x1__neon(const void* packed, size_t row_begin,
                                                  size_t row_end, size_t batch, const float* x,
                                                  size_t ldx, float* y, size_t ldy,
                                                  const float* bias,
                                                  const ep_f32_minmax_params* params) {
    const ep_f32_sparse_header* h = packed;
    const unsigned char* blob = packed;
    const size_t rows = (size_t)h->rows, cols = (size_t)h->cols;
    const float* val = (const float*)(blob + h->off_val);
    const uint32_t* ptr = (const uint32_t*)(blob + h->off_ptr);
    const uint8_t* idx = blob + h->off_idx;
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    const float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    float acc[EP_CSC_PANEL];
    for (size_t r0 = row_begin; r0 < row_end; r0 += EP_CSC_PANEL) {
        const uint32_t* cp = ptr + (r0 / EP_CSC_PANEL) * (cols + 1);
        const size_t height = rows - r0 < EP_CSC_PANEL ? rows - r0 : EP_CSC_PANEL;
        const size_t out = row_end - r0 < height ? row_end - r0 : height;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            for (size_t r = 0; r < height; r += 4) vst1q_f32(acc + r, vdupq_n_f32(0.0f));
            size_t c = 0;
            for (; c + 4 <= cols; c += 4) {
                const uint32x4_t nz = vmvnq_u32(vceqq_f32(vld1q_f32(xb + c), vdupq_n_f32(0.0f)));
                if (vmaxvq_u32(nz) == 0) continue;
                for (size_t t = c; t < c + 4; t++)
                    if (xb[t] != 0.0f) scatter(acc, val, idx, cp[t], cp[t + 1], xb[t]);
            }
            for (; c < cols; c++)
                if (xb[c] != 0.0f) scatter(acc, val, idx, cp[c], cp[c + 1], xb[c]);
            size_t r = 0;
            float* yb = y + b * ldy + r0;
            for (; r + 4 <= out; r += 4) {
                float32x4_t v = vld1q_f32(acc + r);
                if (bias != NULL) v = vaddq_f32(v, vld1q_f32(bias + r0 + r));
                vst1q_f32(yb + r, vminq_f32(vmaxq_f32(v, vlo), vhi));
            }
            for (; r < out; r++) {
                float v = acc[r] + (bias != NULL ? bias[r0 + r] : 0.0f);
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
                yb[r] = v;
            }
        }
    }
}
#endif
