// NEON csr sparse-pixels kernel: a tile of 16 pixels per output row; each non-zero of the row is
// loaded replicated (ld1r) and multiplied into the 16 pixels of its X row (four q accumulators
// for even non-zeros, four for odd ones: eight FMA chains).
// Tails: 4 pixels at a time, then 1..3 one by one (X is never read past `pixels`).
#include "ukernels.h"

#if EP_ARCH_ARM64
#include <arm_neon.h>
#include <math.h>

static inline float32x4_t finish(float32x4_t acc, float32x4_t b, float32x4_t vmin,
                                 float32x4_t vmax) {
    return vminq_f32(vmaxq_f32(vaddq_f32(acc, b), vmin), vmax);
}

void ep_f32_spmm_pixels_csr_minmax_ukernel_16x1__neon(const void* packed, size_t row_begin,
                                                      size_t row_end, size_t pixels,
                                                      const float* x, size_t ldx, float* y,
                                                      size_t ldy, const float* bias,
                                                      const ep_f32_minmax_params* params) {
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    const float32x4_t vmin = vdupq_n_f32(lo), vmax = vdupq_n_f32(hi);
    const float* values = ep_spx_values(packed);
    const uint32_t* ptr = ep_spx_ptr(packed);
    const uint16_t* idx = ep_spx_idx(packed);
    const size_t cols = ep_spx_head(packed)->cols;
    const int copy = ep_spx_copy_tiles(ldx, cols, 16);
    float buf[EP_SPX_STACK_FLOATS] __attribute__((aligned(64)));
    size_t p = 0;
    for (; p + 16 <= pixels; p += 16) {
        const float* xp = x + p;
        size_t ld = ldx;
        if (copy) {
            ep_spx_copy_tile(buf, 16, xp, ldx, cols);
            xp = buf;
            ld = 16;
        }
        for (size_t n = row_begin; n < row_end; n++) {
            // Even and odd non-zeros accumulate separately: 8 independent FMA chains.
            const float32x4_t z = vdupq_n_f32(0.0f);
            float32x4_t a0 = z, a1 = z, a2 = z, a3 = z, c0 = z, c1 = z, c2 = z, c3 = z;
            uint32_t j = ptr[n];
            const uint32_t end = ptr[n + 1];
            for (; j + 2 <= end; j += 2) {
                const float* xr = xp + (size_t)idx[j] * ld;
                const float* xs = xp + (size_t)idx[j + 1] * ld;
                const float32x4_t w = vld1q_dup_f32(values + j);
                const float32x4_t v = vld1q_dup_f32(values + j + 1);
                a0 = vfmaq_f32(a0, vld1q_f32(xr), w);
                a1 = vfmaq_f32(a1, vld1q_f32(xr + 4), w);
                a2 = vfmaq_f32(a2, vld1q_f32(xr + 8), w);
                a3 = vfmaq_f32(a3, vld1q_f32(xr + 12), w);
                c0 = vfmaq_f32(c0, vld1q_f32(xs), v);
                c1 = vfmaq_f32(c1, vld1q_f32(xs + 4), v);
                c2 = vfmaq_f32(c2, vld1q_f32(xs + 8), v);
                c3 = vfmaq_f32(c3, vld1q_f32(xs + 12), v);
            }
            if (j < end) {
                const float* xr = xp + (size_t)idx[j] * ld;
                const float32x4_t w = vld1q_dup_f32(values + j);
                a0 = vfmaq_f32(a0, vld1q_f32(xr), w);
                a1 = vfmaq_f32(a1, vld1q_f32(xr + 4), w);
                a2 = vfmaq_f32(a2, vld1q_f32(xr + 8), w);
                a3 = vfmaq_f32(a3, vld1q_f32(xr + 12), w);
            }
            a0 = vaddq_f32(a0, c0);
            a1 = vaddq_f32(a1, c1);
            a2 = vaddq_f32(a2, c2);
            a3 = vaddq_f32(a3, c3);
            const float32x4_t b = vdupq_n_f32(bias != NULL ? bias[n] : 0.0f);
            float* yr = y + n * ldy + p;
            vst1q_f32(yr, finish(a0, b, vmin, vmax));
            vst1q_f32(yr + 4, finish(a1, b, vmin, vmax));
            vst1q_f32(yr + 8, finish(a2, b, vmin, vmax));
            vst1q_f32(yr + 12, finish(a3, b, vmin, vmax));
        }
    }
    for (; p + 4 <= pixels; p += 4) {
        const float* xp = x + p;
        for (size_t n = row_begin; n < row_end; n++) {
            float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);
            uint32_t j = ptr[n];
            const uint32_t end = ptr[n + 1];
            for (; j + 2 <= end; j += 2) {
                a0 = vfmaq_f32(a0, vld1q_f32(xp + (size_t)idx[j] * ldx), vld1q_dup_f32(values + j));
                a1 = vfmaq_f32(a1, vld1q_f32(xp + (size_t)idx[j + 1] * ldx),
                               vld1q_dup_f32(values + j + 1));
            }
            if (j < end)
                a0 = vfmaq_f32(a0, vld1q_f32(xp + (size_t)idx[j] * ldx), vld1q_dup_f32(values + j));
            const float32x4_t b = vdupq_n_f32(bias != NULL ? bias[n] : 0.0f);
            vst1q_f32(y + n * ldy + p, finish(vaddq_f32(a0, a1), b, vmin, vmax));
        }
    }
    for (; p < pixels; p++) {
        for (size_t n = row_begin; n < row_end; n++) {
            float acc = 0.0f;
            for (uint32_t j = ptr[n], end = ptr[n + 1]; j < end; j++)
                acc += values[j] * x[(size_t)idx[j] * ldx + p];
            float v = acc + (bias != NULL ? bias[n] : 0.0f);
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[n * ldy + p] = v;
        }
    }
}
#endif
