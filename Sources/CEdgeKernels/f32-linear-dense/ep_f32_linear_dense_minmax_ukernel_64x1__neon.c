// NEON kernel of format "dense" (16-row k-major panels): per k, one broadcast input per batch row
// and four 4-wide FMAs per panel; batch 1 takes 4 panels (64 rows, 16 accumulators) per step,
// batch 2 two panels, batch >= 3 one panel with batch rows in chunks of 4. Leftover panels split k.
#include "ukernels.h"

#if EP_ARCH_ARM64
#include <arm_neon.h>
#include <math.h>

#define PW EP_F32_DENSE_PANEL

__attribute__((always_inline)) static inline void store4(float* y, size_t n, size_t valid,
                                                         float32x4_t v, const float* bias,
                                                         float lo, float hi) {
    if (valid >= 4) {
        if (bias != NULL) v = vaddq_f32(v, vld1q_f32(bias + n));
        v = vminq_f32(vmaxq_f32(v, vdupq_n_f32(lo)), vdupq_n_f32(hi));
        vst1q_f32(y + n, v);
    } else {
        float t[4];
        vst1q_f32(t, v);
        for (size_t i = 0; i < valid; i++) {
            float o = t[i] + (bias != NULL ? bias[n + i] : 0.0f);
            o = o < lo ? lo : o;
            y[n + i] = o > hi ? hi : o;
        }
    }
}

// NP panels from w (panel stride ps floats), NB batch rows, k split KU ways; rows [n0, n_end).
// The 4*NP*NB*KU <= 16 accumulators are named variables (lane i: quarter i%4 of panel (i/4)%NP,
// batch row (i/4/NP)%NB, k phase i/(4*NP*NB)) so compilers keep them in registers.
#define LANE_FMA(i)                                                                              \
    if ((i) < L) {                                                                               \
        const size_t q_ = (i) % 4, p_ = ((i) / 4) % NP, b_ = ((i) / (4 * NP)) % NB,              \
                     u_ = (i) / (4 * NP * NB);                                                   \
        c##i = vfmaq_f32(c##i, vld1q_f32(w + p_ * ps + (k + u_) * PW + 4 * q_),                  \
                         vld1q_dup_f32(x + b_ * ldx + k + u_));                                  \
    }
__attribute__((always_inline)) static inline void step(const float* w, size_t ps, size_t K,
                                                       const float* x, size_t ldx, float* y,
                                                       size_t ldy, size_t n0, size_t n_end,
                                                       const float* bias, float lo, float hi,
                                                       const size_t NB, const size_t NP,
                                                       const size_t KU) {
    const size_t L = 4 * NP * NB * KU, L1 = 4 * NP * NB;
    float32x4_t c0 = vdupq_n_f32(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
    size_t k = 0;
    for (; k + KU <= K; k += KU) {
        LANE_FMA(0) LANE_FMA(1) LANE_FMA(2) LANE_FMA(3) LANE_FMA(4) LANE_FMA(5) LANE_FMA(6) LANE_FMA(7) LANE_FMA(8) LANE_FMA(9) LANE_FMA(10) LANE_FMA(11) LANE_FMA(12) LANE_FMA(13) LANE_FMA(14) LANE_FMA(15)
    }
    float32x4_t r[16] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15};
    for (size_t i = L1; i < L; i++) r[i % L1] = vaddq_f32(r[i % L1], r[i]);
    for (; k < K; k++)
        for (size_t i = 0; i < L1; i++)
            r[i] = vfmaq_f32(r[i], vld1q_f32(w + ((i / 4) % NP) * ps + k * PW + 4 * (i % 4)),
                             vld1q_dup_f32(x + (i / (4 * NP)) * ldx + k));
    for (size_t i = 0; i < L1; i++) {
        const size_t n = n0 + ((i / 4) % NP) * PW + 4 * (i % 4);
        if (n < n_end) store4(y + (i / (4 * NP)) * ldy, n, n_end - n, r[i], bias, lo, hi);
    }
}

void ep_f32_linear_dense_minmax_ukernel_64x1__neon(const void* packed, size_t row_begin,
                                                   size_t row_end, size_t batch, const float* x,
                                                   size_t ldx, float* y, size_t ldy,
                                                   const float* bias,
                                                   const ep_f32_minmax_params* params) {
    const ep_f32_dense_header* h = (const ep_f32_dense_header*)packed;
    const size_t K = h->cols;
    const size_t ps = K * PW;
    const float* panels = (const float*)((const unsigned char*)packed + EP_F32_DENSE_HEADER);
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    size_t p = row_begin / PW;
    const size_t p_end = (row_end + PW - 1) / PW;
    if (batch == 1) {
        for (; p + 4 <= p_end; p += 4)
            step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, lo, hi, 1, 4, 1);
        for (; p + 2 <= p_end; p += 2)
            step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, lo, hi, 1, 2, 2);
        if (p < p_end) step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, lo, hi, 1, 1, 4);
        return;
    }
    if (batch == 2) {
        for (; p + 2 <= p_end; p += 2)
            step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, lo, hi, 2, 2, 1);
        if (p < p_end) step(panels + p * ps, ps, K, x, ldx, y, ldy, p * PW, row_end, bias, lo, hi, 2, 1, 2);
        return;
    }
    for (; p < p_end; p++) {
        const float* w = panels + p * ps;
        size_t b = 0;
        for (; b + 4 <= batch; b += 4)
            step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, lo, hi, 4, 1, 1);
        switch (batch - b) {
            case 3: step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, lo, hi, 3, 1, 1); break;
            case 2: step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, lo, hi, 2, 1, 2); break;
            case 1: step(w, ps, K, x + b * ldx, ldx, y + b * ldy, ldy, p * PW, row_end, bias, lo, hi, 1, 1, 4); break;
            default: break;
        }
    }
}
#endif
