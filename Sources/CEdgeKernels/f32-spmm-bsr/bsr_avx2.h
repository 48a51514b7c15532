// Shared AVX2+FMA pieces of the bsr kernels (static inline; included by the __avx2_fma files).
#ifndef EP_F32_SPMM_BSR_AVX2_H
#define EP_F32_SPMM_BSR_AVX2_H

#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

#define EP_BSR_AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline

// Stores outputs n .. n+valid-1 (valid may be < 8) of one batch row: + bias, clamp.
EP_BSR_AVX2 void ep_bsr_store8(float* y, size_t n, size_t valid, __m256 v, const float* bias,
                               __m256 vlo, __m256 vhi) {
    if (valid >= 8) {
        if (bias != NULL) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + n));
        _mm256_storeu_ps(y + n, _mm256_min_ps(_mm256_max_ps(v, vlo), vhi));
    } else {
        float t[8];
        _mm256_storeu_ps(t, v);
        const float lo = _mm256_cvtss_f32(vlo), hi = _mm256_cvtss_f32(vhi);
        for (size_t i = 0; i < valid; i++) {
            float o = t[i] + (bias != NULL ? bias[n + i] : 0.0f);
            o = o < lo ? lo : o;
            y[n + i] = o > hi ? hi : o;
        }
    }
}

// Eight accumulators as named variables (so compilers keep them in registers), and the
// statement that updates lane i of them when i < L; loads repeated across lanes are CSE'd.
#define EP_BSR_AVX2_ACC8 __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0
#define EP_BSR_AVX2_LANES(LANE) LANE(0) LANE(1) LANE(2) LANE(3) LANE(4) LANE(5) LANE(6) LANE(7)

// bsr<8H>x1, one block row (blocks v[0..nblk), R = 8H floats each, columns idx), NB batch rows,
// blocks split KU ways (H*NB*KU <= 8 accumulators; lane i: half i%H, batch row (i/H)%NB, block
// phase i/(H*NB)). Writes rows [n0, n_end) of the block row.
#define EP_BSR_RX1_LANE(i)                                                                      \
    if ((i) < L) {                                                                              \
        const size_t h_ = (i) % H, b_ = ((i) / H) % NB, u_ = (i) / (H * NB);                    \
        c##i = _mm256_fmadd_ps(_mm256_loadu_ps(v + (j + u_) * R + 8 * h_),                      \
                               _mm256_broadcast_ss(x + idx[j + u_] + b_ * ldx), c##i);          \
    }
EP_BSR_AVX2 void ep_bsr_rx1_avx2(const float* v, const uint16_t* idx, size_t nblk,
                                 const float* x, size_t ldx, float* y, size_t ldy, size_t n0,
                                 size_t n_end, const float* bias, __m256 vlo, __m256 vhi,
                                 const size_t H, const size_t NB, const size_t KU) {
    const size_t R = 8 * H, L = H * NB * KU, L1 = H * NB;
    EP_BSR_AVX2_ACC8;
    size_t j = 0;
    for (; j + KU <= nblk; j += KU) {
        EP_BSR_AVX2_LANES(EP_BSR_RX1_LANE)
    }
    __m256 r[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (size_t i = L1; i < L; i++) r[i % L1] = _mm256_add_ps(r[i % L1], r[i]);
    for (; j < nblk; j++)
        for (size_t i = 0; i < L1; i++)
            r[i] = _mm256_fmadd_ps(_mm256_loadu_ps(v + j * R + 8 * (i % H)),
                                   _mm256_broadcast_ss(x + idx[j] + (i / H) * ldx), r[i]);
    for (size_t i = 0; i < L1; i++) {
        const size_t n = n0 + 8 * (i % H);
        if (n < n_end) ep_bsr_store8(y + (i / H) * ldy, n, n_end - n, r[i], bias, vlo, vhi);
    }
}

// Batch 1 (the common case at the edge) in its own loop nest: with the batch-chunk switch of the
// general path around it, compilers hoist the invariants of every variant out of the block-row
// loop and spill them (hundreds of instructions per block row). Block rows of 8H rows, blocks
// split 8/H ways.
EP_BSR_AVX2 void ep_bsr_rx1_avx2_run_b1(const void* packed, size_t row_begin, size_t row_end,
                                        const float* x, float* y, const float* bias,
                                        const ep_f32_minmax_params* params, const size_t H) {
    const ep_f32_bsr_header* h = (const ep_f32_bsr_header*)packed;
    const size_t R = 8 * H;
    const uint32_t* row_ptr = ep_f32_bsr_row_ptr(h);
    const uint16_t* col_idx = ep_f32_bsr_col_idx(h);
    const float* values = ep_f32_bsr_values(h);
    const __m256 vlo = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vhi = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    for (size_t br = row_begin / R; br * R < row_end; br++) {
        const uint32_t j0 = row_ptr[br], nblk = row_ptr[br + 1] - j0;
        ep_bsr_rx1_avx2(values + (size_t)j0 * R, col_idx + j0, nblk, x, 0, y, 0, br * R, row_end,
                        bias, vlo, vhi, H, 1, 8 / H);
    }
}

// Whole kernel for bsr<8H>x1 (H = 1, 2, 4): block rows covering [row_begin, row_end), batch in
// chunks of 4 (2 for H = 4).
EP_BSR_AVX2 void ep_bsr_rx1_avx2_run(const void* packed, size_t row_begin, size_t row_end,
                                     size_t batch, const float* x, size_t ldx, float* y,
                                     size_t ldy, const float* bias,
                                     const ep_f32_minmax_params* params, const size_t H) {
    if (batch == 1) {
        ep_bsr_rx1_avx2_run_b1(packed, row_begin, row_end, x, y, bias, params, H);
        return;
    }
    const ep_f32_bsr_header* h = (const ep_f32_bsr_header*)packed;
    const size_t R = 8 * H;
    const uint32_t* row_ptr = ep_f32_bsr_row_ptr(h);
    const uint16_t* col_idx = ep_f32_bsr_col_idx(h);
    const float* values = ep_f32_bsr_values(h);
    const __m256 vlo = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vhi = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    for (size_t br = row_begin / R; br * R < row_end; br++) {
        const uint32_t j0 = row_ptr[br], nblk = row_ptr[br + 1] - j0;
        const float* v = values + (size_t)j0 * R;
        const uint16_t* idx = col_idx + j0;
        const size_t chunk = H == 4 ? 2 : 4;  // H * NB <= 8 accumulators
        for (size_t b = 0; b < batch; b += chunk) {
            const float* xb = x + b * ldx;
            float* yb = y + b * ldy;
            if (H == 4) {  // bsr32x1: four 8-wide loads per block, up to 2 batch rows
                if (batch - b == 1) ep_bsr_rx1_avx2(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, H, 1, 2);
                else ep_bsr_rx1_avx2(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, H, 2, 1);
                continue;
            }
            switch (batch - b) {
                case 1: ep_bsr_rx1_avx2(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, H, 1, H == 1 ? 8 : 4); break;
                case 2: ep_bsr_rx1_avx2(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, H, 2, H == 1 ? 4 : 2); break;
                case 3: ep_bsr_rx1_avx2(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, H, 3, H == 1 ? 2 : 1); break;
                default: ep_bsr_rx1_avx2(v, idx, nblk, xb, ldx, yb, ldy, br * R, row_end, bias, vlo, vhi, H, 4, H == 1 ? 2 : 1); break;
            }
        }
    }
}

#endif
#endif
