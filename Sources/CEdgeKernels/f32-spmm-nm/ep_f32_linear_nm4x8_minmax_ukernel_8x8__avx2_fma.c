// AVX2 "nm4:8" kernel: 8 output rows per step, one group of eight inputs per inner step.
// x[8g .. 8g+7] is one load; each slot's 3-bit column indices for the 8 rows come from one 32-bit
// word (24 bits used) shifted per lane (vpsrlvd) and select the inputs with vpermps (which reads
// only the low 3 bits). One accumulator per slot.
#include "nm_avx2.h"

#if EP_ARCH_X86_64
#include <math.h>
#include <string.h>

__attribute__((target("avx2,fma"), always_inline)) static inline __m256i ctl(const uint8_t* m) {
    uint32_t word;
    memcpy(&word, m, 4);
    return _mm256_set1_epi32((int)word);
}

__attribute__((target("avx2,fma")))
void ep_f32_linear_nm4x8_minmax_ukernel_8x8__avx2_fma(const void* packed, size_t row_begin,
                                                      size_t row_end, size_t batch, const float* x,
                                                      size_t ldx, float* y, size_t ldy,
                                                      const float* bias,
                                                      const ep_f32_minmax_params* params) {
    const ep_f32_nm_header* h = packed;
    const unsigned char* blob = packed;
    const size_t groups = h->groups, cols = h->cols, full = cols / 8;
    const float* val = (const float*)(blob + h->off_val);
    const uint8_t* meta = blob + h->off_meta;
    const __m256 vlo = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vhi = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    const __m256i sh = _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21);
    for (size_t r0 = row_begin; r0 < row_end; r0 += 8) {
        const size_t p = r0 / 8;
        const float* pv = val + p * groups * 32;
        const uint8_t* pm = meta + p * groups * 12;
        const size_t count = row_end - r0 < 8 ? row_end - r0 : 8;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            const float* v = pv;
            const uint8_t* m = pm;
            for (size_t g = 0; g < groups; g++) {
                __m256 x0;
                if (g < full) {
                    x0 = _mm256_loadu_ps(xb + 8 * g);
                } else {  // partial last group: the inputs past cols read as zeros
                    float t[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
                    for (size_t c = 8 * g; c < cols; c++) t[c - 8 * g] = xb[c];
                    x0 = _mm256_loadu_ps(t);
                }
                a0 = _mm256_fmadd_ps(_mm256_load_ps(v), _mm256_permutevar8x32_ps(x0, _mm256_srlv_epi32(ctl(m), sh)), a0);
                a1 = _mm256_fmadd_ps(_mm256_load_ps(v + 8), _mm256_permutevar8x32_ps(x0, _mm256_srlv_epi32(ctl(m + 3), sh)), a1);
                a2 = _mm256_fmadd_ps(_mm256_load_ps(v + 16), _mm256_permutevar8x32_ps(x0, _mm256_srlv_epi32(ctl(m + 6), sh)), a2);
                a3 = _mm256_fmadd_ps(_mm256_load_ps(v + 24), _mm256_permutevar8x32_ps(x0, _mm256_srlv_epi32(ctl(m + 9), sh)), a3);
                v += 32;
                m += 12;
            }
            const __m256 acc = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
            ep_nm_store8(acc, bias != NULL ? bias + r0 : NULL, count, vlo, vhi, y + b * ldy + r0);
        }
    }
}
#endif
