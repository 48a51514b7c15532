// NEON kernel of format "bsr1x4": per output row, each block (1 x 4) is one 4-wide weight load
// against its 4-wide input slice; up to 4 batch rows share each weight load; 4 independent
// accumulators per batch row, summed across lanes at the end. A last block that runs past `cols`
// (cols not a multiple of 4) is done in scalar so x is never read past its row.
#include "bsr_neon.h"

#if EP_ARCH_ARM64

// Lane i (NB*KU <= 16 accumulators, named variables): batch row i%NB, block phase i/NB.
#define LANE(i)                                                                                 \
    if ((i) < L) {                                                                              \
        const size_t b_ = (i) % NB, u_ = (i) / NB;                                              \
        c##i = vfmaq_f32(c##i, vld1q_f32(v + (j + u_) * 4),                                     \
                         vld1q_f32(x + (size_t)idx[j + u_] * 4 + b_ * ldx));                    \
    }
EP_BSR_NEON void bsr1x4_row(const float* v, const uint16_t* idx, size_t nblk, size_t cols,
                            const float* x, size_t ldx, float* y, size_t ldy, size_t n,
                            const float* bias, float lo, float hi, const size_t NB,
                            const size_t KU) {
    // The last block may run past cols (only the last: indices increase within a row).
    size_t partial = 0;
    if (nblk > 0 && (size_t)idx[nblk - 1] * 4 + 4 > cols) { partial = 1; nblk--; }
    const size_t L = NB * KU;
    EP_BSR_NEON_ACC16;
    size_t j = 0;
    for (; j + KU <= nblk; j += KU) {
        EP_BSR_NEON_LANES(LANE)
    }
    EP_BSR_NEON_R16;
    for (size_t i = NB; i < L; i++) r[i % NB] = vaddq_f32(r[i % NB], r[i]);
    for (; j < nblk; j++)
        for (size_t b = 0; b < NB; b++)
            r[b] = vfmaq_f32(r[b], vld1q_f32(v + j * 4), vld1q_f32(x + (size_t)idx[j] * 4 + b * ldx));
    for (size_t b = 0; b < NB; b++) {
        float s = vaddvq_f32(r[b]);
        if (partial) {
            const size_t c0_ = (size_t)idx[nblk] * 4;
            for (size_t c = c0_; c < cols; c++) s += v[nblk * 4 + (c - c0_)] * x[b * ldx + c];
        }
        s += bias != NULL ? bias[n] : 0.0f;
        s = s < lo ? lo : s;
        y[b * ldy + n] = s > hi ? hi : s;
    }
}

void ep_f32_linear_bsr1x4_minmax_ukernel_1x4__neon(const void* packed, size_t row_begin,
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
                case 2: bsr1x4_row(v, idx, nblk, cols, xb, ldx, yb, ldy, n, bias, lo, hi, 2, 4); break;
                case 3: bsr1x4_row(v, idx, nblk, cols, xb, ldx, yb, ldy, n, bias, lo, hi, 3, 4); break;
                default: bsr1x4_row(v, idx, nblk, cols, xb, ldx, yb, ldy, n, bias, lo, hi, 4, 4); break;
            }
        }
    }
}
#endif
