// AVX2+FMA bsr4x1 sparse-pixels kernel: a tile of 16 pixels x 4 output rows (eight ymm
// accumulators); per kept block, one X row (two loads) serves the 4 rows' broadcast weights
// (8 FMAs). Tails: 8 pixels, then 1..7 with masked loads and stores. Row blocks cut by
// [row_begin, row_end) are computed whole and stored only inside the range.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>

#define EP_AVX2 __attribute__((target("avx2,fma")))

static const int32_t k_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

EP_AVX2 static inline __m256 finish(__m256 acc, float b, __m256 vmin, __m256 vmax) {
    return _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(acc, _mm256_set1_ps(b)), vmin), vmax);
}

EP_AVX2
void ep_f32_spmm_pixels_bsr4x1_minmax_ukernel_16x4__avx2_fma(const void* packed,
                                                             size_t row_begin, size_t row_end,
                                                             size_t pixels, const float* x,
                                                             size_t ldx, float* y, size_t ldy,
                                                             const float* bias,
                                                             const ep_f32_minmax_params* params) {
    const __m256 vmin = _mm256_set1_ps(params != NULL ? params->min : -INFINITY);
    const __m256 vmax = _mm256_set1_ps(params != NULL ? params->max : INFINITY);
    const float* values = ep_spx_values(packed);
    const uint32_t* ptr = ep_spx_ptr(packed);
    const uint16_t* idx = ep_spx_idx(packed);
    const size_t cols = ep_spx_head(packed)->cols;
    const size_t g_begin = row_begin / 4, g_end = (row_end + 3) / 4;
    const int copy = ep_spx_copy_tiles(ldx, cols, 16);
    float buf[EP_SPX_STACK_FLOATS] __attribute__((aligned(64)));
    size_t p = 0;
    for (; p + 16 <= pixels; p += 16) {
        const float* xp = x + p;
        size_t ld = ldx;
        if (copy) {
            ep_spx_copy_tile(buf, 16, xp, ldx, cols);
            xp = buf;
            ld = 16;
        }
        for (size_t g = g_begin; g < g_end; g++) {
            __m256 a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps();
            __m256 a1 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
            __m256 a2 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps();
            __m256 a3 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
            const float* w = values + (size_t)ptr[g] * 4;
            for (uint32_t j = ptr[g], end = ptr[g + 1]; j < end; j++, w += 4) {
                const float* xr = xp + (size_t)idx[j] * ld;
                const __m256 x0 = _mm256_loadu_ps(xr), x1 = _mm256_loadu_ps(xr + 8);
                __m256 v = _mm256_broadcast_ss(w);
                a0 = _mm256_fmadd_ps(v, x0, a0);
                b0 = _mm256_fmadd_ps(v, x1, b0);
                v = _mm256_broadcast_ss(w + 1);
                a1 = _mm256_fmadd_ps(v, x0, a1);
                b1 = _mm256_fmadd_ps(v, x1, b1);
                v = _mm256_broadcast_ss(w + 2);
                a2 = _mm256_fmadd_ps(v, x0, a2);
                b2 = _mm256_fmadd_ps(v, x1, b2);
                v = _mm256_broadcast_ss(w + 3);
                a3 = _mm256_fmadd_ps(v, x0, a3);
                b3 = _mm256_fmadd_ps(v, x1, b3);
            }
            float* yg = y + g * 4 * ldy + p;
            const size_t n0 = g * 4;
#define EP_STORE_ROW(r, lo, hi)                                                     \
    if (n0 + r >= row_begin && n0 + r < row_end) {                                  \
        const float bv = bias != NULL ? bias[n0 + r] : 0.0f;                        \
        _mm256_storeu_ps(yg + r * ldy, finish(lo, bv, vmin, vmax));                 \
        _mm256_storeu_ps(yg + r * ldy + 8, finish(hi, bv, vmin, vmax));             \
    }
            EP_STORE_ROW(0, a0, b0)
            EP_STORE_ROW(1, a1, b1)
            EP_STORE_ROW(2, a2, b2)
            EP_STORE_ROW(3, a3, b3)
#undef EP_STORE_ROW
        }
    }
    // 8 pixels, then 1..7 under a mask: the same 4-row step with one ymm per row.
    while (p < pixels) {
        const size_t rem = pixels - p < 8 ? pixels - p : 8;
        const __m256i mask = _mm256_loadu_si256((const __m256i*)(k_mask + 8 - rem));
        const float* xp = x + p;
        for (size_t g = g_begin; g < g_end; g++) {
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            const float* w = values + (size_t)ptr[g] * 4;
            for (uint32_t j = ptr[g], end = ptr[g + 1]; j < end; j++, w += 4) {
                const __m256 x0 = _mm256_maskload_ps(xp + (size_t)idx[j] * ldx, mask);
                a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w), x0, a0);
                a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 1), x0, a1);
                a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 2), x0, a2);
                a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 3), x0, a3);
            }
            float* yg = y + g * 4 * ldy + p;
            const size_t n0 = g * 4;
#define EP_STORE_ROW(r, acc)                                                        \
    if (n0 + r >= row_begin && n0 + r < row_end) {                                  \
        const float bv = bias != NULL ? bias[n0 + r] : 0.0f;                        \
        _mm256_maskstore_ps(yg + r * ldy, mask, finish(acc, bv, vmin, vmax));       \
    }
            EP_STORE_ROW(0, a0)
            EP_STORE_ROW(1, a1)
            EP_STORE_ROW(2, a2)
            EP_STORE_ROW(3, a3)
#undef EP_STORE_ROW
        }
        p += rem;
    }
}
#endif
