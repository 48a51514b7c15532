// NEON bsr4x1 sparse-pixels kernel: a tile of 16 pixels x 4 output rows (sixteen q accumulators);
// per kept block, the 4 weights are one q load and the X row (four q loads) is multiplied by each
// lane (16 FMAs by lane). Tails: 4 pixels at a time, then 1..3 one by one. Row blocks cut by
// [row_begin, row_end) are computed whole and stored only inside the range.
#include "ukernels.h"

#if EP_ARCH_ARM64
#include <arm_neon.h>
#include <math.h>

static inline float32x4_t finish(float32x4_t acc, float b, float32x4_t vmin, float32x4_t vmax) {
    return vminq_f32(vmaxq_f32(vaddq_f32(acc, vdupq_n_f32(b)), vmin), vmax);
}

#define EP_FMA_ROWS(a, xv)                    \
    a##0 = vfmaq_laneq_f32(a##0, xv, w, 0);   \
    a##1 = vfmaq_laneq_f32(a##1, xv, w, 1);   \
    a##2 = vfmaq_laneq_f32(a##2, xv, w, 2);   \
    a##3 = vfmaq_laneq_f32(a##3, xv, w, 3)

void ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_16x4__neon(const void* packed, size_t row_begin,
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
    const size_t g_begin = row_begin / 4, g_end = (row_end + 3) / 4;
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
        for (size_t g = g_begin; g < g_end; g++) {
            const float32x4_t z = vdupq_n_f32(0.0f);
            float32x4_t a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
            float32x4_t c0 = z, c1 = z, c2 = z, c3 = z, d0 = z, d1 = z, d2 = z, d3 = z;
            const float* wp = values + (size_t)ptr[g] * 4;
            for (uint32_t j = ptr[g], end = ptr[g + 1]; j < end; j++, wp += 4) {
                const float* xr = xp + (size_t)idx[j] * ld;
                const float32x4_t w = vld1q_f32(wp);
                const float32x4_t x0 = vld1q_f32(xr), x1 = vld1q_f32(xr + 4);
                const float32x4_t x2 = vld1q_f32(xr + 8), x3 = vld1q_f32(xr + 12);
                EP_FMA_ROWS(a, x0);
                EP_FMA_ROWS(b, x1);
                EP_FMA_ROWS(c, x2);
                EP_FMA_ROWS(d, x3);
            }
            float* yg = y + g * 4 * ldy + p;
            const size_t n0 = g * 4;
#define EP_STORE_ROW(r)                                                             \
    if (n0 + r >= row_begin && n0 + r < row_end) {                                  \
        const float bv = bias != NULL ? bias[n0 + r] : 0.0f;                        \
        vst1q_f32(yg + r * ldy, finish(a##r, bv, vmin, vmax));                      \
        vst1q_f32(yg + r * ldy + 4, finish(b##r, bv, vmin, vmax));                  \
        vst1q_f32(yg + r * ldy + 8, finish(c##r, bv, vmin, vmax));                  \
        vst1q_f32(yg + r * ldy + 12, finish(d##r, bv, vmin, vmax));                 \
    }
            EP_STORE_ROW(0)
            EP_STORE_ROW(1)
            EP_STORE_ROW(2)
            EP_STORE_ROW(3)
#undef EP_STORE_ROW
        }
    }
    for (; p + 4 <= pixels; p += 4) {
        const float* xp = x + p;
        for (size_t g = g_begin; g < g_end; g++) {
            const float32x4_t z = vdupq_n_f32(0.0f);
            float32x4_t a0 = z, a1 = z, a2 = z, a3 = z;
            const float* wp = values + (size_t)ptr[g] * 4;
            for (uint32_t j = ptr[g], end = ptr[g + 1]; j < end; j++, wp += 4) {
                const float32x4_t w = vld1q_f32(wp);
                const float32x4_t x0 = vld1q_f32(xp + (size_t)idx[j] * ldx);
                EP_FMA_ROWS(a, x0);
            }
            float* yg = y + g * 4 * ldy + p;
            const size_t n0 = g * 4;
#define EP_STORE_ROW(r)                                                             \
    if (n0 + r >= row_begin && n0 + r < row_end)                                    \
        vst1q_f32(yg + r * ldy, finish(a##r, bias != NULL ? bias[n0 + r] : 0.0f, vmin, vmax));
            EP_STORE_ROW(0)
            EP_STORE_ROW(1)
            EP_STORE_ROW(2)
            EP_STORE_ROW(3)
#undef EP_STORE_ROW
        }
    }
    for (; p < pixels; p++) {
        for (size_t g = g_begin; g < g_end; g++) {
            float32x4_t acc = vdupq_n_f32(0.0f);
            const float* wp = values + (size_t)ptr[g] * 4;
            for (uint32_t j = ptr[g], end = ptr[g + 1]; j < end; j++, wp += 4)
                acc = vfmaq_n_f32(acc, vld1q_f32(wp), x[(size_t)idx[j] * ldx + p]);
            float r4[4];
            vst1q_f32(r4, acc);
            for (size_t r = 0; r < 4; r++) {
                const size_t n = g * 4 + r;
                if (n < row_begin || n >= row_end) continue;
                float v = r4[r] + (bias != NULL ? bias[n] : 0.0f);
                v = v < lo ? lo : v;
                v = v > hi ? hi : v;
                y[n * ldy + p] = v;
            }
        }
    }
}
#endif
