// AVX2 CSR sparse x dense: per output row, 16 non-zeros per step (two gathers of 8 inputs,
// indices widened from 16 bits), two accumulators, horizontal sum at the end of the row.
#include "../ep_ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

__attribute__((target("avx2,fma")))
void ep_f32_spmm_csr_minmax_ukernel_1x16__avx2_fma(const ep_f32_csr_matrix* w, size_t batch,
                                                   const float* x, size_t ldx, float* y,
                                                   size_t ldy, const float* bias,
                                                   const ep_f32_minmax_params* params) {
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t n = 0; n < w->rows; n++) {
        const uint32_t begin = w->row_ptr[n], end = w->row_ptr[n + 1];
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            uint32_t j = begin;
            for (; j + 16 <= end; j += 16) {
                const __m256i i0 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)(w->col_idx + j)));
                const __m256i i1 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)(w->col_idx + j + 8)));
                acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(w->values + j), _mm256_i32gather_ps(xb, i0, 4), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(w->values + j + 8), _mm256_i32gather_ps(xb, i1, 4), acc1);
            }
            for (; j + 8 <= end; j += 8) {
                const __m256i i0 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)(w->col_idx + j)));
                acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(w->values + j), _mm256_i32gather_ps(xb, i0, 4), acc0);
            }
            const __m256 acc = _mm256_add_ps(acc0, acc1);
            __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
            s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            s = _mm_add_ss(s, _mm_movehdup_ps(s));
            float v = _mm_cvtss_f32(s);
            for (; j < end; j++) v += w->values[j] * xb[w->col_idx[j]];
            v += bias != NULL ? bias[n] : 0.0f;
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[b * ldy + n] = v;
        }
    }
}
#endif
