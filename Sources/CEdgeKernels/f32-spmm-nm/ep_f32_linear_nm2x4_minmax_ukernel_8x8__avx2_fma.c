// AVX2 "nm2:4" kernel: 8 output rows per step, two groups of four inputs (8 columns) per inner
// step. x[4g .. 4g+3] is broadcast to both 128-bit lanes (vbroadcastf128); each slot's 2-bit
// column indices for the 8 rows come from one 32-bit word shifted per lane (vpsrlvd) and select
// the inputs with vpermilps (which reads only the low 2 bits). Four accumulators.
#include "nm_avx2.h"

#if EP_ARCH_X86_64
#include <math.h>
#include <string.h>

__attribute__((target("avx2,fma")))
void ep_f32_linear_nm2x4_minmax_ukernel_8x8__avx2_fma(const void* packed, size_t row_begin,
                                                      size_t row_end, size_t batch, const float* x,
                                                      size_t ldx, float* y, size_t ldy,
                                                      const float* bias,
                                                      const ep_f32_minmax_params* params) {
    const ep_f32_nm_header* h = packed;
    const unsigned char* blob = packed;
    const size_t groups = h->groups, cols = h->cols, full = cols / 4;
    const float* val = (const float*)(blob + h->off_val);
    const uint32_t* meta = (const uint32_t*)(blob + h->off_meta);
    const __m256 vlo = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vhi = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    const __m256i sh0 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256i sh1 = _mm256_setr_epi32(16, 18, 20, 22, 24, 26, 28, 30);
    for (size_t r0 = row_begin; r0 < row_end; r0 += 8) {
        const size_t p = r0 / 8;
        const float* pv = val + p * groups * 16;
        const uint32_t* pm = meta + p * groups;
        const size_t count = row_end - r0 < 8 ? row_end - r0 : 8;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            const float* v = pv;
            size_t g = 0;
            for (; g + 2 <= full; g += 2) {
                const __m256 x0 = _mm256_broadcast_ps((const __m128*)(xb + 4 * g));
                const __m256 x1 = _mm256_broadcast_ps((const __m128*)(xb + 4 * g + 4));
                const __m256i c0 = _mm256_set1_epi32((int)pm[g]), c1 = _mm256_set1_epi32((int)pm[g + 1]);
                a0 = _mm256_fmadd_ps(_mm256_load_ps(v), _mm256_permutevar_ps(x0, _mm256_srlv_epi32(c0, sh0)), a0);
                a1 = _mm256_fmadd_ps(_mm256_load_ps(v + 8), _mm256_permutevar_ps(x0, _mm256_srlv_epi32(c0, sh1)), a1);
                a2 = _mm256_fmadd_ps(_mm256_load_ps(v + 16), _mm256_permutevar_ps(x1, _mm256_srlv_epi32(c1, sh0)), a2);
                a3 = _mm256_fmadd_ps(_mm256_load_ps(v + 24), _mm256_permutevar_ps(x1, _mm256_srlv_epi32(c1, sh1)), a3);
                v += 32;
            }
            for (; g < groups; g++) {
                __m256 x0;
                if (g < full) {
                    x0 = _mm256_broadcast_ps((const __m128*)(xb + 4 * g));
                } else {  // partial last group: the inputs past cols read as zeros
                    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    for (size_t c = 4 * g; c < cols; c++) t[c - 4 * g] = xb[c];
                    x0 = _mm256_broadcast_ps((const __m128*)t);
                }
                const __m256i c0 = _mm256_set1_epi32((int)pm[g]);
                a0 = _mm256_fmadd_ps(_mm256_load_ps(v), _mm256_permutevar_ps(x0, _mm256_srlv_epi32(c0, sh0)), a0);
                a1 = _mm256_fmadd_ps(_mm256_load_ps(v + 8), _mm256_permutevar_ps(x0, _mm256_srlv_epi32(c0, sh1)), a1);
                v += 16;
            }
            const __m256 acc = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
            ep_nm_store8(acc, bias != NULL ? bias + r0 : NULL, count, vlo, vhi, y + b * ldy + r0);
        }
    }
}
#endif
