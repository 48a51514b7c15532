// SSE4.1 kernel of format "bsr1x4": per output row, each block (1 x 4) is one 4-wide weight load
// multiplied by its 4-wide input slice and added (no FMA); up to 4 batch rows share each weight
// load; blocks split over independent accumulators; a horizontal sum per row at the end. A last
// block that runs past `cols` (cols not a multiple of 4) is done in scalar so x is never read past
// its row.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

#define EP_SSE41 __attribute__((target("sse4.1"), always_inline)) static inline

// Lane i (NB*KU <= 8 accumulators): batch row i%NB, block phase i/NB.
#define LANE(i)                                                                                 \
    if ((i) < L) {                                                                              \
        const size_t b_ = (i) % NB, u_ = (i) / NB;                                              \
        c##i = _mm_add_ps(c##i, _mm_mul_ps(_mm_loadu_ps(v + (j + u_) * 4),                      \
                                           _mm_loadu_ps(x + (size_t)idx[j + u_] * 4 + b_ * ldx))); \
    }
EP_SSE41 void bsr1x4_row(const float* v, const uint16_t* idx, size_t nblk, size_t cols,
                         const float* x, size_t ldx, float* y, size_t ldy, size_t n,
                         const float* bias, float lo, float hi, const size_t NB, const size_t KU) {
    // The last block may run past cols (only the last: indices increase within a row).
    size_t partial = 0;
    if (nblk > 0 && (size_t)idx[nblk - 1] * 4 + 4 > cols) { partial = 1; nblk--; }
    const size_t L = NB * KU;
    __m128 c0 = _mm_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    size_t j = 0;
    for (; j + KU <= nblk; j += KU) {
        LANE(0) LANE(1) LANE(2) LANE(3) LANE(4) LANE(5) LANE(6) LANE(7)
    }
    __m128 r[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (size_t i = NB; i < L; i++) r[i % NB] = _mm_add_ps(r[i % NB], r[i]);
    for (; j < nblk; j++) {
        const __m128 w = _mm_loadu_ps(v + j * 4);
        for (size_t b = 0; b < NB; b++)
            r[b] = _mm_add_ps(r[b], _mm_mul_ps(w, _mm_loadu_ps(x + (size_t)idx[j] * 4 + b * ldx)));
    }
    for (size_t b = 0; b < NB; b++) {
        __m128 t = _mm_add_ps(r[b], _mm_movehl_ps(r[b], r[b]));
        t = _mm_add_ss(t, _mm_movehdup_ps(t));
        float s = _mm_cvtss_f32(t);
        if (partial) {
            const size_t c0_ = (size_t)idx[nblk] * 4;
            for (size_t c = c0_; c < cols; c++) s += v[nblk * 4 + (c - c0_)] * x[b * ldx + c];
        }
        s += bias != NULL ? bias[n] : 0.0f;
        s = s < lo ? lo : s;
        y[b * ldy + n] = s > hi ? hi : s;
    }
}

__attribute__((target("sse4.1")))
void ep_f32_linear_bsr1x4_minmax_ukernel_1x4__sse41(const void* packed, size_t row_begin,
                                                    size_t row_end, size_t batch, const float* x,
                                                    size_t ldx, float* y, size_t ldy,
                                                    const float* bias,
                                                    const ep_f32_minmax_params* params) {
    const ep_f32_bsr_header* h = (const ep_f32_bsr_header*)packed;
    const size_t cols = h->cols;
    const uint32_t* row_ptr = ep_f32_bsr_row_ptr(h);
    const uint16_t* col_idx = ep_f32_bsr_col_idx(h);
    const float* values = ep_f32_bsr_values(h);
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t n = row_begin; n < row_end; n++) {
        const uint32_t j0 = row_ptr[n], nblk = row_ptr[n + 1] - j0;
        const float* v = values + (size_t)j0 * 4;
        const uint16_t* idx = col_idx + j0;
        for (size_t b = 0; b < batch; b += 4) {
            const float* xb = x + b * ldx;
            float* yb = y + b * ldy;
            switch (batch - b) {
                case 1: bsr1x4_row(v, idx, nblk, cols, xb, ldx, yb, ldy, n, bias, lo, hi, 1, 4); break;
                case 2: bsr1x4_row(v, idx, nblk, cols, xb, ldx, yb, ldy, n, bias, lo, hi, 2, 2); break;
                case 3: bsr1x4_row(v, idx, nblk, cols, xb, ldx, yb, ldy, n, bias, lo, hi, 3, 2); break;
                default: bsr1x4_row(v, idx, nblk, cols, xb, ldx, yb, ldy, n, bias, lo, hi, 4, 2); break;
            }
        }
    }
}
#endif
