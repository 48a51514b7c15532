// AVX2 "csr" kernel: per output row, 16 non-zeros per step. The inputs are fetched with scalar
// loads inserted into lanes (vinsertps) instead of vgatherdps, which is slow on AMD Zen; indices
// are read four at a time as one 64-bit word. Two accumulators; a scalar tail.
#include "ukernels.h"

#if EP_ARCH_X86_64
#include <immintrin.h>
#include <math.h>
#include <string.h>

__attribute__((target("avx2,fma"), always_inline)) static inline __m128 load4(const float* x,
                                                                              const uint16_t* idx) {
    uint64_t q;
    memcpy(&q, idx, 8);
    __m128 v = _mm_load_ss(x + (q & 0xffff));
    v = _mm_insert_ps(v, _mm_load_ss(x + ((q >> 16) & 0xffff)), 0x10);
    v = _mm_insert_ps(v, _mm_load_ss(x + ((q >> 32) & 0xffff)), 0x20);
    return _mm_insert_ps(v, _mm_load_ss(x + (q >> 48)), 0x30);
}

__attribute__((target("avx2,fma"), always_inline)) static inline __m256 load8(const float* x,
                                                                              const uint16_t* idx) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(load4(x, idx)), load4(x, idx + 4), 1);
}

__attribute__((target("avx2,fma")))
void ep_f32_linear_csr_minmax_ukernel_1x16__avx2_fma(const void* packed, size_t row_begin,
                                                     size_t row_end, size_t batch, const float* x,
                                                     size_t ldx, float* y, size_t ldy,
                                                     const float* bias,
                                                     const ep_f32_minmax_params* params) {
    const ep_f32_sparse_header* h = packed;
    const unsigned char* blob = packed;
    const float* val = (const float*)(blob + h->off_val);
    const uint32_t* ptr = (const uint32_t*)(blob + h->off_ptr);
    const uint16_t* idx = (const uint16_t*)(blob + h->off_idx);
    const float lo = params != NULL ? params->min : -INFINITY;
    const float hi = params != NULL ? params->max : INFINITY;
    for (size_t n = row_begin; n < row_end; n++) {
        const uint32_t begin = ptr[n], end = ptr[n + 1];
        for (size_t b = 0; b < batch; b++) {
            const float* xb = x + b * ldx;
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
            uint32_t j = begin;
            for (; j + 16 <= end; j += 16) {
                acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(val + j), load8(xb, idx + j), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(val + j + 8), load8(xb, idx + j + 8), acc1);
            }
            if (j + 8 <= end) {
                acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(val + j), load8(xb, idx + j), acc0);
                j += 8;
            }
            __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1));
            s = _mm_add_ps(s, _mm_add_ps(_mm256_castps256_ps128(acc1), _mm256_extractf128_ps(acc1, 1)));
            if (j + 4 <= end) {
                s = _mm_fmadd_ps(_mm_loadu_ps(val + j), load4(xb, idx + j), s);
                j += 4;
            }
            s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            s = _mm_add_ss(s, _mm_movehdup_ps(s));
            float v = _mm_cvtss_f32(s);
            for (; j < end; j++) v += val[j] * xb[idx[j]];
            v += bias != NULL ? bias[n] : 0.0f;
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
            y[b * ldy + n] = v;
        }
    }
}
#endif
