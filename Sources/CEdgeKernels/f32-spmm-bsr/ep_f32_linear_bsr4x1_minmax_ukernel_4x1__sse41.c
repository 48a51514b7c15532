// SSE4.1 kernel of format "bsr4x1": per block, one 4-wide weight load, shared by up to 4 batch rows
// (one broadcast input each; multiply, then add: no FMA); the blocks of a block row split over
// independent accumulators (at most 8 of SSE's 16 registers) to hide the add latency.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

#define EP_SSE41 __attribute__((target("sse4.1"), always_inline)) static inline
#define BLOCK_R 4   // rows per block
#define BLOCK_Q 1   // 4-wide quarters per block

// Stores outputs n .. n+valid-1 (valid may be < 4) of one batch row: + bias, clamp.
// max(lo, v) / min(hi, v) keep a NaN sum, as the scalar reference does.
EP_SSE41 void store4(float* y, size_t n, size_t valid, __m128 v, const float* bias, __m128 vlo,
                     __m128 vhi) {
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

// One block row (blocks v[0..nblk), columns idx), NB batch rows, blocks split KU ways
// (BLOCK_Q*NB*KU <= 8 accumulators, named variables; lane i: quarter i%BLOCK_Q, batch row
// (i/BLOCK_Q)%NB, block phase i/(BLOCK_Q*NB)); writes rows [n0, n_end).
#define LANE(i)                                                                                    \
    if ((i) < L) {                                                                                 \
        const size_t q_ = (i) % BLOCK_Q, b_ = ((i) / BLOCK_Q) % NB, u_ = (i) / (BLOCK_Q * NB);     \
        c##i = _mm_add_ps(c##i, _mm_mul_ps(_mm_load_ps(v + (j + u_) * BLOCK_R + 4 * q_),           \
                                           _mm_load1_ps(x + idx[j + u_] + b_ * ldx)));             \
    }
EP_SSE41 void block_row(const float* v, const uint16_t* idx, size_t nblk, const float* x,
                        size_t ldx, float* y, size_t ldy, size_t n0, size_t n_end,
                        const float* bias, __m128 vlo, __m128 vhi, const size_t NB,
                        const size_t KU) {
    const size_t L = BLOCK_Q * NB * KU, L1 = BLOCK_Q * NB;
    __m128 c0 = _mm_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    size_t j = 0;
    for (; j + KU <= nblk; j += KU) {
        LANE(0) LANE(1) LANE(2) LANE(3) LANE(4) LANE(5) LANE(6) LANE(7)
    }
    __m128 r[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (size_t i = L1; i < L; i++) r[i % L1] = _mm_add_ps(r[i % L1], r[i]);
    for (; j < nblk; j++)
        for (size_t i = 0; i < L1; i++)
            r[i] = _mm_add_ps(r[i], _mm_mul_ps(_mm_load_ps(v + j * BLOCK_R + 4 * (i % BLOCK_Q)),
                                               _mm_load1_ps(x + idx[j] + (i / BLOCK_Q) * ldx)));
    for (size_t i = 0; i < L1; i++) {
        const size_t n = n0 + 4 * (i % BLOCK_Q);
        if (n < n_end) store4(y + (i / BLOCK_Q) * ldy, n, n_end - n, r[i], bias, vlo, vhi);
    }
}

__attribute__((target("sse4.1")))
void ep_f32_linear_bsr4x1_minmax_ukernel_4x1__sse41(const void* packed, size_t row_begin,
        size_t row_end, size_t batch, const float* x, size_t ldx, float* y, size_t ldy,
        const float* bias, const ep_f32_minmax_params* params) {
    const ep_f32_bsr_header* h = (const ep_f32_bsr_header*)packed;
    const uint32_t* row_ptr = ep_f32_bsr_row_ptr(h);
    const uint16_t* col_idx = ep_f32_bsr_col_idx(h);
    const float* values = ep_f32_bsr_values(h);
    const __m128 vlo = _mm_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m128 vhi = _mm_set1_ps(params != NULL ? params->max : INFINITY);
    for (size_t br = row_begin / BLOCK_R; br * BLOCK_R < row_end; br++) {
        const uint32_t j0 = row_ptr[br], nblk = row_ptr[br + 1] - j0;
        const float* v = values + (size_t)j0 * BLOCK_R;
        const uint16_t* idx = col_idx + j0;
        for (size_t b = 0; b < batch; b += 4) {
            const float* xb = x + b * ldx;
            float* yb = y + b * ldy;
            switch (batch - b) {
                case 1: block_row(v, idx, nblk, xb, ldx, yb, ldy, br * BLOCK_R, row_end, bias, vlo, vhi, 1, 8); break;
                case 2: block_row(v, idx, nblk, xb, ldx, yb, ldy, br * BLOCK_R, row_end, bias, vlo, vhi, 2, 4); break;
                case 3: block_row(v, idx, nblk, xb, ldx, yb, ldy, br * BLOCK_R, row_end, bias, vlo, vhi, 3, 2); break;
                default: block_row(v, idx, nblk, xb, ldx, yb, ldy, br * BLOCK_R, row_end, bias, vlo, vhi, 4, 2); break;
            }
        }
    }
}
#endif
