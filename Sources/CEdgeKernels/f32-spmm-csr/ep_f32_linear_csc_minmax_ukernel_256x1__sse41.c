// SSE4.1 "csc" kernel: per chunk of 256 input columns, first lists the non-zero inputs (compare +
// movemask, appended branch-free), so skipping the zero inputs costs no mispredicted branches;
// then scatters each listed column's non-zeros into a stack panel of up to 256 accumulators (four
// products with one multiply, then four scalar adds); then adds bias and clamps four rows at once.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>
#include <string.h>

__attribute__((target("sse4.1"), always_inline)) static inline void scatter(
    float* acc, const float* val, const uint8_t* idx, uint32_t j, uint32_t end, float xc) {
    const __m128 xc4 = _mm_set1_ps(xc);
    for (; j + 4 <= end; j += 4) {  // four products at once, then four scalar adds
        const __m128 p = _mm_mul_ps(_mm_loadu_ps(val + j), xc4);
        uint32_t q;
        memcpy(&q, idx + j, 4);
        acc[q & 0xff] += _mm_cvtss_f32(p);
        acc[(q >> 8) & 0xff] += _mm_cvtss_f32(_mm_shuffle_ps(p, p, 1));
        acc[(q >> 16) & 0xff] += _mm_cvtss_f32(_mm_movehl_ps(p, p));
        acc[q >> 24] += _mm_cvtss_f32(_mm_shuffle_ps(p, p, 3));
    }
    for (; j < end; j++) acc[idx[j]] += val[j] * xc;
}

__attribute__((target("sse4.1")))
void ep_f32_linear_csc_minmax_ukernel_256x1__sse41(const void* packed, size_t row_begin,
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
    const __m128 vlo = _mm_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m128 vhi = _mm_set1_ps(params != NULL ? params->max : INFINITY);
    float acc[EP_CSC_PANEL] __attribute__((aligned(16)));
    for (size_t r0 = row_begin; r0 < row_end; r0 += EP_CSC_PANEL) {
        const uint32_t* cp = ptr + (r0 / EP_CSC_PANEL) * (cols + 1);
        const size_t height = rows - r0 < EP_CSC_PANEL ? rows - r0 : EP_CSC_PANEL;
        const size_t out = row_end - r0 < height ? row_end - r0 : height;
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            for (size_t r = 0; r < height; r += 4) _mm_store_ps(acc + r, _mm_setzero_ps());
            // Columns in chunks of 256: first the list of non-zero inputs (branch-free: every
            // column is written, the count advances only past non-zero ones), then their scatters.
            for (size_t c0 = 0; c0 < cols; c0 += 256) {
                const size_t c_end = cols - c0 < 256 ? cols : c0 + 256;
                uint32_t list[256];
                size_t count = 0, c = c0;
                for (; c + 4 <= c_end; c += 4) {
                    const unsigned mask = (unsigned)_mm_movemask_ps(
                        _mm_cmpneq_ps(_mm_loadu_ps(xb + c), _mm_setzero_ps()));
                    list[count] = (uint32_t)c;
                    count += mask & 1;
                    list[count] = (uint32_t)c + 1;
                    count += (mask >> 1) & 1;
                    list[count] = (uint32_t)c + 2;
                    count += (mask >> 2) & 1;
                    list[count] = (uint32_t)c + 3;
                    count += mask >> 3;
                }
                for (; c < c_end; c++) {
                    list[count] = (uint32_t)c;
                    count += xb[c] != 0.0f;
                }
                for (size_t i = 0; i < count; i++) {
                    const size_t k = list[i];
                    scatter(acc, val, idx, cp[k], cp[k + 1], xb[k]);
                }
            }
            size_t r = 0;
            float* yb = y + b * ldy + r0;
            for (; r + 4 <= out; r += 4) {
                __m128 v = _mm_load_ps(acc + r);
                if (bias != NULL) v = _mm_add_ps(v, _mm_loadu_ps(bias + r0 + r));
                _mm_storeu_ps(yb + r, _mm_min_ps(vhi, _mm_max_ps(vlo, v)));
            }
            for (; r < out; r++) {
                __m128 v = _mm_set_ss(acc[r] + (bias != NULL ? bias[r0 + r] : 0.0f));
                v = _mm_min_ss(vhi, _mm_max_ss(vlo, v));
                yb[r] = _mm_cvtss_f32(v);
            }
        }
    }
}
#endif
