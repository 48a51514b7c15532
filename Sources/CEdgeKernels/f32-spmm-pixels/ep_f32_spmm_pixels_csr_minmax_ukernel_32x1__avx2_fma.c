// AVX2+FMA csr sparse-pixels kernel: a tile of 32 pixels per output row; each non-zero of the
// row is broadcast and multiplied into the 32 pixels of its X row (four ymm accumulators for even
// non-zeros, four for odd ones, so eight FMA chains hide the FMA latency). Tails: 16,
// 8, then 1..7 pixels with masked loads and stores (X is never read past `pixels`).
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

#define EP_AVX2 __attribute__((target("avx2,fma")))

static const int32_t k_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

EP_AVX2 static inline __m256 finish(__m256 acc, __m256 b, __m256 vmin, __m256 vmax) {
    return _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc, b), vmin), vmax);
}

EP_AVX2
void ep_f32_spmm_pixels_csr_minmax_ukernel_32x1__avx2_fma(const void* packed, size_t row_begin,
                                                          size_t row_end, size_t pixels,
                                                          const float* x, size_t ldx, float* y,
                                                          size_t ldy, const float* bias,
                                                          const ep_f32_minmax_params* params) {
    const __m256 vmin = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vmax = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    const float* values = ep_spx_values(packed);
    const uint32_t* ptr = ep_spx_ptr(packed);
    const uint16_t* idx = ep_spx_idx(packed);
    const size_t cols = ep_spx_head(packed)->cols;
    const int copy = ep_spx_copy_tiles(ldx, cols, 32);
    float buf[EP_SPX_STACK_FLOATS] __attribute__((aligned(64)));
    size_t p = 0;
    for (; p + 32 <= pixels; p += 32) {
        const float* xp = x + p;
        size_t ld = ldx;
        if (copy) {
            ep_spx_copy_tile(buf, 32, xp, ldx, cols);
            xp = buf;
            ld = 32;
        }
        for (size_t n = row_begin; n < row_end; n++) {
            // Even and odd non-zeros accumulate separately: 8 independent FMA chains.
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
            __m256 c2 = _mm256_setzero_ps(), c3 = _mm256_setzero_ps();
            uint32_t j = ptr[n];
            const uint32_t end = ptr[n + 1];
            for (; j + 2 <= end; j += 2) {
                const float* xr = xp + (size_t)idx[j] * ld;
                const float* xs = xp + (size_t)idx[j + 1] * ld;
                const __m256 w = _mm256_broadcast_ss(values + j);
                const __m256 v = _mm256_broadcast_ss(values + j + 1);
                a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr), a0);
                a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 8), a1);
                a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 16), a2);
                a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 24), a3);
                c0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xs), c0);
                c1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xs + 8), c1);
                c2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xs + 16), c2);
                c3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xs + 24), c3);
            }
            if (j < end) {
                const float* xr = xp + (size_t)idx[j] * ld;
                const __m256 w = _mm256_broadcast_ss(values + j);
                a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr), a0);
                a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 8), a1);
                a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 16), a2);
                a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 24), a3);
            }
            a0 = _mm256_add_ps(a0, c0);
            a1 = _mm256_add_ps(a1, c1);
            a2 = _mm256_add_ps(a2, c2);
            a3 = _mm256_add_ps(a3, c3);
            const __m256 b = _mm256_set1_ps(bias != NULL ? bias[n] : 0.0f);
            float* yr = y + n * ldy + p;
            _mm256_storeu_ps(yr, finish(a0, b, vmin, vmax));
            _mm256_storeu_ps(yr + 8, finish(a1, b, vmin, vmax));
            _mm256_storeu_ps(yr + 16, finish(a2, b, vmin, vmax));
            _mm256_storeu_ps(yr + 24, finish(a3, b, vmin, vmax));
        }
    }
    if (p + 16 <= pixels) {
        const float* xp = x + p;
        for (size_t n = row_begin; n < row_end; n++) {
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
            uint32_t j = ptr[n];
            const uint32_t end = ptr[n + 1];
            for (; j + 2 <= end; j += 2) {
                const float* xr = xp + (size_t)idx[j] * ldx;
                const float* xs = xp + (size_t)idx[j + 1] * ldx;
                const __m256 w = _mm256_broadcast_ss(values + j);
                const __m256 v = _mm256_broadcast_ss(values + j + 1);
                a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr), a0);
                a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 8), a1);
                c0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xs), c0);
                c1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xs + 8), c1);
            }
            if (j < end) {
                const float* xr = xp + (size_t)idx[j] * ldx;
                const __m256 w = _mm256_broadcast_ss(values + j);
                a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr), a0);
                a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 8), a1);
            }
            a0 = _mm256_add_ps(a0, c0);
            a1 = _mm256_add_ps(a1, c1);
            const __m256 b = _mm256_set1_ps(bias != NULL ? bias[n] : 0.0f);
            float* yr = y + n * ldy + p;
            _mm256_storeu_ps(yr, finish(a0, b, vmin, vmax));
            _mm256_storeu_ps(yr + 8, finish(a1, b, vmin, vmax));
        }
        p += 16;
    }
    if (p + 8 <= pixels) {
        const float* xp = x + p;
        for (size_t n = row_begin; n < row_end; n++) {
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            uint32_t j = ptr[n];
            const uint32_t end = ptr[n + 1];
            for (; j + 2 <= end; j += 2) {
                a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(values + j),
                                     _mm256_loadu_ps(xp + (size_t)idx[j] * ldx), a0);
                a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(values + j + 1),
                                     _mm256_loadu_ps(xp + (size_t)idx[j + 1] * ldx), a1);
            }
            if (j < end)
                a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(values + j),
                                     _mm256_loadu_ps(xp + (size_t)idx[j] * ldx), a0);
            const __m256 b = _mm256_set1_ps(bias != NULL ? bias[n] : 0.0f);
            _mm256_storeu_ps(y + n * ldy + p, finish(_mm256_add_ps(a0, a1), b, vmin, vmax));
        }
        p += 8;
    }
    if (p < pixels) {
        const __m256i mask = _mm256_loadu_si256((const __m256i*)(k_mask + 8 - (pixels - p)));
        const float* xp = x + p;
        for (size_t n = row_begin; n < row_end; n++) {
            __m256 a0 = _mm256_setzero_ps();
            for (uint32_t j = ptr[n], end = ptr[n + 1]; j < end; j++)
                a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(values + j),
                                     _mm256_maskload_ps(xp + (size_t)idx[j] * ldx, mask), a0);
            const __m256 b = _mm256_set1_ps(bias != NULL ? bias[n] : 0.0f);
            _mm256_maskstore_ps(y + n * ldy + p, mask, finish(a0, b, vmin, vmax));
        }
    }
}
#endif
