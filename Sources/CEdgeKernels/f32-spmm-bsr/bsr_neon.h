// Shared NEON pieces of the bsr kernels (static inline; included by the __neon files).
#ifndef EP_F32_SPMM_BSR_NEON_H
#define EP_F32_SPMM_BSR_NEON_H

#include "ukernels.h"

#if EP_ARCH_ARM64
#include <arm_neon.h>
#include <math.h>

#define EP_BSR_NEON __attribute__((always_inline)) static inline

// Stores outputs n .. n+valid-1 (valid may be < 4) of one batch row: + bias, clamp.
EP_BSR_NEON void ep_bsr_store4(float* y, size_t n, size_t valid, float32x4_t v, const float* bias,
                               float lo, float hi) {
    if (valid >= 4) {
        if (bias != NULL) v = vaddq_f32(v, vld1q_f32(bias + n));
        vst1q_f32(y + n, vminq_f32(vmaxq_f32(v, vdupq_n_f32(lo)), vdupq_n_f32(hi)));
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

#define EP_BSR_NEON_ACC16 float32x4_t c0 = vdupq_n_f32(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0
#define EP_BSR_NEON_R16 float32x4_t r[16] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15}
#define EP_BSR_NEON_LANES(LANE) LANE(0) LANE(1) LANE(2) LANE(3) LANE(4) LANE(5) LANE(6) LANE(7) LANE(8) LANE(9) LANE(10) LANE(11) LANE(12) LANE(13) LANE(14) LANE(15)

// bsr<4Q>x1, one block row, NB batch rows, blocks split KU ways (Q*NB*KU <= 16 accumulators,
// named variables; lane i: quarter i%Q, batch row (i/Q)%NB, block phase i/(Q*NB));
// rows [n0, n_end).
#define EP_BSR_RX1_LANE(i)                                                                      \
    if ((i) < L) {                                                                              \
        const size_t q_ = (i) % Q, b_ = ((i) / Q) % NB, u_ = (i) / (Q * NB);                    \
        c##i = vfmaq_f32(c##i, vld1q_f32(v + (j + u_) * R + 4 * q_),                            \
                         vld1q_dup_f32(x + idx[j + u_] + b_ * ldx));                            \
    }
EP_BSR_NEON void ep_bsr_rx1_neon(const float* v, const uint16_t* idx, size_t nblk, const float* x,
                                 size_t ldx, float* y, size_t ldy, size_t n0, size_t n_end,
                                 const float* bias, float lo, float hi, const size_t Q,
                                 const size_t NB, const size_t KU) {
    const size_t R = 4 * Q, L = Q * NB * KU, L1 = Q * NB;
    EP_BSR_NEON_ACC16;
    size_t j = 0;
    for (; j + KU <= nblk; j += KU) {
        EP_BSR_NEON_LANES(EP_BSR_RX1_LANE)
    }
    EP_BSR_NEON_R16;
    for (size_t i = L1; i < L; i++) r[i % L1] = vaddq_f32(r[i % L1], r[i]);
    for (; j < nblk; j++)
        for (size_t i = 0; i < L1; i++)
            r[i] = vfmaq_f32(r[i], vld1q_f32(v + j * R + 4 * (i % Q)), vld1q_dup_f32(x + idx[j] + (i / Q) * ldx));
    for (size_t i = 0; i < L1; i++) {
        const size_t n = n0 + 4 * (i % Q);
        if (n < n_end) ep_bsr_store4(y + (i / Q) * ldy, n, n_end - n, r[i], bias, lo, hi);
    }
}

// Whole kernel for bsr<4Q>x1 (Q = 1, 2, 4, 8): block rows covering [row_begin, row_end), batch
// in chunks of 4 (2 for Q = 8); about 16 accumulators in flight (NEON has 32 registers).
EP_BSR_NEON void ep_bsr_rx1_neon_run(const void* packed, size_t row_begin, size_t row_end,
                                     size_t batch, const float* x, size_t ldx, float* y,
                                     size_t ldy, const float* bias,
                                     const ep_f32_minmax_params* params, const size_t Q) {
    const ep_f32_bsr_header* h = (const ep_f32_bsr_header*)packed;
    const size_t R = 4 * Q;
    const uint32_t* row_ptr = ep_f32_bsr_row_ptr(h);
    const uint16_t* col_idx = ep_f32_bsr_col_idx(h);
    const float* values = ep_f32_bsr_values(h);
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    if (batch == 1) {  // own loop nest, so invariants of the other variants are not hoisted here
        for (size_t br = row_begin / R; br * R < row_end; br++) {
            const uint32_t j0 = row_ptr[br], nblk = row_ptr[br + 1] - j0;
            ep_bsr_rx1_neon(values + (size_t)j0 * R, col_idx + j0, nblk, x, 0, y, 0, br * R, row_end,
                            bias, lo, hi, Q, 1, Q == 1 ? 8 : Q == 8 ? 2 : 4);
        }
        return;
    }
    for (size_t br = row_begin / R; br * R < row_end; br++) {
        const uint32_t j0 = row_ptr[br], nblk = row_ptr[br + 1] - j0;
        const float* v = values + (size_t)j0 * R;
        const uint16_t* idx = col_idx + j0;
        const size_t chunk = Q == 8 ? 2 : 4;  // Q * NB <= 16 accumulators
        for (size_t b = 0; b < batch; b += chunk) {
            const float* xb = x + b * ldx;
            float* yb = y + b * ldy;
            if (Q == 8) {
                if (batch - b == 1) ep_bsr_rx1_neon(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, lo, hi, Q, 1, 2);
                else ep_bsr_rx1_neon(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, lo, hi, Q, 2, 1);
                continue;
            }
            switch (batch - b) {
                case 1: ep_bsr_rx1_neon(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, lo, hi, Q, 1, Q == 1 ? 8 : 4); break;
                case 2: ep_bsr_rx1_neon(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, lo, hi, Q, 2, Q == 4 ? 2 : 4); break;
                case 3: ep_bsr_rx1_neon(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, lo, hi, Q, 3, 1); break;
                default: ep_bsr_rx1_neon(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, lo, hi, Q, 4, 1); break;
            }
        }
    }
}

#endif
#endif
