// AVX2+FMA kernel of format "bsr1x4": per output row, two blocks (1 x 4 each) make one 8-wide
// weight load against their two 4-wide input slices (one in each 128-bit half); up to 4 batch rows
// share each weight load; a horizontal sum per row at the end. A last block that runs past `cols`
// (cols not a multiple of 4) is done in scalar so x is never read past its row.
#include "bsr_avx2.h"

#if EP_ARCH_X86_64

EP_BSR_AVX2 __m256 load2x4(const float* lo, const float* hi) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(lo)), _mm_loadu_ps(hi), 1);
}

// Lane i (NB*KU <= 8 accumulators): batch row i%NB, block pair phase i/NB.
#define LANE(i)                                                                                 \
    if ((i) < L) {                                                                              \
        const size_t b_ = (i) % NB, u_ = (i) / NB;                                              \
        c##i = _mm256_fmadd_ps(_mm256_loadu_ps(v + (j + 2 * u_) * 4),                          \
                               load2x4(x + (size_t)idx[j + 2 * u_] * 4 + b_ * ldx,             \
                                       x + (size_t)idx[j + 2 * u_ + 1] * 4 + b_ * ldx), c##i);  \
    }
EP_BSR_AVX2 void bsr1x4_row(const float* v, const uint16_t* idx, size_t nblk, size_t cols,
                            const float* x, size_t ldx, float* y, size_t ldy, size_t n,
                            const float* bias, float lo, float hi, const size_t NB,
                            const size_t KU) {
    // The last block may run past cols (only the last: indices increase within a row).
    size_t partial = 0;
    if (nblk > 0 && (size_t)idx[nblk - 1] * 4 + 4 > cols) { partial = 1; nblk--; }
    const size_t L = NB * KU;
    EP_BSR_AVX2_ACC8;
    size_t j = 0;
    for (; j + 2 * KU <= nblk; j += 2 * KU) {
        EP_BSR_AVX2_LANES(LANE)
    }
    __m256 r[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (size_t i = NB; i < L; i++) r[i % NB] = _mm256_add_ps(r[i % NB], r[i]);
    for (; j + 2 <= nblk; j += 2) {
        const __m256 w = _mm256_loadu_ps(v + j * 4);
        for (size_t b = 0; b < NB; b++)
            r[b] = _mm256_fmadd_ps(w, load2x4(x + (size_t)idx[j] * 4 + b * ldx, x + (size_t)idx[j + 1] * 4 + b * ldx), r[b]);
    }
    __m128 s4[4];
    for (size_t b = 0; b < NB; b++) s4[b] = _mm_add_ps(_mm256_castps256_ps128(r[b]), _mm256_extractf128_ps(r[b], 1));
    if (j < nblk) {
        const __m128 w = _mm_loadu_ps(v + j * 4);
        for (size_t b = 0; b < NB; b++) s4[b] = _mm_fmadd_ps(w, _mm_loadu_ps(x + (size_t)idx[j] * 4 + b * ldx), s4[b]);
    }
    for (size_t b = 0; b < NB; b++) {
        __m128 t = _mm_add_ps(s4[b], _mm_movehl_ps(s4[b], s4[b]));
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

__attribute__((target("avx2,fma")))
void ep_f32_linear_bsr1x4_minmax_ukernel_1x4__avx2_fma(const void* packed, size_t row_begin,
                                                       size_t row_end, size_t batch,
                                                       const float* x, size_t ldx, float* y,
                                                       size_t ldy, const float* bias,
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
