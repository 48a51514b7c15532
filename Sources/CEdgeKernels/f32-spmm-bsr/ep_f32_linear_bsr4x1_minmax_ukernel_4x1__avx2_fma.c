// AVX2+FMA kernel of format "bsr4x1": two consecutive blocks of a block row make one 8-wide
// weight load; their inputs are broadcast into the two 128-bit halves; the halves are summed at
// the end. Up to 4 batch rows share each weight load; pairs split over independent accumulators.
#include "bsr_avx2.h"

#if EP_ARCH_X86_64

// Lane i (NB*KU <= 8 accumulators): batch row i%NB, block pair phase i/NB.
#define LANE(i)                                                                                 \
    if ((i) < L) {                                                                              \
        const size_t b_ = (i) % NB, u_ = (i) / NB;                                              \
        const __m256 xv = _mm256_insertf128_ps(                                                 \
            _mm256_castps128_ps256(_mm_broadcast_ss(x + idx[j + 2 * u_] + b_ * ldx)),           \
            _mm_broadcast_ss(x + idx[j + 2 * u_ + 1] + b_ * ldx), 1);                           \
        c##i = _mm256_fmadd_ps(_mm256_loadu_ps(v + (j + 2 * u_) * 4), xv, c##i);                \
    }
EP_BSR_AVX2 void bsr4x1_block_row(const float* v, const uint16_t* idx, size_t nblk,
                                  const float* x, size_t ldx, float* y, size_t ldy, size_t n0,
                                  size_t n_end, const float* bias, __m256 vlo, __m256 vhi,
                                  const size_t NB, const size_t KU) {
    const size_t L = NB * KU;
    EP_BSR_AVX2_ACC8;
    size_t j = 0;
    for (; j + 2 * KU <= nblk; j += 2 * KU) {
        EP_BSR_AVX2_LANES(LANE)
    }
    __m256 r[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    __m128 s[4];
    for (size_t i = NB; i < L; i++) r[i % NB] = _mm256_add_ps(r[i % NB], r[i]);
    for (size_t b = 0; b < NB; b++)
        s[b] = _mm_add_ps(_mm256_castps256_ps128(r[b]), _mm256_extractf128_ps(r[b], 1));
    for (; j < nblk; j++) {
        const __m128 w = _mm_loadu_ps(v + j * 4);
        for (size_t b = 0; b < NB; b++) s[b] = _mm_fmadd_ps(w, _mm_broadcast_ss(x + idx[j] + b * ldx), s[b]);
    }
    const size_t valid = n_end - n0 < 4 ? n_end - n0 : 4;
    for (size_t b = 0; b < NB; b++) {
        if (valid == 4) {
            __m128 o = s[b];
            if (bias != NULL) o = _mm_add_ps(o, _mm_loadu_ps(bias + n0));
            o = _mm_min_ps(_mm_max_ps(o, _mm256_castps256_ps128(vlo)), _mm256_castps256_ps128(vhi));
            _mm_storeu_ps(y + b * ldy + n0, o);
        } else {
            ep_bsr_store8(y + b * ldy, n0, valid, _mm256_castps128_ps256(s[b]), bias, vlo, vhi);
        }
    }
}

__attribute__((target("avx2,fma")))
void ep_f32_linear_bsr4x1_minmax_ukernel_4x1__avx2_fma(const void* packed, size_t row_begin,
                                                       size_t row_end, size_t batch,
                                                       const float* x, size_t ldx, float* y,
                                                       size_t ldy, const float* bias,
                                                       const ep_f32_minmax_params* params) {
    const ep_f32_bsr_header* h = (const ep_f32_bsr_header*)packed;
    const uint32_t* row_ptr = ep_f32_bsr_row_ptr(h);
    const uint16_t* col_idx = ep_f32_bsr_col_idx(h);
    const float* values = ep_f32_bsr_values(h);
    const __m256 vlo = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vhi = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    for (size_t br = row_begin / 4; br * 4 < row_end; br++) {
        const uint32_t j0 = row_ptr[br], nblk = row_ptr[br + 1] - j0;
        const float* v = values + (size_t)j0 * 4;
        const uint16_t* idx = col_idx + j0;
        for (size_t b = 0; b < batch; b += 4) {
            const float* xb = x + b * ldx;
            float* yb = y + b * ldy;
            switch (batch - b) {
                case 1: bsr4x1_block_row(v, idx, nblk, xb, ldx, yb, ldy, br * 4, row_end, bias, vlo, vhi, 1, 4); break;
                case 2: bsr4x1_block_row(v, idx, nblk, xb, ldx, yb, ldy, br * 4, row_end, bias, vlo, vhi, 2, 2); break;
                case 3: bsr4x1_block_row(v, idx, nblk, xb, ldx, yb, ldy, br * 4, row_end, bias, vlo, vhi, 3, 2); break;
                default: bsr4x1_block_row(v, idx, nblk, xb, ldx, yb, ldy, br * 4, row_end, bias, vlo, vhi, 4, 2); break;
            }
        }
    }
}
#endif
