// Shared SSE4.1 pieces of the bsr<4Q>x1 kernels (static inline; included by the __sse41 files).
// Per block, Q 4-wide weight loads shared by up to NB batch rows (one broadcast input each;
// multiply, then add: no FMA); the blocks of a block row split KU ways over independent
// accumulators (at most 8 of SSE's 16 registers) to hide the add latency.
#ifndef EP_F32_SPMM_BSR_SSE41_H
#define EP_F32_SPMM_BSR_SSE41_H

#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

#define EP_BSR_SSE41 __attribute__((target("sse4.1"), always_inline)) static inline

// Stores outputs n .. n+valid-1 (valid may be < 4) of one batch row: + bias, clamp.
// max(lo, v) / min(hi, v) keep a NaN sum, as the scalar reference does.
EP_BSR_SSE41 void ep_bsr_store4_sse41(float* y, size_t n, size_t valid, __m128 v,
                                      const float* bias, __m128 vlo, __m128 vhi) {
    if (valid >= 4) {
        if (bias != NULL) v = _mm_add_ps(v, _mm_loadu_ps(bias + n));
        _mm_storeu_ps(y + n, _mm_min_ps(vhi, _mm_max_ps(vlo, v)));
    } else {
        float t[4];
        _mm_storeu_ps(t, v);
        const float lo = _mm_cvtss_f32(vlo), hi = _mm_cvtss_f32(vhi);
        for (size_t i = 0; i < valid; i++) {
            float o = t[i] + (bias != NULL ? bias[n + i] : 0.0f);
            o = o < lo ? lo : o;
            y[n + i] = o > hi ? hi : o;
        }
    }
}

// One block row (blocks v[0..nblk) of R = 4Q floats, columns idx), NB batch rows, blocks split
// KU ways (Q*NB*KU <= 8 accumulators, named variables; lane i: quarter i%Q, batch row (i/Q)%NB,
// block phase i/(Q*NB)); writes rows [n0, n_end).
#define EP_BSR_SSE41_LANE(i)                                                                    \
    if ((i) < L) {                                                                              \
        const size_t q_ = (i) % Q, b_ = ((i) / Q) % NB, u_ = (i) / (Q * NB);                    \
        c##i = _mm_add_ps(c##i, _mm_mul_ps(_mm_loadu_ps(v + (j + u_) * R + 4 * q_),             \
                                           _mm_load1_ps(x + idx[j + u_] + b_ * ldx)));          \
    }
EP_BSR_SSE41 void ep_bsr_rx1_sse41(const float* v, const uint16_t* idx, size_t nblk,
                                   const float* x, size_t ldx, float* y, size_t ldy, size_t n0,
                                   size_t n_end, const float* bias, __m128 vlo, __m128 vhi,
                                   const size_t Q, const size_t NB, const size_t KU) {
    const size_t R = 4 * Q, L = Q * NB * KU, L1 = Q * NB;
    __m128 c0 = _mm_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    size_t j = 0;
    for (; j + KU <= nblk; j += KU) {
        EP_BSR_SSE41_LANE(0) EP_BSR_SSE41_LANE(1) EP_BSR_SSE41_LANE(2) EP_BSR_SSE41_LANE(3)
        EP_BSR_SSE41_LANE(4) EP_BSR_SSE41_LANE(5) EP_BSR_SSE41_LANE(6) EP_BSR_SSE41_LANE(7)
    }
    __m128 r[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (size_t i = L1; i < L; i++) r[i % L1] = _mm_add_ps(r[i % L1], r[i]);
    for (; j < nblk; j++)
        for (size_t i = 0; i < L1; i++)
            r[i] = _mm_add_ps(r[i], _mm_mul_ps(_mm_loadu_ps(v + j * R + 4 * (i % Q)),
                                               _mm_load1_ps(x + idx[j] + (i / Q) * ldx)));
    for (size_t i = 0; i < L1; i++) {
        const size_t n = n0 + 4 * (i % Q);
        if (n < n_end) ep_bsr_store4_sse41(y + (i / Q) * ldy, n, n_end - n, r[i], bias, vlo, vhi);
    }
}

// Whole kernel for bsr<4Q>x1 (Q = 1, 2, 4, 8): block rows covering [row_begin, row_end), the
// batch in chunks of 8/Q rows (at most 4) so that Q*NB <= 8.
EP_BSR_SSE41 void ep_bsr_rx1_sse41_run(const void* packed, size_t row_begin, size_t row_end,
                                       size_t batch, const float* x, size_t ldx, float* y,
                                       size_t ldy, const float* bias,
                                       const ep_f32_minmax_params* params, const size_t Q) {
    const ep_f32_bsr_header* h = (const ep_f32_bsr_header*)packed;
    const size_t R = 4 * Q, chunk = Q == 8 ? 1 : Q == 4 ? 2 : 4;
    const uint32_t* row_ptr = ep_f32_bsr_row_ptr(h);
    const uint16_t* col_idx = ep_f32_bsr_col_idx(h);
    const float* values = ep_f32_bsr_values(h);
    const __m128 vlo = _mm_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m128 vhi = _mm_set1_ps(params != NULL ? params->max : INFINITY);
    if (batch == 1) {  // own loop nest, so invariants of the other variants are not hoisted here
        for (size_t br = row_begin / R; br * R < row_end; br++) {
            const uint32_t j0 = row_ptr[br], nblk = row_ptr[br + 1] - j0;
            ep_bsr_rx1_sse41(values + (size_t)j0 * R, col_idx + j0, nblk, x, 0, y, 0, br * R, row_end,
                             bias, vlo, vhi, Q, 1, 8 / Q);
        }
        return;
    }
    for (size_t br = row_begin / R; br * R < row_end; br++) {
        const uint32_t j0 = row_ptr[br], nblk = row_ptr[br + 1] - j0;
        const float* v = values + (size_t)j0 * R;
        const uint16_t* idx = col_idx + j0;
        for (size_t b = 0; b < batch; b += chunk) {
            const float* xb = x + b * ldx;
            float* yb = y + b * ldy;
            const size_t nb = batch - b < chunk ? batch - b : chunk;
            if (Q == 8) {
                ep_bsr_rx1_sse41(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, Q, 1, 1);
            } else if (Q == 4) {
                if (nb == 1) ep_bsr_rx1_sse41(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, Q, 1, 2);
                else ep_bsr_rx1_sse41(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, Q, 2, 1);
            } else {
                const size_t k1 = Q == 1 ? 8 : 4, k2 = Q == 1 ? 4 : 2, k3 = Q == 1 ? 2 : 1;
                switch (nb) {
                    case 1: ep_bsr_rx1_sse41(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, Q, 1, k1); break;
                    case 2: ep_bsr_rx1_sse41(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, Q, 2, k2); break;
                    case 3: ep_bsr_rx1_sse41(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, Q, 3, k3); break;
                    default: ep_bsr_rx1_sse41(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, Q, 4, k3); break;
                }
            }
        }
    }
}

#endif
#endif
