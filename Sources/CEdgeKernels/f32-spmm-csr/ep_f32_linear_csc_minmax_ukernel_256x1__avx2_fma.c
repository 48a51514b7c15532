// AVX2 "csc" kernel: finds the non-zero inputs eight at a time (compare + movemask) and skips the
// columns of zero inputs, scatters each remaining column's non-zeros (scalar FMA into a stack
// panel of up to 256 accumulators, two at a time), then adds bias and clamps eight rows at once.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

__attribute__((target("avx2,fma"), always_inline)) static inline void scatter(
    float* acc, const float* val, const uint8_t* idx, uint32_t j, uint32_t end, float xc) {
    for (; j + 2 <= end; j += 2) {
        const size_t r0 = idx[j], r1 = idx[j + 1];
        const float v0 = val[j] * xc, v1 = val[j + 1] * xc;
        acc[r0] += v0;
        acc[r1] += v1;
    }
    if (j < end) acc[idx[j]] += val[j] * xc;
}

__attribute__((target("avx2,fma")))
void ep_f32_linear_csc_minmax_ukernel_256x1__avx2_fma(const void* packed, size_t row_begin,
                                                      size_t row_end, size_t batch, const float* x,
                                                      size_t ldx, float* y, size_t ldy,
                                                      const float* bias,
                                                      const ep_f32_minmax_params* params) {
    const ep_f32_sparse_header* h = packed;
    const unsigned char* blob = packed;
    const size_t rows = (size_t)h->rows, cols = (size_t)h->cols;
    const float* val = (const float*)(blob + h->off_val);
    const uint32_t* ptr = (const uint32_t*)(blob + h->off_ptr);
    const uint8_t* idx = blob + h->off_idx;
    const __m256 vlo = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vhi = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    float acc[EP_CSC_PANEL] __attribute__((aligned(32)));
    for (size_t r0 = row_begin; r0 < row_end; r0 += EP_CSC_PANEL) {
        const uint32_t* cp = ptr + (r0 / EP_CSC_PANEL) * (cols + 1);
        const size_t height = rows - r0 < EP_CSC_PANEL ? rows - r0 : EP_CSC_PANEL;
        const size_t out = row_end - r0 < height ? row_end - r0 : height;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            for (size_t r = 0; r < height; r += 8) _mm256_store_ps(acc + r, _mm256_setzero_ps());
            size_t c = 0;
            for (; c + 8 <= cols; c += 8) {
                const __m256 xv = _mm256_loadu_ps(xb + c);
                unsigned mask = (unsigned)_mm256_movemask_ps(
                    _mm256_cmp_ps(xv, _mm256_setzero_ps(), _CMP_NEQ_UQ));
                while (mask != 0) {
                    const unsigned t = (unsigned)__builtin_ctz(mask);
                    mask &= mask - 1;
                    scatter(acc, val, idx, cp[c + t], cp[c + t + 1], xb[c + t]);
                }
            }
            for (; c < cols; c++)
                if (xb[c] != 0.0f) scatter(acc, val, idx, cp[c], cp[c + 1], xb[c]);
            size_t r = 0;
            float* yb = y + b * ldy + r0;
            for (; r + 8 <= out; r += 8) {
                __m256 v = _mm256_load_ps(acc + r);
                if (bias != NULL) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + r0 + r));
                _mm256_storeu_ps(yb + r, _mm256_min_ps(_mm256_max_ps(v, vlo), vhi));
            }
            for (; r < out; r++) {
                __m128 v = _mm_set_ss(acc[r] + (bias != NULL ? bias[r0 + r] : 0.0f));
                v = _mm_min_ss(_mm_max_ss(v, _mm256_castps256_ps128(vlo)), _mm256_castps256_ps128(vhi));
                yb[r] = _mm_cvtss_f32(v);
            }
        }
    }
}
#endif
